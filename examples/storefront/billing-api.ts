// The storefront's calls to the billing daemon's HTTP API (docs/api.md "Checkout"). They run on the
// storefront's server with its API key: the key never reaches the buyer's browser, which only ever
// sees the signed button configuration and the pages below.
import type { Plan } from './plans.js';

/** An RFC 9457 problem document the API answered with: `type` without its urn prefix (e.g. "one-time-charge-permission"). */
export class BillingApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly detail: string,
    readonly body: Record<string, unknown>,
  ) {
    super(`${status} ${type}: ${detail}`);
  }
}

/** What `amazon.Pay.renderButton` takes from POST /v1/checkout-sessions (the API's `button`). */
export interface ButtonConfig {
  merchantId: string;
  sandbox: boolean;
  productType: 'PayOnly';
  createCheckoutSessionConfig: { payloadJSON: string; signature: string; publicKeyId: string; algorithm: string };
}

export interface CheckoutButton {
  subscriptionId: string;
  paymentIntent: 'Confirm' | 'Authorize' | 'AuthorizeWithCapture';
  chargeAmount: { amount: string; currency: string } | null;
  button: ButtonConfig;
}

/** A subscription as the API shows it (the fields the return page uses). */
export interface SubscriptionView {
  id: string;
  status: string;
  plan: { price: { amount: string; currency: string }; interval: { unit: string; count: number } };
  trial: { unit: string; count: number } | null;
  anchor: { localDateTime: string; zone: string };
}

export interface CompletedCheckout {
  created: boolean;
  chargePermissionId: string;
  /** The charge made at checkout (cycle 0); null with a free trial. */
  chargeId: string | null;
  /** When the first cycle not paid today is due (ISO instant): a period on, or the end of the free trial; null when nothing more is billed. */
  nextBillingAt: string | null;
  subscription: SubscriptionView;
}

/** The parts of GET /v1/subscriptions/{id} the return page shows. */
export interface SubscriptionDetails {
  subscription: SubscriptionView;
  /** The workflow's own state; null when it has finished or did not answer. */
  live: { status: string } | null;
  /** The ledger: one row per charge attempt. */
  charges: Array<{ cycle: number; chargeId: string | null; state: string; amount: { amount: string; currency: string } }>;
}

export interface BillingApi {
  createCheckout(input: {
    subscriptionId: string;
    plan: Plan;
    zone: string;
    checkoutResultReturnUrl: string;
    checkoutCancelUrl: string;
  }): Promise<CheckoutButton>;
  completeCheckout(checkoutSessionId: string): Promise<CompletedCheckout>;
  getSubscription(id: string): Promise<SubscriptionDetails>;
}

const PROBLEM_PREFIX = 'urn:amazon-pay-billing:problem:';

/** `baseUrl`: the daemon's API, e.g. http://127.0.0.1:8788; `apiKey`: a read-write key (`npx billing api-keys create`). */
export function billingApi(baseUrl: string, apiKey: string): BillingApi {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.ok) return json as T;
    const type = typeof json.type === 'string' ? json.type.replace(PROBLEM_PREFIX, '') : 'unknown';
    throw new BillingApiProblem(response.status, type, String(json.detail ?? json.title ?? response.statusText), json);
  }
  return {
    createCheckout: ({ plan, ...rest }) =>
      call('POST', '/v1/checkout-sessions', {
        ...rest,
        plan: { price: plan.price, interval: plan.interval },
        ...(plan.trial ? { trial: plan.trial } : {}),
        // Shown to the buyer on the Amazon Pay page.
        merchantMetadata: { merchantStoreName: 'Storefront Coffee & Tea', noteToBuyer: plan.name },
      }),
    // Safe to repeat (a reload of the return page): the daemon answers the same subscription.
    completeCheckout: (id) => call('POST', `/v1/checkout-sessions/${encodeURIComponent(id)}/complete`),
    getSubscription: (id) => call('GET', `/v1/subscriptions/${encodeURIComponent(id)}`),
  };
}
