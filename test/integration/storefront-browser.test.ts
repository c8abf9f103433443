// Issue 18's sample storefront (examples/storefront) in a real Chromium against the real stack:
// the daemon with its workers on the test Temporal server, PostgreSQL, the Amazon Pay simulator
// (its checkout.js button and buyer page) and the storefront's own server talking to the daemon's
// HTTP API. The buyer picks a plan, clicks the Amazon Pay button, decides on the simulator's buyer
// page and lands on the storefront's return (or cancel) page; the test then checks what the page
// says against PostgreSQL and Amazon Pay.
// (docs/images/storefront-*.png come from the same path through scripts/screenshot-storefront.ts.)
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmazonPayClient, type AmazonPayClient } from '../../amazonpay/client.js';
import { listApiKeys } from '../../client/api-keys.js';
import { listCharges } from '../../db/queries/charges.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { SIMULATOR_MERCHANT_ID } from '../../devstack/sandbox-credentials.js';
import { checkoutJsUrl, DEV_STOREFRONT_KEY_NAME, startDevStorefront } from '../../devstack/storefront.js';
import { startStorefront, type Storefront } from '../../examples/storefront/server.js';
import { eventually } from '../support/billing-harness.js';
import { BROWSER_SETUP_TIMEOUT_MS, launchChromium } from '../support/browser.js';
import { newKey } from './api-support.js';
import { startDaemonStack, type DaemonStack } from './ipn-support.js';

const DAY_MS = 86_400_000;

