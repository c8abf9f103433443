import { createPrivateKey } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { signButtonPayload } from '../../../amazonpay/button-signature.js';
import { KEY_ID, KEYS, startHarness, type Harness } from './support/harness.js';
import { postBuyerPage, recurringSessionBody } from './support/checkout.js';
import { approveAsBuyer, cancelAsBuyerOnPage } from '../../../simulator/buyer-client.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

const privateKey = createPrivateKey(KEYS.privateKeyPem);
const sessions = () => Object.values(h!.sim.runtime.engine.state.checkoutSessions);

async function clickButton(fields: Record<string, string>) {
  return postBuyerPage(`${h!.sim.url}/checkout/start`, fields);
}

describe('the Amazon Pay button entry (/checkout/start)', () => {
  it('verifies the signed payload, creates the session and sends the buyer to sign in, then to the review URL', async () => {
    h = await startHarness();
    const config = signButtonPayload(recurringSessionBody(), { publicKeyId: KEY_ID, privateKey });
    const started = await clickButton({ ...config });
    expect(started.status).toBe(303);
    const [session] = sessions();
    expect(session).toMatchObject({ origin: 'button', environment: 'Sandbox', chargePermissionType: 'Recurring' });
    expect(started.location).toBe(`${h.sim.url}/checkout/processing?amazonCheckoutSessionId=${session!.checkoutSessionId}&step=signin`);
    // Standard checkout: after sign-in the buyer goes to the review URL, the payment is not approved yet.
    const signedIn = await postBuyerPage(started.location!, { cardSuffix: '1111', save: 'yes' });
    expect(signedIn.location).toBe(`http://localhost:9/review?amazonCheckoutSessionId=${session!.checkoutSessionId}`);
    expect(session!.buyer).toEqual({ cardSuffix: '1111', consentToSave: true, approved: false });
    // Then amazonPayRedirectUrl: the payment step approves and returns to the result URL, keeping its query.
    const paid = await postBuyerPage(`${h.sim.url}/checkout/processing?amazonCheckoutSessionId=${session!.checkoutSessionId}`, {
      cardSuffix: '1111',
      save: 'yes',
    });
    expect(paid.location).toBe(`http://127.0.0.1:9/result?order=42&amazonCheckoutSessionId=${session!.checkoutSessionId}`);
    expect(h.sim.runtime.engine.state.checkoutSessions[session!.checkoutSessionId]!.buyer?.approved).toBe(true);
  });

  it.each([
    ['a changed payload', (c: Record<string, string>) => ({ ...c, payloadJSON: c['payloadJSON']!.replace('9.99', '0.01') }), /does not verify/],
    [
      'a V2 signature sent without algorithm (read as V1)',
      (c: Record<string, string>) => ({ payloadJSON: c['payloadJSON']!, signature: c['signature']!, publicKeyId: c['publicKeyId']! }),
      /with AMZN-PAY-RSASSA-PSS and/,
    ],
    ['an unknown key', (c: Record<string, string>) => ({ ...c, publicKeyId: 'SANDBOX-UNKNOWN' }), /not registered/],
    ['no signature', (c: Record<string, string>) => ({ ...c, signature: '' }), /signature is empty/],
  ])('refuses %s with a page saying why, and creates no session', async (_name, tamper, message) => {
    h = await startHarness();
    const config = signButtonPayload(recurringSessionBody(), { publicKeyId: KEY_ID, privateKey });
    const refused = await clickButton(tamper({ ...config }));
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('No Checkout Session was created');
    expect(refused.html).toMatch(message);
    expect(sessions()).toEqual([]);
  });

  it('accepts a V1 signature without algorithm, and refuses a signed payload that is not a valid session', async () => {
    h = await startHarness();
    const v1 = signButtonPayload(recurringSessionBody(), { publicKeyId: KEY_ID, privateKey, algorithm: 'AMZN-PAY-RSASSA-PSS' });
    expect((await clickButton({ payloadJSON: v1.payloadJSON, signature: v1.signature, publicKeyId: v1.publicKeyId })).status).toBe(303);
    const invalid = signButtonPayload({ storeId: 'nope' }, { publicKeyId: KEY_ID, privateKey });
    const refused = await clickButton({ ...invalid });
    expect([refused.status, refused.html.includes('InvalidParameterValue')]).toEqual([400, true]);
    expect(sessions()).toHaveLength(1);
  });

  it('ProcessOrder goes straight to the payment step and the result URL', async () => {
    h = await startHarness();
    const body = recurringSessionBody({ webCheckoutDetails: { checkoutMode: 'ProcessOrder', checkoutResultReturnUrl: 'https://shop.example/result' } });
    const started = await clickButton({ ...signButtonPayload(body, { publicKeyId: KEY_ID, privateKey }) });
    expect(started.location).not.toContain('step=signin');
    const paid = await postBuyerPage(started.location!, { cardSuffix: '1111', save: 'no' });
    expect(paid.location).toMatch(/^https:\/\/shop\.example\/result\?amazonCheckoutSessionId=/);
  });

  it('serves checkout.js with amazon.Pay.renderButton posting to /checkout/start', async () => {
    h = await startHarness();
    const res = await fetch(`${h.sim.url}/checkout.js`);
    const js = await res.text();
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(js).toContain('renderButton');
    expect(js).toContain(JSON.stringify(`${h.sim.url}/checkout/start`));
  });
});

