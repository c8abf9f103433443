// The sample storefront's server (fastify): the plans, the checkout page with the Amazon Pay
// button, and the pages Amazon Pay sends the buyer back to. It talks to the billing daemon only
// through its HTTP API (billing-api.ts), as a merchant's shop would:
//
//   GET /                 the plans
//   GET /checkout/<plan>  POST /v1/checkout-sessions → the button, signed by the daemon
//   (the buyer clicks it: Amazon Pay's page — the simulator's buyer page in the dev stack)
//   GET /return           checkoutResultReturnUrl: POST /v1/checkout-sessions/{id}/complete →
//                         the next billing date (its answer) and the subscription's status and
//                         charge (GET /v1/subscriptions/{id}), or why none started
//   GET /cancelled        checkoutCancelUrl: the buyer cancelled on Amazon Pay's page
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { BillingApiProblem, billingApi, type BillingApi, type CompletedCheckout, type SubscriptionDetails } from './billing-api.js';
import { alreadySubscribedPage, checkoutPage, messagePage, oneTimePage, planPage, refusedPage, stillSettingUpPage, subscribedPage } from './pages.js';
import { findPlan, PLANS, type Plan } from './plans.js';

export interface StorefrontOptions {
  /** The billing daemon's HTTP API, e.g. http://127.0.0.1:8788. */
  apiUrl: string;
  /** A read-write API key of the daemon; used by this server only, never sent to the browser. */
  apiKey: string;
  /** Amazon's checkout.js for the region (https://static-na.payments-amazon.com/checkout.js), or the simulator's stand-in. */
  checkoutJsUrl: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  /** How buyers reach this server, for the return URLs Amazon Pay sends them to; default the address it listens on. */
  publicUrl?: string;
  /** How long the return page waits for the subscription's workflow to record the checkout's charge (default 10 s). */
  settleTimeoutMs?: number;
}

export interface Storefront {
  url: string;
  close(): Promise<void>;
}

const HTML = 'text/html; charset=utf-8';

export async function startStorefront(options: StorefrontOptions): Promise<Storefront> {
  const api = billingApi(options.apiUrl, options.apiKey);
  const app = Fastify({ logger: false });
  let publicUrl = (options.publicUrl ?? '').replace(/\/+$/, '');
  routes(app, api, options, () => publicUrl);
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  publicUrl ||= address;
  return { url: publicUrl, close: () => app.close() };
}

