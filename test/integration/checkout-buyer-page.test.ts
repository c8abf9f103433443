// The simulator's buyer page driven in a real Chromium: a Checkout Session created through the
// signed API, the buyer's choices on the page, the return to the merchant's URL with
// amazonCheckoutSessionId, and Complete through the API.
import { createPrivateKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signButtonPayload } from '../../amazonpay/button-signature.js';
import { formatPayDate, signRequest } from '../../amazonpay/signing.js';
import { SIMULATOR_MERCHANT_ID } from '../../simulator/ids.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { BROWSER_SETUP_TIMEOUT_MS, launchChromium } from '../support/browser.js';

const KEY_ID = 'SANDBOX-CHECKOUTBROWSERTEST0000';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKey = createPrivateKey(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const STORE_ID = 'amzn1.application-oa2-client.browsertest';

let browser: Browser;
let sim: Simulator;
let shop: Server;
let shopUrl: string;
/** The merchant pages the buyer returned to: path and amazonCheckoutSessionId. */
const returns: Array<{ path: string; checkoutSessionId: string | null }> = [];
/** HTML the merchant's page serves at /pay (the button test sets it). */
let payPage = '';

beforeAll(async () => {
  browser = await launchChromium();
  sim = await startSimulator({ publicKeys: { [KEY_ID]: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() }, throttle: { table: 'off' } });
  shop = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    if (url.pathname === '/pay') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(payPage);
      return;
    }
    // Chromium asks for the icon of the page it landed on, sometimes after the test looked: not a return.
    if (url.pathname === '/favicon.ico') {
      res.writeHead(404).end();
      return;
    }
    returns.push({ path: url.pathname, checkoutSessionId: url.searchParams.get('amazonCheckoutSessionId') });
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>Back at the shop: ${url.pathname}</h1>`);
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
}, BROWSER_SETUP_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await sim?.close();
  await new Promise<void>((resolve) => (shop ? shop.close(() => resolve()) : resolve()));
});

/** A signed Amazon Pay API call, signed by the product's own signer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
async function api(method: string, resource: string, body?: unknown, idempotencyKey?: string): Promise<{ status: number; body: any }> {
  const path = `/v2${resource}`;
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/json',
    'x-amz-pay-date': formatPayDate(new Date()),
    'x-amz-pay-host': new URL(sim.url).host,
    'x-amz-pay-region': 'na',
    ...(idempotencyKey ? { 'x-amz-pay-idempotency-key': idempotencyKey } : {}),
  };
  const { authorization } = signRequest({ method, path, headers, body: text }, { publicKeyId: KEY_ID, privateKey, algorithm: 'AMZN-PAY-RSASSA-PSS-V2' });
  const response = await fetch(`${sim.url}${path}`, { method, headers: { ...headers, authorization }, body: text === '' ? undefined : text });
  return { status: response.status, body: await response.json() };
}

function sessionBody(): Record<string, unknown> {
  return {
    storeId: STORE_ID,
    webCheckoutDetails: {
      checkoutReviewReturnUrl: `${shopUrl}/review`,
      checkoutResultReturnUrl: `${shopUrl}/result`,
      checkoutCancelUrl: `${shopUrl}/cancelled`,
    },
    paymentDetails: { paymentIntent: 'AuthorizeWithCapture', chargeAmount: { amount: '12.00', currencyCode: 'USD' } },
    chargePermissionType: 'Recurring',
    recurringMetadata: { frequency: { unit: 'Month', value: '1' }, amount: { amount: '12.00', currencyCode: 'USD' } },
    merchantMetadata: { merchantStoreName: 'Browser Test Coffee' },
  };
}

async function createSession(): Promise<{ id: string; redirectUrl: string }> {
  const created = await api('POST', '/checkoutSessions', sessionBody(), randomUUID().replace(/-/g, ''));
  expect(created.status).toBe(201);
  return { id: created.body.checkoutSessionId, redirectUrl: created.body.webCheckoutDetails.amazonPayRedirectUrl };
}

async function approveOnPage(page: Page, redirectUrl: string, save: 'Yes' | 'No'): Promise<URL> {
  await page.goto(redirectUrl);
  await expect(page.locator('#terms').innerText()).resolves.toMatch(/Browser Test Coffee[\s\S]*12\.00 USD[\s\S]*12\.00 USD every month/);
  await page.getByLabel('Visa ****1111').check();
  await page.getByLabel(new RegExp(`${save}: (save it|use it)`)).check();
  await page.getByRole('button', { name: 'Pay now' }).click();
  await page.waitForURL(`${shopUrl}/result?**`);
  return new URL(page.url());
}

describe('the buyer page in Chromium', () => {
  it('consent to save → back at the result URL with amazonCheckoutSessionId → Complete gives a Recurring permission and a Captured charge', async () => {
    const { id, redirectUrl } = await createSession();
    const page = await browser.newPage();
    const landed = await approveOnPage(page, redirectUrl, 'Yes');
    expect(landed.searchParams.get('amazonCheckoutSessionId')).toBe(id);
    expect(returns.at(-1)).toEqual({ path: '/result', checkoutSessionId: id });
    await page.close();

    const completed = await api('POST', `/checkoutSessions/${id}/complete`, { chargeAmount: { amount: '12.00', currencyCode: 'USD' } });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ chargePermissionType: 'Recurring', statusDetails: { state: 'Completed' } });
    const cp = await api('GET', `/chargePermissions/${completed.body.chargePermissionId}`);
    expect(cp.body).toMatchObject({ chargePermissionType: 'Recurring', recurringMetadata: { frequency: { unit: 'Month', value: '1' } } });
    const charge = await api('GET', `/charges/${completed.body.chargeId}`);
    expect(charge.body.statusDetails.state).toBe('Captured');
  });

  it('"do not save" → the permission is OneTime', async () => {
    const { id, redirectUrl } = await createSession();
    const page = await browser.newPage();
    await approveOnPage(page, redirectUrl, 'No');
    await page.close();
    const completed = await api('POST', `/checkoutSessions/${id}/complete`, { chargeAmount: { amount: '12.00', currencyCode: 'USD' } });
    expect(completed.body.chargePermissionType).toBe('OneTime');
    expect((await api('GET', `/chargePermissions/${completed.body.chargePermissionId}`)).body.chargePermissionType).toBe('OneTime');
  });

  it('cancel → back at the cancel URL; the session is Canceled/BuyerCanceled and nothing is charged', async () => {
    const { id, redirectUrl } = await createSession();
    const page = await browser.newPage();
    await page.goto(redirectUrl);
    await page.getByRole('button', { name: /^Cancel/ }).click();
    await page.waitForURL(`${shopUrl}/cancelled?**`);
    expect(new URL(page.url()).searchParams.get('amazonCheckoutSessionId')).toBe(id);
    await page.close();
    const session = await api('GET', `/checkoutSessions/${id}`);
    expect(session.body.statusDetails).toMatchObject({ state: 'Canceled', reasonCode: 'BuyerCanceled' });
    expect((await api('POST', `/checkoutSessions/${id}/complete`, { chargeAmount: { amount: '12.00', currencyCode: 'USD' } })).body.reasonCode).toBe(
      'CheckoutSessionCanceled',
    );
  });

  it('the merchant page’s button (the simulator’s checkout.js with a signed payload) opens sign-in, then the review URL', async () => {
    const config = signButtonPayload(sessionBody(), { publicKeyId: KEY_ID, privateKey });
    payPage = `<!doctype html><div id="AmazonPayButton"></div><script src="${sim.url}/checkout.js"></script>
<script>amazon.Pay.renderButton('#AmazonPayButton', { merchantId: ${JSON.stringify(SIMULATOR_MERCHANT_ID)}, ledgerCurrency: 'USD', placement: 'Cart', createCheckoutSessionConfig: ${JSON.stringify(config)} });</script>`;
    const page = await browser.newPage();
    await page.goto(`${shopUrl}/pay`);
    await page.getByRole('button', { name: 'Amazon Pay' }).click();
    await page.waitForURL(/\/checkout\/processing\?amazonCheckoutSessionId=.*&step=signin$/);
    await page.getByLabel('Visa ****1111').check();
    await page.getByLabel(/Yes: save it/).check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${shopUrl}/review?**`);
    const id = new URL(page.url()).searchParams.get('amazonCheckoutSessionId');
    await page.close();
    const session = await api('GET', `/checkoutSessions/${id}`);
    expect(session.body).toMatchObject({ statusDetails: { state: 'Open' }, constraints: [], paymentPreferences: [{ paymentDescriptor: 'Visa ****1111' }] });
  });

  it("draws no button without the merchant's merchantId, as Amazon's checkout.js: it says why in the button's place", async () => {
    const config = signButtonPayload(sessionBody(), { publicKeyId: KEY_ID, privateKey });
    for (const merchantId of [null, 'A2OTHERMERCHANT']) {
      payPage = `<!doctype html><div id="AmazonPayButton"></div><script src="${sim.url}/checkout.js"></script>
<script>amazon.Pay.renderButton('#AmazonPayButton', { merchantId: ${JSON.stringify(merchantId)}, ledgerCurrency: 'USD', placement: 'Cart', createCheckoutSessionConfig: ${JSON.stringify(config)} });</script>`;
      const page = await browser.newPage();
      await page.goto(`${shopUrl}/pay`);
      expect(await page.locator('[data-amazon-pay-error]').innerText()).toBe(
        `amazon.Pay.renderButton: merchantId must be the merchant ID of this sandbox account (${SIMULATOR_MERCHANT_ID}), got ${JSON.stringify(merchantId)}`,
      );
      expect(await page.getByRole('button', { name: 'Amazon Pay' }).count()).toBe(0);
      await page.close();
    }
  });
});