describe('the sample storefront in Chromium: plan → Amazon Pay button → buyer page → return page', () => {
  let stack: DaemonStack;
  let browser: Browser;
  let storefront: Storefront;
  let amazon: AmazonPayClient;
  let apiKey: string;
  /** Every URL the browser asked for: the daemon's API must not be among them. */
  const browserRequests: string[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startDaemonStack(), launchChromium()]);
    apiKey = await newKey(stack.database.db, 'storefront');
    storefront = await startStorefront({ apiUrl: stack.daemon.apiUrl, apiKey, checkoutJsUrl: `${stack.sim.simulator.url}/checkout.js` });
    amazon = createAmazonPayClient(stack.sim.amazonPay);
  }, BROWSER_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    amazon?.close();
    await browser?.close();
    await storefront?.close();
    await stack?.close();
  });

  async function newPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    page.on('request', (request) => browserRequests.push(request.url()));
    page.setDefaultTimeout(15_000);
    return page;
  }

  /** The plan page → Subscribe → the checkout page → the Amazon Pay button: the buyer page. Returns the order (subscription) id the page shows. */
  async function toBuyerPage(page: Page, planId: string): Promise<string> {
    await page.goto(storefront.url);
    await page.locator(`#plan-${planId}`).getByRole('button', { name: 'Subscribe' }).click();
    await page.waitForURL(`${storefront.url}/checkout/${planId}?**`);
    const order = await page.locator('#order').innerText();
    expect(await page.content()).not.toContain(apiKey);
    expect(await page.content()).not.toContain('bk_'); // no API key at all
    // The button got the merchant's merchantId (checkout.js, like Amazon's, draws none without it).
    expect(await page.locator('[data-amazon-pay-button]').getAttribute('data-merchant-id')).toBe(SIMULATOR_MERCHANT_ID);
    await page.getByRole('button', { name: 'Amazon Pay' }).click();
    await page.waitForURL(/\/checkout\/processing\?amazonCheckoutSessionId=[^&]+$/);
    return order;
  }

  /** The buyer page: a sandbox card (default …1111), save it or not, submit; waits for the storefront's return page. */
  async function decide(page: Page, save: boolean, submit: 'Pay now' | 'Agree and continue', card = '1111'): Promise<string> {
    await page.getByLabel(`Visa ****${card}`).check();
    await page.getByLabel(save ? /Yes: save it/ : /No: use it/).check();
    await page.getByRole('button', { name: submit }).click();
    await page.waitForURL(`${storefront.url}/return?amazonCheckoutSessionId=**`);
    return new URL(page.url()).searchParams.get('amazonCheckoutSessionId')!;
  }

  it('consent: the subscription runs, cycle 0 paid at checkout with its ChargeId in the ledger, the next billing date a month on', async () => {
    const page = await newPage();
    await page.goto(storefront.url);
    const subscriptionId = await toBuyerPage(page, 'coffee-monthly');
    await expect(page.locator('#terms').innerText()).resolves.toMatch(/Storefront Coffee & Tea[\s\S]*14\.00 USD[\s\S]*14\.00 USD every month/);
    const sessionId = await decide(page, true, 'Pay now');

    expect(await page.locator('#subscription-id').innerText()).toBe(subscriptionId);
    expect(await page.locator('#status').innerText()).toBe('active');
    const chargeId = await page.locator('#charge-id').innerText();
    expect(await page.locator('#paid-today').innerText()).toBe(`14.00 USD (Amazon Pay charge ${chargeId}, Captured)`);
    const next = Date.parse((await page.locator('#next-billing time').getAttribute('datetime'))!);
    expect(next - Date.now()).toBeGreaterThan(27 * DAY_MS);
    expect(next - Date.now()).toBeLessThan(32 * DAY_MS);

    // What the page says is what PostgreSQL and Amazon Pay have: the date complete answered is the one the workflow plans.
    const row = await eventually(
      () => getSubscription(stack.database.db, subscriptionId),
      (r) => r?.nextBillingAt != null,
      { what: 'cycle 1 planned' },
    );
    expect(row).toMatchObject({ status: 'active', firstChargeId: chargeId });
    expect(row!.nextBillingAt?.getTime()).toBe(next);
    const ledger = await listCharges(stack.database.db, subscriptionId);
    expect(ledger.map((c) => [c.cycle, c.attempt, c.chargeId, c.state])).toEqual([[0, 0, chargeId, 'Captured']]);
    const session = await amazon.getCheckoutSession(sessionId);
    expect(session.kind === 'ok' && session.body).toMatchObject({ chargeId, statusDetails: { state: 'Completed' } });
    const charged = (await stack.sim.control.charges()).filter((c) => c.chargePermissionId === row!.chargePermissionId);
    expect(charged.map((c) => [c.chargeId, c.state])).toEqual([[chargeId, 'Captured']]);

    // A reload of the return page completes again: the same subscription, nothing charged twice.
    await page.reload();
    expect(await page.locator('#charge-id').innerText()).toBe(chargeId);
    expect((await stack.sim.control.charges()).filter((c) => c.chargePermissionId === row!.chargePermissionId)).toHaveLength(1);
    // The browser never called the daemon's API: the storefront's server did, with its key.
    expect(browserRequests.filter((url) => url.startsWith(stack.daemon.apiUrl))).toEqual([]);
    await page.close();
  });

  it('"do not save": Amazon Pay makes a OneTime Charge Permission, nothing starts, and the page says why and what to do', async () => {
    const page = await newPage();
    const subscriptionId = await toBuyerPage(page, 'coffee-monthly');
    const sessionId = await decide(page, false, 'Pay now');

    expect(await page.locator('h1').innerText()).toBe('Your subscription did not start');
    expect(await page.locator('#why').innerText()).toBe(
      'You chose not to save your payment method with Amazon Pay, so we cannot bill the next periods and no subscription was started.',
    );
    const session = await amazon.getCheckoutSession(sessionId);
    const chargeId = session.kind === 'ok' ? session.body.chargeId : null;
    expect(chargeId).toEqual(expect.any(String));
    expect(await page.locator('#charge').innerText()).toBe(
      `The payment made today (Amazon Pay charge ${chargeId}) covers this one order only; it will not renew.`,
    );
    expect(await page.locator('#what-to-do').innerText()).toMatch(/choose your plan again and, when Amazon Pay asks, answer Yes to saving your payment method/);

    expect(await getSubscription(stack.database.db, subscriptionId)).toBeUndefined();
    expect(await listCharges(stack.database.db, subscriptionId)).toEqual([]);
    const permission = session.kind === 'ok' ? await amazon.getChargePermission(session.body.chargePermissionId!) : null;
    expect(permission?.kind === 'ok' && permission.body.chargePermissionType).toBe('OneTime');
    await page.close();
  });

  it('the buyer cancels on the Amazon Pay page: back at the storefront, nothing charged, nothing started', async () => {
    const page = await newPage();
    const subscriptionId = await toBuyerPage(page, 'coffee-monthly');
    await page.getByRole('button', { name: /^Cancel and return/ }).click();
    await page.waitForURL(`${storefront.url}/cancelled?amazonCheckoutSessionId=**`);
    expect(await page.locator('#cancelled').innerText()).toBe('You cancelled on the Amazon Pay page. Nothing was charged and no subscription was started.');

    const session = await amazon.getCheckoutSession(new URL(page.url()).searchParams.get('amazonCheckoutSessionId')!);
    expect(session.kind === 'ok' && session.body).toMatchObject({
      statusDetails: { state: 'Canceled', reasonCode: 'BuyerCanceled' },
      chargeId: null,
      chargePermissionId: null,
      merchantMetadata: { merchantReferenceId: subscriptionId },
    });
    expect(await getSubscription(stack.database.db, subscriptionId)).toBeUndefined();
    await page.close();
  });

  it('free trial (Confirm): nothing charged at checkout, the first cycle is billed when the 14-day trial ends', async () => {
    const page = await newPage();
    const subscriptionId = await toBuyerPage(page, 'tea-weekly-trial');
    await expect(page.locator('#terms').innerText()).resolves.toMatch(/4\.50 USD every week/);
    const sessionId = await decide(page, true, 'Agree and continue');

    expect(await page.locator('#status').innerText()).toBe('trialing');
    expect(await page.locator('#paid-today').innerText()).toBe('nothing (free trial)');
    const next = Date.parse((await page.locator('#next-billing time').getAttribute('datetime'))!);
    expect(Math.abs(next - (Date.now() + 14 * DAY_MS))).toBeLessThan(DAY_MS / 24);

    const session = await amazon.getCheckoutSession(sessionId);
    expect(session.kind === 'ok' && session.body).toMatchObject({
      chargeId: null,
      paymentDetails: { paymentIntent: 'Confirm' },
      statusDetails: { state: 'Completed' },
    });
    const row = await eventually(
      () => getSubscription(stack.database.db, subscriptionId),
      (r) => r?.nextBillingAt != null,
      { what: 'cycle 0 planned at the trial end' },
    );
    expect(row).toMatchObject({ firstChargeId: null, currentCycle: 0 });
    expect(row!.nextBillingAt?.getTime()).toBe(next);
    expect(await listCharges(stack.database.db, subscriptionId)).toEqual([]);
    expect((await stack.sim.control.charges()).filter((c) => c.chargePermissionId === row!.chargePermissionId)).toEqual([]);
    await page.close();
  });

  it('a declined card (…3434): the return page says the payment was declined and nothing started', async () => {
    const page = await newPage();
    const subscriptionId = await toBuyerPage(page, 'coffee-monthly');
    const sessionId = await decide(page, true, 'Pay now', '3434');
    expect(await page.locator('h1').innerText()).toBe('Payment declined');
    expect(await page.locator('#why').innerText()).toMatch(/^Amazon Pay declined the payment\. Nothing was charged/);
    const session = await amazon.getCheckoutSession(sessionId);
    expect(session.kind === 'ok' && session.body).toMatchObject({ statusDetails: { state: 'Canceled', reasonCode: 'Declined' }, chargeId: null });
    expect(await getSubscription(stack.database.db, subscriptionId)).toBeUndefined();
    await page.close();
  });

  it("a bad zone or session id, before any checkout: the page shows the daemon's one-line problem, nothing is started", async () => {
    const page = await newPage();
    await page.goto(`${storefront.url}/checkout/coffee-monthly?zone=Mars/Olympus`);
    expect(await page.locator('h1').innerText()).toBe('We could not start your subscription');
    expect(await page.locator('#why').innerText()).toMatch(/^Nothing was charged\./);
    expect(await page.locator('#detail').innerText()).toBe(
      'zone must be an IANA time zone name known to this runtime, such as "America/New_York", "Europe/Berlin" or "UTC", got "Mars/Olympus"',
    );
    expect(await page.getByRole('button', { name: 'Amazon Pay' }).count()).toBe(0);

    await page.goto(`${storefront.url}/return?amazonCheckoutSessionId=S01-1234567-1234567`);
    expect(await page.locator('h1').innerText()).toBe('We could not start your subscription');
    expect(await page.locator('#detail').innerText()).toMatch(
      /^params\.id must be the amazonCheckoutSessionId Amazon Pay appended to your return URL, a UUID such as .*, got "S01-1234567-1234567"$/,
    );
    await page.close();
  });

  it("npm run dev's storefront has a key of its own per start; the previous start's key is revoked", async () => {
    const input = {
      databaseUrl: stack.database.url,
      apiUrl: stack.daemon.apiUrl,
      port: 0,
      checkoutJsUrl: checkoutJsUrl({ simulatorUrl: stack.sim.simulator.url }),
    };
    const first = await startDevStorefront(input);
    const second = await startDevStorefront(input);
    try {
      const keys = (await listApiKeys({ db: stack.database.db, now: () => new Date() })).filter((k) => k.name === DEV_STOREFRONT_KEY_NAME);
      expect(keys.filter((k) => k.revokedAt === null)).toHaveLength(1);
      expect(keys).toHaveLength(2);
      const page = await fetch(`${second.url}/checkout/coffee-monthly?zone=Europe/Berlin`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(`<script src="${stack.sim.simulator.url}/checkout.js"></script>`);
      const revoked = await fetch(`${first.url}/checkout/coffee-monthly`);
      expect(revoked.status).toBe(401);
      expect(await revoked.text()).toContain('We could not start your subscription');
    } finally {
      await first.close();
      await second.close();
    }
  });
});
