// The sample storefront's return page for the daemon's problems it must not call final: a buyer who
// paid again for a checkout an earlier session completed (checkout-completed-by-another-session:
// nothing more charged, the subscription is active) and a throttled or briefly unavailable daemon
// (429/5xx: reload finishes the checkout). The daemon is a stand-in HTTP server answering RFC 9457
// problems as docs/api.md documents them; the storefront reads their `type`, never their text.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorefront, type Storefront } from '../../../examples/storefront/server.js';

const PROBLEM = 'urn:amazon-pay-billing:problem:';
const SESSION = 'bd504926-f659-4ad7-a1a9-9a747aaf5275';

/** What the stand-in daemon answers to complete (and to GET /v1/subscriptions/shop-1). */
let completeAnswer: { status: number; body: Record<string, unknown> };
let subscriptionAnswer: { status: number; body: Record<string, unknown> };

const active = {
  subscription: {
    id: 'shop-1',
    status: 'active',
    plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month', count: 1 } },
    trial: null,
    anchor: { localDateTime: '2027-01-31T09:00:00', zone: 'UTC' },
  },
  live: { status: 'active' },
  charges: [],
};
const notFound = { status: 404, body: { type: `${PROBLEM}not-found`, title: 'Not found', status: 404, detail: 'no subscription shop-1' } };

describe('storefront return page: problems that are not the end of the checkout', () => {
  let daemon: Server;
  let storefront: Storefront;
  beforeAll(async () => {
    daemon = createServer((request, response) => {
      const answer = request.url?.startsWith('/v1/subscriptions/') ? subscriptionAnswer : completeAnswer;
      response.writeHead(answer.status, { 'content-type': answer.status < 300 ? 'application/json' : 'application/problem+json' });
      response.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => daemon.listen(0, '127.0.0.1', resolve));
    const { port } = daemon.address() as AddressInfo;
    storefront = await startStorefront({ apiUrl: `http://127.0.0.1:${port}`, apiKey: 'k', checkoutJsUrl: 'http://127.0.0.1:1/checkout.js' });
  });
  afterAll(async () => {
    await storefront?.close();
    await new Promise((resolve) => daemon?.close(resolve));
  });

  const returnPage = async () => {
    const response = await fetch(`${storefront.url}/return?amazonCheckoutSessionId=${SESSION}`);
    return { status: response.status, html: await response.text() };
  };
  const conflict = (type: string, extra: Record<string, unknown> = {}) => ({
    status: 409,
    body: { type: `${PROBLEM}${type}`, title: 't', status: 409, detail: `Subscription shop-1 is started (or being started) by Checkout Session x`, ...extra },
  });

  it('paid again after an earlier session started the subscription: active, nothing more charged', async () => {
    completeAnswer = conflict('checkout-completed-by-another-session', { subscriptionId: 'shop-1' });
    subscriptionAnswer = { status: 200, body: active };
    const page = await returnPage();
    expect(page.status).toBe(200);
    expect(page.html).toContain('Your subscription is already active');
    expect(page.html).toMatch(/nothing more was charged/);
    expect(page.html).toMatch(/id="subscription-id">shop-1</);
    expect(page.html).not.toMatch(/Nothing more will happen|could not start/);
  });

  it('paid again while the earlier session is still starting it: being set up, nothing more charged, reload', async () => {
    completeAnswer = conflict('checkout-completed-by-another-session', { subscriptionId: 'shop-1' });
    subscriptionAnswer = notFound;
    const page = await returnPage();
    expect(page.html).toContain('Your subscription is being set up');
    expect(page.html).toMatch(/Nothing more was charged.*Reload this page/s);
  });

  it.each([
    [503, 'service-unavailable'],
    [429, 'too-many-requests'],
    [500, 'internal'],
  ])('%i %s: still being set up, reload in a moment; never "nothing more will happen"', async (status, type) => {
    completeAnswer = { status, body: { type: `${PROBLEM}${type}`, title: 't', status, detail: 'Amazon Pay did not answer' } };
    const page = await returnPage();
    expect(page.status).toBe(status);
    expect(page.html).toContain('Your subscription is still being set up');
    expect(page.html).toMatch(/reload this page in a moment/);
    expect(page.html).not.toMatch(/Nothing more will happen/);
  });

  it('502 upstream-refused (Amazon Pay refused outright): final, a reload would only repeat it', async () => {
    completeAnswer = { status: 502, body: { type: `${PROBLEM}upstream-refused`, title: 't', status: 502, detail: 'Amazon Pay refused' } };
    expect((await returnPage()).html).toContain('Nothing more will happen with this checkout');
  });

  it('a conflict the daemon says clears by itself (Retry-After) is also "reload"; any other conflict stays final', async () => {
    completeAnswer = conflict('conflict', { retryAfterSeconds: 2 });
    expect((await returnPage()).html).toContain('Your subscription is still being set up');
    completeAnswer = conflict('conflict');
    expect((await returnPage()).html).toContain('Nothing more will happen with this checkout');
  });
});
