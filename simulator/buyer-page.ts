// The HTML of the simulator's stand-in for Amazon's hosted checkout page: what the buyer agrees
// to (amount now, amount and frequency later, merchant), the sandbox payment methods, the consent
// to save the payment method, and cancel. Plain HTML forms; everything from the merchant is escaped.
import { SANDBOX_PAYMENT_METHODS } from './buyer-actions.js';
import { minorToDecimal } from './money.js';
import type { CheckoutSessionRecord, StoredPrice } from './state.js';

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#111}' +
  'header{border-bottom:3px solid #f90;margin-bottom:1rem}fieldset{border:1px solid #ccc;margin:1rem 0}' +
  'dt{font-weight:600}dd{margin:0 0 .5rem 0}.error{color:#b00}button{padding:.5rem 1rem;margin-right:.5rem}';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><header><h1>Amazon Pay <small>(sandbox simulator)</small></h1></header>
${body}
</body></html>
`;
}

const formatPrice = (p: StoredPrice): string => `${minorToDecimal(BigInt(p.minor), p.currency)} ${p.currency}`;

/** "every month", "every 3 weeks", "at varying intervals". */
export function describeFrequency(frequency: { unit: string; value: string } | null): string {
  if (!frequency || frequency.unit === 'Variable') return 'at varying intervals';
  const unit = frequency.unit.toLowerCase();
  return frequency.value === '1' ? `every ${unit}` : `every ${frequency.value} ${unit}s`;
}

export function merchantName(session: CheckoutSessionRecord): string {
  return session.merchantMetadata.merchantStoreName ?? `the merchant (store ${session.storeId})`;
}

function terms(session: CheckoutSessionRecord): string {
  const d = session.paymentDetails;
  const rows: Array<[string, string]> = [['Merchant', merchantName(session)]];
  const today = d.paymentIntent === 'Confirm' || d.chargeAmount === null ? 'nothing is charged now' : formatPrice(d.chargeAmount);
  rows.push(['Today', today]);
  if (session.chargePermissionType === 'Recurring') {
    const amount = session.recurringMetadata?.amount ? formatPrice(session.recurringMetadata.amount) : 'a varying amount';
    rows.push(['Then', `${amount} ${describeFrequency(session.recurringMetadata?.frequency ?? null)}, until you cancel`]);
  } else if (session.chargePermissionType === 'PaymentMethodOnFile') {
    rows.push(['Later', 'payments this merchant starts, of varying amounts, until you cancel']);
  }
  if (session.merchantMetadata.noteToBuyer) rows.push(['Note from the merchant', session.merchantMetadata.noteToBuyer]);
  return `<dl id="terms">${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

export interface BuyerPageOptions {
  /** Form target (this page's own path and query). */
  action: string;
  signInStep: boolean;
  error?: string;
}

/** The page for an Open session. */
export function renderBuyerPage(session: CheckoutSessionRecord, options: BuyerPageOptions): string {
  const chosen = session.buyer?.cardSuffix ?? '1111';
  const methods = SANDBOX_PAYMENT_METHODS.map(
    (m) =>
      `<label><input type="radio" name="cardSuffix" value="${m.cardSuffix}"${m.cardSuffix === chosen ? ' checked' : ''} required> ${escapeHtml(m.label)}</label><br>`,
  ).join('\n');
  const merchant = escapeHtml(merchantName(session));
  const consent =
    session.chargePermissionType === 'OneTime'
      ? ''
      : `<fieldset id="consent"><legend>Save this payment method?</legend>
<label><input type="radio" name="save" value="yes" required${session.buyer?.consentToSave ? ' checked' : ''}> Yes: save it so ${merchant} can charge it for future payments</label><br>
<label><input type="radio" name="save" value="no" required${session.buyer && !session.buyer.consentToSave ? ' checked' : ''}> No: use it for this purchase only</label>
</fieldset>`;
  const submit = options.signInStep ? 'Continue' : session.paymentDetails.paymentIntent === 'Confirm' ? 'Agree and continue' : 'Pay now';
  return page(
    `Amazon Pay – ${merchantName(session)}`,
    `<h2>${merchant} asks you to agree to:</h2>
${terms(session)}
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="${escapeHtml(options.action)}">
<fieldset id="payment-methods"><legend>Payment method (sandbox)</legend>
${methods}
</fieldset>
${consent}
<button type="submit" name="action" value="continue">${submit}</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel and return to ${merchant}</button>
</form>`,
  );
}

/** A page that only says what went wrong (unknown session, finished checkout, refused button signature). */
export function renderMessagePage(title: string, message: string): string {
  return page(title, `<h2>${escapeHtml(title)}</h2>\n<p class="error" role="alert">${escapeHtml(message)}</p>`);
}