describe('the buyer page', () => {
  it('shows the terms (merchant, amount now, amount and frequency later) and escapes what the merchant sent', async () => {
    h = await startHarness();
    const body = recurringSessionBody({
      merchantMetadata: { merchantStoreName: '<script>alert(1)</script>', noteToBuyer: '"quoted" & <b>bold</b>' },
      recurringMetadata: { frequency: { unit: 'Week', value: '2' }, amount: { amount: '4.50', currencyCode: 'USD' } },
    });
    const created = await h.api.call('POST', '/checkoutSessions', body, { idempotencyKey: 'page-1' });
    const page = await fetch(created.body.webCheckoutDetails.amazonPayRedirectUrl);
    const html = await page.text();
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(html).toContain('9.99 USD');
    expect(html).toContain('4.50 USD every 2 weeks, until you cancel');
    expect(html).toMatch(/name="save" value="yes"/);
    expect(html).toContain('****3434');
  });

  it('a OneTime session asks no consent; a missing choice re-shows the page with the reason', async () => {
    h = await startHarness();
    const oneTime = recurringSessionBody({ chargePermissionType: 'OneTime', recurringMetadata: null });
    const created = await h.api.call('POST', '/checkoutSessions', oneTime, { idempotencyKey: 'page-2' });
    const url = created.body.webCheckoutDetails.amazonPayRedirectUrl as string;
    expect(await (await fetch(url)).text()).not.toContain('name="save"');
    const recurring = await h.api.call('POST', '/checkoutSessions', recurringSessionBody(), { idempotencyKey: 'page-3' });
    const refused = await postBuyerPage(recurring.body.webCheckoutDetails.amazonPayRedirectUrl, { cardSuffix: '1111' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Say whether to save the payment method');
    expect((await postBuyerPage(url, { cardSuffix: '9999' })).html).toContain('Choose one of the sandbox payment methods');
  });

  it('says so for an unknown or finished checkout', async () => {
    h = await startHarness();
    const missing = await fetch(`${h.sim.url}/checkout/processing?amazonCheckoutSessionId=nope`);
    expect(missing.status).toBe(404);
    const created = await h.api.call('POST', '/checkoutSessions', recurringSessionBody(), { idempotencyKey: 'page-4' });
    const url = created.body.webCheckoutDetails.amazonPayRedirectUrl as string;
    await postBuyerPage(url, { action: 'cancel' });
    const after = await fetch(url);
    expect(after.status).toBe(409);
    expect(await after.text()).toContain('This checkout is Canceled (BuyerCanceled)');
  });

  it('buyer-client approves or cancels without a browser, and reports the page’s refusal', async () => {
    h = await startHarness();
    const make = async (key: string) => (await h!.api.call('POST', '/checkoutSessions', recurringSessionBody(), { idempotencyKey: key })).body;
    const a = await make('client-1');
    expect(await approveAsBuyer(a.webCheckoutDetails.amazonPayRedirectUrl, { save: false })).toBe(
      `http://127.0.0.1:9/result?order=42&amazonCheckoutSessionId=${a.checkoutSessionId}`,
    );
    expect(h.sim.runtime.engine.state.checkoutSessions[a.checkoutSessionId]!.buyer).toEqual({ cardSuffix: '1111', consentToSave: false, approved: true });
    await expect(approveAsBuyer(a.webCheckoutDetails.amazonPayRedirectUrl, { cardSuffix: '0000' })).rejects.toThrow(
      /^the buyer page refused: Choose one of the sandbox payment methods/,
    );
    const b = await make('client-2');
    expect(await cancelAsBuyerOnPage(b.webCheckoutDetails.amazonPayRedirectUrl)).toContain(`amazonCheckoutSessionId=${b.checkoutSessionId}`);
    await expect(cancelAsBuyerOnPage(b.webCheckoutDetails.amazonPayRedirectUrl)).rejects.toThrow(/HTTP 409/);
  });
});
