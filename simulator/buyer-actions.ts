// What the buyer does on the simulator's stand-in for Amazon's hosted checkout pages
// (amazon-pay-checkout reference §6): sign in and pick a payment method, agree (or not) to save
// it, approve the payment, or cancel. Nothing is charged here: only Complete charges (§11.7).
import { cancelCheckoutSession } from './checkout-session-store.js';
import { merchantConstraints } from './render-checkout-session.js';
import type { Engine } from './engine.js';
import type { CheckoutSessionRecord } from './state.js';

/** Sandbox payment methods the buyer page offers (API ref §11), by card suffix. */
export const SANDBOX_PAYMENT_METHODS: ReadonlyArray<{ cardSuffix: string; label: string }> = [
  { cardSuffix: '1111', label: 'Visa ****1111 (succeeds)' },
  { cardSuffix: '0701', label: 'Visa ****0701 (authorization pending, then Authorized)' },
  { cardSuffix: '4354', label: 'Visa ****4354 (authorization pending, then HardDeclined)' },
  { cardSuffix: '3064', label: 'Visa ****3064 (checkout ends BuyerCanceled)' },
  { cardSuffix: '3434', label: 'Visa ****3434 (checkout ends Declined)' },
];

/** A buyer-page request the page refuses (the page shows the message with this HTTP status). */
export class BuyerPageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** `url` with amazonCheckoutSessionId appended by `?` or `&`, before any fragment (§6.3). */
export function withCheckoutSessionId(url: string, checkoutSessionId: string): string {
  const hash = url.indexOf('#');
  const [base, fragment] = hash < 0 ? [url, ''] : [url.slice(0, hash), url.slice(hash)];
  const separator = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${separator}amazonCheckoutSessionId=${encodeURIComponent(checkoutSessionId)}${fragment}`;
}

function requireOpen(session: CheckoutSessionRecord): void {
  if (session.state !== 'Open') {
    throw new BuyerPageError(409, `This checkout is ${session.state}${session.reasonCode ? ` (${session.reasonCode})` : ''}; return to the merchant's site.`);
  }
}

export interface BuyerChoice {
  cardSuffix: unknown;
  /** "yes" | "no"; needed for Recurring and PaymentMethodOnFile sessions. */
  save: unknown;
  /** True on the sign-in step (the button's entry): the buyer returns to the review URL. */
  signInStep: boolean;
}

/**
 * Records the buyer's payment method and consent. On the sign-in step of a standard checkout the
 * buyer goes to checkoutReviewReturnUrl; otherwise the payment is approved and the buyer goes to
 * checkoutResultReturnUrl, once the merchant's constraints are clear. Returns the redirect URL.
 */
export function submitBuyerChoice(engine: Engine, session: CheckoutSessionRecord, choice: BuyerChoice): string {
  requireOpen(session);
  const method = SANDBOX_PAYMENT_METHODS.find((m) => m.cardSuffix === choice.cardSuffix);
  if (!method) throw new BuyerPageError(400, `Choose one of the sandbox payment methods (${SANDBOX_PAYMENT_METHODS.map((m) => m.cardSuffix).join(', ')}).`);
  const asksConsent = session.chargePermissionType !== 'OneTime';
  if (asksConsent && choice.save !== 'yes' && choice.save !== 'no') {
    throw new BuyerPageError(400, 'Say whether to save the payment method for future payments to this merchant.');
  }
  const w = session.webCheckoutDetails;
  const toReview = choice.signInStep && w.checkoutMode !== 'ProcessOrder' && w.checkoutReviewReturnUrl !== null;
  const blocking = merchantConstraints(session);
  if (!toReview && blocking.length > 0) {
    throw new BuyerPageError(409, `The merchant's checkout is not ready for payment yet (${blocking.join(', ')}); return to the merchant's site.`);
  }
  session.buyer = { cardSuffix: method.cardSuffix, consentToSave: asksConsent && choice.save === 'yes', approved: !toReview };
  session.updatedAt = engine.nowMs();
  engine.save();
  const target = toReview ? w.checkoutReviewReturnUrl : w.checkoutResultReturnUrl;
  return withCheckoutSessionId(target ?? '', session.checkoutSessionId);
}

/** The buyer cancels: Canceled/BuyerCanceled, back to checkoutCancelUrl, else the result or review URL (§6.4 assumption). */
export function cancelAsBuyer(engine: Engine, session: CheckoutSessionRecord): string {
  requireOpen(session);
  cancelCheckoutSession(engine, session, 'BuyerCanceled');
  const w = session.webCheckoutDetails;
  return withCheckoutSessionId(w.checkoutCancelUrl ?? w.checkoutResultReturnUrl ?? w.checkoutReviewReturnUrl ?? '', session.checkoutSessionId);
}