function routes(app: FastifyInstance, api: BillingApi, options: StorefrontOptions, baseUrl: () => string): void {
  app.get('/', async (_request, reply) => reply.type(HTML).send(planPage()));

  app.get<{ Params: { plan: string }; Querystring: { zone?: string } }>('/checkout/:plan', async (request, reply) => {
    const plan = findPlan(request.params.plan);
    if (!plan)
      return reply
        .code(404)
        .type(HTML)
        .send(messagePage('No such plan', 'not-found', 'This plan does not exist.'));
    // One checkout per buyer intent: the id of the subscription this checkout starts (your order
    // id in a real shop). Calling create again with the same id would replace its terms.
    const button = await api.createCheckout({
      subscriptionId: `shop-${randomUUID()}`,
      plan,
      zone: request.query.zone || 'UTC',
      checkoutResultReturnUrl: `${baseUrl()}/return`,
      checkoutCancelUrl: `${baseUrl()}/cancelled`,
    });
    return reply.type(HTML).send(checkoutPage(plan, button.subscriptionId, button.button, options.checkoutJsUrl));
  });

  app.get<{ Querystring: { amazonCheckoutSessionId?: string } }>('/return', async (request, reply) => {
    const id = request.query.amazonCheckoutSessionId;
    if (!id)
      return reply
        .code(400)
        .type(HTML)
        .send(messagePage('Checkout not found', 'error', 'This page is where Amazon Pay sends you after paying.'));
    // The daemon reads the session from Amazon Pay and completes it; nothing in this URL is trusted.
    const done = await api.completeCheckout(id);
    const details = await settled(api, done, options.settleTimeoutMs ?? 10_000);
    return reply.type(HTML).send(subscribedPage(details, planOf(details), done));
  });

  app.get('/cancelled', async (_request, reply) =>
    reply
      .type(HTML)
      .send(messagePage('Checkout cancelled', 'cancelled', 'You cancelled on the Amazon Pay page. Nothing was charged and no subscription was started.')),
  );

  // The daemon's refusals, as the buyer should read them (docs/api.md "Errors"); what this shop or
  // the daemon's settings got wrong is shown as the daemon says it.
  app.setErrorHandler(async (error, request, reply) => {
    if (!(error instanceof BillingApiProblem)) {
      console.error(`[storefront] ${request.method} ${request.url}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return reply
        .code(500)
        .type(HTML)
        .send(messagePage('Something went wrong', 'error', 'Please try again in a moment.'));
    }
    const session = (error.body.checkoutSession ?? {}) as { chargeId?: string | null; reasonCode?: string | null };
    const page = (title: string, message: string) =>
      reply
        .code(error.status)
        .type(HTML)
        .send(messagePage(title, 'why', message));
    switch (error.type) {
      case 'one-time-charge-permission':
        return reply
          .code(200)
          .type(HTML)
          .send(oneTimePage(session.chargeId ?? null));
      case 'checkout-session-canceled':
        return session.reasonCode === 'Declined'
          ? page('Payment declined', 'Amazon Pay declined the payment. Nothing was charged; choose a plan to try again with another payment method.')
          : page('Checkout cancelled', 'The checkout was cancelled on the Amazon Pay page. Nothing was charged and no subscription was started.');
      case 'checkout-session-expired':
        return page('Checkout expired', 'The checkout was not finished within 24 hours. Nothing was charged; choose a plan to start again.');
      case 'not-found':
        return page('Checkout not found', 'We found no checkout of ours for this link. Nothing was charged; choose a plan to start again.');
      case 'checkout-completed-by-another-session': {
        // The buyer paid again for a checkout an earlier session completes: nothing was charged; show the subscription it started.
        const details = await startedSubscription(api, error.body.subscriptionId);
        return reply
          .code(200)
          .type(HTML)
          .send(alreadySubscribedPage(details, details ? planOf(details) : undefined));
      }
      case 'checkout-session-not-completable':
        return page('Checkout not finished', 'The payment was not approved on the Amazon Pay page yet. Choose a plan to start again.');
      case 'invalid-input':
      case 'invalid-request':
      case 'not-configured':
        // This shop sent something the daemon refuses (a zone, a session id) or the daemon lacks a
        // setting, before any checkout: nothing was charged. Its one-line detail says what is wrong
        // and what is accepted, for the shop's developer.
        console.error(`[storefront] the billing API refused: ${error.message}`);
        return reply.code(error.status).type(HTML).send(refusedPage(error.detail));
      default:
        // Throttled or briefly unavailable (429, 5xx, a conflict with Retry-After): completing again
        // finishes the checkout. Not a refusal Amazon Pay gave outright (502 upstream-refused): a reload repeats it.
        if (error.type !== 'upstream-refused' && (error.status === 429 || error.status >= 500 || typeof error.body.retryAfterSeconds === 'number')) {
          console.error(`[storefront] the billing API could not complete the checkout now: ${error.message}`);
          return reply.code(error.status).type(HTML).send(stillSettingUpPage());
        }
        // The detail is for the merchant (it names ids and settings), not for the buyer: log it.
        console.error(`[storefront] the billing API refused: ${error.message}`);
        return page('We could not start your subscription', 'Nothing more will happen with this checkout. Please try again, or contact us.');
    }
  });
}

/** The subscription `id` names (the daemon's problem member), or null when it has not started yet or cannot be read. */
async function startedSubscription(api: BillingApi, id: unknown): Promise<SubscriptionDetails | null> {
  if (typeof id !== 'string') return null;
  try {
    return await api.getSubscription(id);
  } catch (error) {
    if (!(error instanceof BillingApiProblem && error.status === 404))
      console.error(`[storefront] reading subscription ${id}: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/**
 * The subscription as GET /v1/subscriptions/{id} shows it, once its workflow has recorded the
 * checkout's charge in the ledger (its state: Captured, or Authorized until captured), so "paid
 * today" can say how it stands; with a free trial nothing is waited for. Gives up after
 * `timeoutMs`, or at once if the read fails, with what it has: the subscription started all the
 * same, and the page names the charge without its state. The next billing date needs no wait:
 * complete answered it.
 */
async function settled(api: BillingApi, done: CompletedCheckout, timeoutMs: number): Promise<SubscriptionDetails> {
  const deadline = Date.now() + timeoutMs;
  let details: SubscriptionDetails = { subscription: done.subscription, live: null, charges: [] };
  for (;;) {
    try {
      details = await api.getSubscription(done.subscription.id);
    } catch (error) {
      console.error(`[storefront] reading subscription ${done.subscription.id}: ${error instanceof Error ? error.message : String(error)}`);
      return details;
    }
    const recorded = done.chargeId === null || details.charges.some((c) => c.chargeId === done.chargeId);
    if (recorded || Date.now() >= deadline) return details;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The catalogue's plan with the subscription's terms (the daemon's word, not the URL's). */
function planOf({ subscription: s }: SubscriptionDetails): Plan | undefined {
  return PLANS.find(
    (p) =>
      p.price.amount === s.plan.price.amount &&
      p.price.currency === s.plan.price.currency &&
      p.interval.unit === s.plan.interval.unit &&
      p.interval.count === s.plan.interval.count &&
      (p.trial?.count ?? null) === (s.trial?.count ?? null),
  );
}
