// The storefront's HTML: plain server-rendered pages, one small inline script for the Amazon Pay
// button. Everything that comes from elsewhere (plan text, ids, the daemon's answers) is escaped.
import type { ButtonConfig, CompletedCheckout, SubscriptionDetails } from './billing-api.js';
import { describePrice, describeTrial, PLANS, type Plan } from './plans.js';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside <script>: "<" escaped so no value can close the script element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Storefront Coffee &amp; Tea</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  header { border-bottom: 1px solid #ddd; margin-bottom: 1.5rem; } header a { color: inherit; text-decoration: none; }
  .plans { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  .plan { border: 1px solid #ccc; border-radius: 8px; padding: 1rem; }
  .price { font-size: 1.3rem; font-weight: 600; } .trial { color: #067d62; font-weight: 600; }
  .notice { border-left: 4px solid #c60; background: #fff6ec; padding: .5rem 1rem; }
  .ok { border-left: 4px solid #067d62; background: #eefaf5; padding: .5rem 1rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; } dt { color: #666; }
  form button, .button { background: #222; color: #fff; border: 0; border-radius: 4px; padding: .5rem 1.2rem; cursor: pointer; text-decoration: none; }
</style></head>
<body><header><h2><a href="/">Storefront Coffee &amp; Tea</a></h2></header>
<main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
}

const backToPlans = '<p><a class="button" href="/">Choose a plan</a></p>';

/**
 * GET /: the plans. "Subscribe" goes to the plan's checkout page with the buyer's IANA zone (from
 * the browser), so billing dates fall at the same local time for the buyer.
 */
export function planPage(): string {
  const cards = PLANS.map(
    (plan) => `<section class="plan" id="plan-${escapeHtml(plan.id)}">
  <h3>${escapeHtml(plan.name)}</h3>
  <p class="price">${escapeHtml(describePrice(plan))}</p>
  ${plan.trial ? `<p class="trial">Free for the first ${escapeHtml(describeTrial(plan.trial))}</p>` : ''}
  <p>${escapeHtml(plan.description)}</p>
  <form method="get" action="/checkout/${encodeURIComponent(plan.id)}"><input type="hidden" name="zone" value="UTC"><button type="submit">Subscribe</button></form>
</section>`,
  ).join('\n');
  return layout(
    'Choose a plan',
    `<div class="plans">${cards}</div>
<script>for (const input of document.querySelectorAll('input[name=zone]')) input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';</script>`,
  );
}

/**
 * GET /checkout/<plan>: the order summary and the Amazon Pay button, configured with exactly what
 * POST /v1/checkout-sessions answered. With Amazon's real checkout.js this is the same call:
 * amazon.Pay.renderButton('#AmazonPayButton', { merchantId, ledgerCurrency, placement, productType,
 * sandbox, checkoutLanguage, createCheckoutSessionConfig: { payloadJSON, signature, publicKeyId, algorithm } }).
 * `payloadJSON` is passed unchanged: it is the string the daemon signed.
 */
export function checkoutPage(plan: Plan, subscriptionId: string, button: ButtonConfig, checkoutJsUrl: string): string {
  const config = {
    merchantId: button.merchantId,
    ledgerCurrency: plan.price.currency,
    placement: 'Checkout',
    productType: button.productType,
    sandbox: button.sandbox,
    checkoutLanguage: 'en_US',
    createCheckoutSessionConfig: button.createCheckoutSessionConfig,
  };
  const today = plan.trial
    ? `Nothing today: your ${escapeHtml(describeTrial(plan.trial))} free trial starts now, then ${escapeHtml(describePrice(plan))}.`
    : `${escapeHtml(plan.price.amount)} ${escapeHtml(plan.price.currency)} today, then ${escapeHtml(describePrice(plan))}.`;
  return layout(
    plan.name,
    `<p id="summary">${today} Cancel any time.</p>
<p>Order <span id="order">${escapeHtml(subscriptionId)}</span></p>
<p>Pay with Amazon Pay. When Amazon Pay asks, agree to save your payment method: without it we cannot bill the next periods.</p>
<div id="AmazonPayButton"></div>
<script src="${escapeHtml(checkoutJsUrl)}"></script>
<script>amazon.Pay.renderButton('#AmazonPayButton', ${scriptJson(config)});</script>
<p><a href="/">Back to the plans</a></p>`,
  );
}

function formatInstant(iso: string, zone: string): string {
  const text = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeStyle: 'short', timeZone: zone }).format(new Date(iso));
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(text)} (${escapeHtml(zone)})</time>`;
}

/**
 * The return page after a completed checkout: the next billing date as complete answered it
 * (`done.nextBillingAt`: the first period not paid today, or the end of the free trial), and the
 * subscription's status and today's charge as the daemon has them (`details`).
 */
export function subscribedPage(details: SubscriptionDetails, plan: Plan | undefined, done: Pick<CompletedCheckout, 'chargeId' | 'nextBillingAt'>): string {
  const { subscription } = details;
  const { chargeId } = done;
  const zone = subscription.anchor.zone;
  const status = details.live?.status ?? subscription.status;
  const paid = chargeId ? details.charges.find((c) => c.chargeId === chargeId) : undefined;
  const next = done.nextBillingAt ? formatInstant(done.nextBillingAt, zone) : 'none: your subscription ends before another period';
  return layout(
    'Thank you for subscribing',
    `<p class="ok">Your subscription to <strong>${escapeHtml(plan?.name ?? 'your plan')}</strong> is set up.</p>
<dl>
  <dt>Subscription</dt><dd id="subscription-id">${escapeHtml(subscription.id)}</dd>
  <dt>Status</dt><dd id="status">${escapeHtml(status)}</dd>
  <dt>Paid today</dt><dd id="paid-today">${
    paid
      ? `${escapeHtml(paid.amount.amount)} ${escapeHtml(paid.amount.currency)} (Amazon Pay charge <span id="charge-id">${escapeHtml(paid.chargeId ?? '')}</span>, ${escapeHtml(paid.state)})`
      : chargeId
        ? `Amazon Pay charge <span id="charge-id">${escapeHtml(chargeId)}</span>`
        : 'nothing (free trial)'
  }</dd>
  <dt>Next billing date</dt><dd id="next-billing">${next}</dd>
</dl>
${backToPlans}`,
  );
}

/**
 * The buyer answered "do not save" on the Amazon Pay page: Amazon Pay made a OneTime Charge
 * Permission, which cannot be charged again, so no subscription started (the daemon's
 * one-time-charge-permission problem). What a payment made today buys is the merchant's policy:
 * this shop delivers the one order it paid for (or refunds it in Seller Central).
 */
export function oneTimePage(chargeId: string | null): string {
  return layout(
    'Your subscription did not start',
    `<p class="notice" id="why">You chose not to save your payment method with Amazon Pay, so we cannot bill the next periods and no subscription was started.</p>
<p id="charge">${
      chargeId ? `The payment made today (Amazon Pay charge ${escapeHtml(chargeId)}) covers this one order only; it will not renew.` : 'Nothing was charged.'
    }</p>
<p id="what-to-do">To subscribe, choose your plan again and, when Amazon Pay asks, answer <strong>Yes</strong> to saving your payment method.</p>
${backToPlans}`,
  );
}

/**
 * The buyer paid again for a checkout an earlier Checkout Session completes or completed (they went
 * back and used the button again): the daemon did not complete this session and charged nothing
 * (its checkout-completed-by-another-session problem). `details`: the subscription the earlier
 * session started; null while that one is still being set up (reloading shows it once it runs).
 */
export function alreadySubscribedPage(details: SubscriptionDetails | null, plan: Plan | undefined): string {
  if (!details) {
    return layout(
      'Your subscription is being set up',
      `<p class="ok" id="why">Your earlier checkout for this order is starting your subscription. Nothing more was charged for this one.</p>
<p id="what-to-do">Reload this page in a moment to see your subscription.</p>
${backToPlans}`,
    );
  }
  const { subscription } = details;
  return layout(
    'Your subscription is already active',
    `<p class="ok" id="why">You had already subscribed to <strong>${escapeHtml(plan?.name ?? 'your plan')}</strong> with an earlier checkout. This payment was not taken: nothing more was charged.</p>
<dl>
  <dt>Subscription</dt><dd id="subscription-id">${escapeHtml(subscription.id)}</dd>
  <dt>Status</dt><dd id="status">${escapeHtml(details.live?.status ?? subscription.status)}</dd>
</dl>
${backToPlans}`,
  );
}

/** The daemon could not finish the checkout right now (throttled, Amazon Pay or a service briefly unavailable): completing again on reload finishes it. */
export function stillSettingUpPage(): string {
  return layout(
    'Your subscription is still being set up',
    `<p class="notice" id="why">We could not finish setting up your subscription just now.</p>
<p id="what-to-do">Please reload this page in a moment; you will not be charged twice.</p>
${backToPlans}`,
  );
}

/**
 * The daemon refused what this shop sent (a zone, a session id) or lacks a setting, before any
 * checkout: its RFC 9457 `detail`, one line saying what was wrong and what is accepted, shown as
 * it is, for the shop's developer.
 */
export function refusedPage(detail: string): string {
  return layout(
    'We could not start your subscription',
    `<p class="notice" id="why">Nothing was charged. The billing daemon refused this shop's request:</p>
<p><code id="detail">${escapeHtml(detail)}</code></p>
${backToPlans}`,
  );
}

/** The buyer cancelled on the Amazon Pay page (checkoutCancelUrl), or the checkout ended without a subscription. */
export function messagePage(title: string, id: string, message: string): string {
  return layout(title, `<p class="notice" id="${escapeHtml(id)}">${escapeHtml(message)}</p>\n${backToPlans}`);
}
