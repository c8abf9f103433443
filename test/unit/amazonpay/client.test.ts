import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAmazonPayClient } from '../../../amazonpay/client.js';
import type { AmazonPayClient } from '../../../amazonpay/client.js';
import { parseAmazonPayConfig } from '../../../amazonpay/config.js';
import { startRecordingServer, unusedLoopbackPort, waitFor } from './support/recording-server.js';
import type { RecordingServer } from './support/recording-server.js';
import { testKeyPair } from './support/test-keys.js';
import { verifyAuthorization } from './support/verify-signature.js';
import { verifyButtonSignature } from '../../../simulator/button-signature.js';

const CP = 'S01-0000000-0000000';
const CHARGE = 'S01-0000000-0000000-C000001';
const SESSION = 'bd504926-f659-4ad7-a1a9-9a747aaf5275';
const FIXED_NOW = new Date('2024-05-06T07:08:09.000Z');

const chargeBody = { chargeId: CHARGE, chargePermissionId: CP, statusDetails: { state: 'Captured' } };
const cpBody = { chargePermissionId: CP, statusDetails: { state: 'Closed', reasons: [{ reasonCode: 'MerchantClosed' }] } };

let server: RecordingServer;
const clients: AmazonPayClient[] = [];

function clientFor(overrides: Record<string, unknown> = {}, baseUrl = server.baseUrl): AmazonPayClient {
  const config = parseAmazonPayConfig({
    publicKeyId: 'SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B',
    privateKey: testKeyPair().privateKeyPem,
    region: 'us',
    endpoint: baseUrl,
    timeoutMs: 2000,
    ...overrides,
  });
  const client = createAmazonPayClient(config, { now: () => FIXED_NOW });
  clients.push(client);
  return client;
}

beforeEach(async () => {
  server = await startRecordingServer();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.close();
});

describe('paths per key style', () => {
  it.each([
    [{ publicKeyId: 'SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B' }, '/v2/charges'],
    [{ publicKeyId: 'LIVE-AFVX7ULWSGBZ5535PCUQOY7B' }, '/v2/charges'],
    [{ publicKeyId: 'AFVX7ULWSGBZ5535PCUQOY7B', environment: 'sandbox' }, '/sandbox/v2/charges'],
    [{ publicKeyId: 'AFVX7ULWSGBZ5535PCUQOY7B', environment: 'live' }, '/live/v2/charges'],
  ])('%j posts Create Charge to %s', async (overrides, path) => {
    server.respondWith(() => ({ status: 201, body: JSON.stringify(chargeBody) }));
    const outcome = await clientFor(overrides).createCharge(
      { chargePermissionId: CP, chargeAmount: { amount: '14.00', currencyCode: 'USD' }, captureNow: true },
      { idempotencyKey: 'sub1-p0-a0' },
    );
    expect(outcome.kind).toBe('ok');
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${path}`]);
  });
});

describe('every operation: method, path, body, signature', () => {
  const cases: {
    name: string;
    call: (c: AmazonPayClient) => Promise<{ kind: string }>;
    method: string;
    path: string;
    body: unknown;
    key?: string;
    response: unknown;
  }[] = [
    {
      name: 'createCharge',
      call: (c) => c.createCharge({ chargePermissionId: CP, chargeAmount: { amount: '500', currencyCode: 'JPY' } }, { idempotencyKey: 'k1' }),
      method: 'POST',
      path: '/v2/charges',
      body: { chargePermissionId: CP, chargeAmount: { amount: '500', currencyCode: 'JPY' } },
      key: 'k1',
      response: chargeBody,
    },
    { name: 'getCharge', call: (c) => c.getCharge(CHARGE), method: 'GET', path: `/v2/charges/${CHARGE}`, body: undefined, response: chargeBody },
    {
      name: 'captureCharge',
      call: (c) => c.captureCharge(CHARGE, { captureAmount: { amount: '10.00', currencyCode: 'USD' } }, { idempotencyKey: 'cap_1' }),
      method: 'POST',
      path: `/v2/charges/${CHARGE}/capture`,
      body: { captureAmount: { amount: '10.00', currencyCode: 'USD' } },
      key: 'cap_1',
      response: chargeBody,
    },
    {
      name: 'cancelCharge',
      call: (c) => c.cancelCharge(CHARGE, { cancellationReason: 'buyer canceled' }),
      method: 'DELETE',
      path: `/v2/charges/${CHARGE}/cancel`,
      body: { cancellationReason: 'buyer canceled' },
      response: chargeBody,
    },
    {
      name: 'getChargePermission',
      call: (c) => c.getChargePermission(CP),
      method: 'GET',
      path: `/v2/chargePermissions/${CP}`,
      body: undefined,
      response: cpBody,
    },
    {
      name: 'updateChargePermission',
      call: (c) => c.updateChargePermission(CP, { merchantMetadata: { merchantReferenceId: 'sub-1' } }),
      method: 'PATCH',
      path: `/v2/chargePermissions/${CP}`,
      body: { merchantMetadata: { merchantReferenceId: 'sub-1' } },
      response: cpBody,
    },
    {
      name: 'closeChargePermission',
      call: (c) => c.closeChargePermission(CP, { closureReason: 'Subscription canceled', cancelPendingCharges: true }),
      method: 'DELETE',
      path: `/v2/chargePermissions/${CP}/close`,
      body: { closureReason: 'Subscription canceled', cancelPendingCharges: true },
      response: cpBody,
    },
    {
      name: 'createRefund',
      call: (c) => c.createRefund({ chargeId: CHARGE, refundAmount: { amount: '1.00', currencyCode: 'USD' } }, { idempotencyKey: 'ref-1' }),
      method: 'POST',
      path: '/v2/refunds',
      body: { chargeId: CHARGE, refundAmount: { amount: '1.00', currencyCode: 'USD' } },
      key: 'ref-1',
      response: { refundId: `${CHARGE}-R1` },
    },
    {
      name: 'getCheckoutSession',
      call: (c) => c.getCheckoutSession(SESSION),
      method: 'GET',
      path: `/v2/checkoutSessions/${SESSION}`,
      body: undefined,
      response: { checkoutSessionId: SESSION },
    },
    {
      name: 'completeCheckoutSession',
      call: (c) => c.completeCheckoutSession(SESSION, { chargeAmount: { amount: '14.00', currencyCode: 'USD' } }, { idempotencyKey: 'k_1' }),
      method: 'POST',
      path: `/v2/checkoutSessions/${SESSION}/complete`,
      body: { chargeAmount: { amount: '14.00', currencyCode: 'USD' } },
      key: 'k_1',
      response: { checkoutSessionId: SESSION },
    },
    {
      name: 'getRefund',
      call: (c) => c.getRefund('S01-1-1-R1'),
      method: 'GET',
      path: '/v2/refunds/S01-1-1-R1',
      body: undefined,
      response: { refundId: 'S01-1-1-R1' },
    },
  ];

  for (const algorithm of ['AMZN-PAY-RSASSA-PSS-V2', 'AMZN-PAY-RSASSA-PSS']) {
    it.each(cases)(`${algorithm}: $name`, async (testCase) => {
      server.respondWith(() => ({ status: 200, body: JSON.stringify(testCase.response), headers: { 'x-amz-pay-request-id': 'req-ok' } }));
      const outcome = await testCase.call(clientFor({ algorithm }));
      expect(outcome).toMatchObject({ kind: 'ok', body: testCase.response, requestId: 'req-ok' });

      expect(server.requests).toHaveLength(1);
      const [request] = server.requests;
      if (request === undefined) throw new Error('no request');
      expect(request.method).toBe(testCase.method);
      expect(request.path).toBe(testCase.path);
      if (testCase.body === undefined) expect(request.body).toBe('');
      else expect(JSON.parse(request.body)).toEqual(testCase.body);

      expect(request.headers).toMatchObject({
        accept: 'application/json',
        'content-type': 'application/json',
        'x-amz-pay-date': '20240506T070809Z',
        'x-amz-pay-host': server.baseUrl.replace('http://', ''),
        'x-amz-pay-region': 'na',
      });
      expect(request.headers['x-amz-pay-idempotency-key']).toBe(testCase.key);

      const verified = verifyAuthorization(request, testKeyPair().publicKey);
      expect(verified).toMatchObject({ algorithm, publicKeyId: 'SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B', valid: true });
      const expectedSigned = ['accept', 'content-type', 'x-amz-pay-date', 'x-amz-pay-host', 'x-amz-pay-region'];
      if (testCase.key !== undefined) expectedSigned.push('x-amz-pay-idempotency-key');
      expect(verified.signedHeaders).toEqual(expectedSigned.sort());
    });
  }

  it('signs a simulation code in sandbox', async () => {
    server.respondWith(() => ({ status: 422, body: JSON.stringify({ reasonCode: 'SoftDeclined', message: 'sim' }) }));
    const outcome = await clientFor().createCharge(
      { chargePermissionId: CP, chargeAmount: { amount: '1.00', currencyCode: 'USD' } },
      { idempotencyKey: 'k', simulationCode: 'SoftDeclined' },
    );
    expect(outcome).toMatchObject({ kind: 'soft_decline', reasonCode: 'SoftDeclined', status: 422 });
    const [request] = server.requests;
    if (request === undefined) throw new Error('no request');
    expect(request.headers['x-amz-pay-simulation-code']).toBe('SoftDeclined');
    const verified = verifyAuthorization(request, testKeyPair().publicKey);
    expect(verified.valid).toBe(true);
    expect(verified.signedHeaders).toContain('x-amz-pay-simulation-code');
  });
});

describe('the Amazon Pay button', () => {
  it("signs a payload with the client's key, so the simulator's check (as Amazon's) verifies it; the key is not in the result", () => {
    const client = clientFor({ storeId: 'amzn1.application-oa2-client.abc123' });
    const payloadJSON = JSON.stringify({ storeId: client.storeId, webCheckoutDetails: { checkoutMode: 'ProcessOrder' } });
    const config = client.signButton(payloadJSON);
    expect(config).toMatchObject({ payloadJSON, publicKeyId: 'SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B', algorithm: 'AMZN-PAY-RSASSA-PSS-V2' });
    expect(() => verifyButtonSignature(config, () => testKeyPair().publicKey)).not.toThrow();
    expect(() => verifyButtonSignature({ ...config, payloadJSON: `${payloadJSON} ` }, () => testKeyPair().publicKey)).toThrow(/does not verify/);
    expect(JSON.stringify(config)).not.toContain('PRIVATE KEY');
    expect(client.storeId).toBe('amzn1.application-oa2-client.abc123');
    expect(clientFor().storeId).toBeNull();
  });
});

describe('refused before sending', () => {
  const body = { chargePermissionId: CP, chargeAmount: { amount: '1.00', currencyCode: 'USD' } };
  it.each([
    ['too long', 'a'.repeat(33)],
    ['dashed UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['bad characters', 'key with spaces'],
    ['empty', ''],
  ])('idempotency key %s', async (_name, key) => {
    const outcome = await clientFor().createCharge(body, { idempotencyKey: key });
    expect(outcome).toMatchObject({ kind: 'invalid_request', status: undefined, reasonCode: 'InvalidIdempotencyKey' });
    expect(server.requests).toHaveLength(0);
  });

  it('accepts exactly 32 characters', async () => {
    server.respondWith(() => ({ status: 201, body: JSON.stringify(chargeBody) }));
    expect((await clientFor().createCharge(body, { idempotencyKey: 'A'.repeat(32) })).kind).toBe('ok');
  });

  it('a simulation code in live', async () => {
    const client = clientFor({ publicKeyId: 'LIVE-AFVX7ULWSGBZ5535PCUQOY7B' });
    const outcome = await client.createCharge(body, { idempotencyKey: 'k', simulationCode: 'HardDeclined' });
    expect(outcome).toMatchObject({ kind: 'invalid_request', reasonCode: 'SimulationCodeInLive' });
    expect(server.requests).toHaveLength(0);
  });

  it('an id that would change the URL path', async () => {
    const outcome = await clientFor().getCharge('../chargePermissions/x');
    expect(outcome).toMatchObject({ kind: 'invalid_request', reasonCode: 'InvalidObjectId' });
    expect(server.requests).toHaveLength(0);
  });

  it('a body that cannot be JSON-encoded', async () => {
    const outcome = await clientFor().createCharge(
      { ...body, chargeAmount: { amount: 1n as unknown as string, currencyCode: 'USD' } },
      { idempotencyKey: 'k' },
    );
    expect(outcome).toMatchObject({ kind: 'invalid_request', reasonCode: 'UnserializableBody' });
    expect(server.requests).toHaveLength(0);
  });
});

describe('failures: classified, never thrown, never retried', () => {
  const body = { chargePermissionId: CP, chargeAmount: { amount: '1.00', currencyCode: 'USD' } };

  it.each([
    [429, 'TooManyRequests', 'throttled'],
    [503, 'ServiceUnavailable', 'transient'],
    [500, 'InternalServerError', 'transient'],
    [422, 'HardDeclined', 'hard_decline'],
  ])('HTTP %i %s → %s after exactly one request, request id surfaced', async (status, reasonCode, kind) => {
    server.respondWith(() => ({ status, body: JSON.stringify({ reasonCode, message: 'm' }), headers: { 'x-amz-pay-request-id': 'req-42' } }));
    const outcome = await clientFor().createCharge(body, { idempotencyKey: 'k' });
    expect(outcome).toMatchObject({ kind, status, reasonCode, message: 'm', requestId: 'req-42' });
    expect(server.requests).toHaveLength(1);
  });

  it('an HTML 502 from a proxy is transient', async () => {
    server.respondWith(() => ({ status: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html' } }));
    const outcome = await clientFor().getChargePermission(CP);
    expect(outcome).toMatchObject({ kind: 'transient', status: 502, mayHaveBeenProcessed: true });
  });

  it('a timeout after sending is transient and may have been processed', async () => {
    server.respondWith(() => ({ status: 0, hang: true }));
    const outcome = await clientFor({ timeoutMs: 200 }).createCharge(body, { idempotencyKey: 'k' });
    expect(outcome).toMatchObject({ kind: 'transient', status: undefined, reasonCode: 'ETIMEDOUT', mayHaveBeenProcessed: true });
    expect(server.requests).toHaveLength(1);
  });

  it('connection refused is transient and provably not processed', async () => {
    const port = await unusedLoopbackPort();
    const outcome = await clientFor({}, `http://127.0.0.1:${port}`).createCharge(body, { idempotencyKey: 'k' });
    expect(outcome).toMatchObject({ kind: 'transient', reasonCode: 'ECONNREFUSED', mayHaveBeenProcessed: false });
  });

  it('a connection dropped mid-request is transient and may have been processed', async () => {
    server.respondWith(() => ({ status: 0, hang: true }));
    const client = clientFor();
    const pending = client.getCharge(CHARGE);
    // Drop the connection once the server has the request: bounded poll, no fixed sleep.
    expect(await waitFor(() => server.requests.length === 1)).toBe(true);
    await server.close();
    const outcome = await pending;
    expect(outcome).toMatchObject({ kind: 'transient', mayHaveBeenProcessed: true });
    server = await startRecordingServer();
  });
});

describe('connection reuse', () => {
  it('reuses one keep-alive socket for sequential calls of one client', async () => {
    server.respondWith(() => ({ status: 200, body: JSON.stringify(cpBody) }));
    const client = clientFor();
    await client.getChargePermission(CP);
    await client.getChargePermission(CP);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.remotePort).toBe(server.requests[1]?.remotePort);
  });
});

describe("clock offset from Amazon's Date header (issue 13 §2)", () => {
  const refusal = JSON.stringify({ reasonCode: 'InvalidHeaderValue', message: 'x-amz-pay-date should not be in future' });
  const amazonDate = new Date(FIXED_NOW.getTime() - 120_000).toUTCString();

  it('a date refusal is resent once, same key, dated by the learned offset; a second refusal is returned as transient', async () => {
    server.respondWith(() => ({ status: 400, body: refusal, headers: { 'x-amz-pay-request-id': 'r1', date: amazonDate } }));
    const client = clientFor();
    const outcome = await client.createCharge({ chargePermissionId: CP, chargeAmount: { amount: '1.00', currencyCode: 'USD' } }, { idempotencyKey: 'skew-k' });
    expect(outcome).toMatchObject({ kind: 'transient', status: 400, reasonCode: 'InvalidHeaderValue', mayHaveBeenProcessed: false });
    expect(server.requests.map((r) => [r.headers['x-amz-pay-date'], r.headers['x-amz-pay-idempotency-key']])).toEqual([
      ['20240506T070809Z', 'skew-k'],
      ['20240506T070609Z', 'skew-k'],
    ]);
    expect(client.clockOffsetMs()).toBe(-120_000);
  });

  it('an answer without x-amz-pay-request-id (a proxy, not Amazon) does not move the clock, and nothing is resent', async () => {
    server.respondWith(() => ({ status: 400, body: refusal, headers: { date: amazonDate } }));
    const client = clientFor();
    expect(await client.getChargePermission(CP)).toMatchObject({ kind: 'transient' });
    expect(server.requests).toHaveLength(1);
    expect(client.clockOffsetMs()).toBe(0);
  });

  it('concurrent calls refused for the date are each resent once, whichever answer taught the clock', async () => {
    server.respondWith((r) =>
      r.headers['x-amz-pay-date'] === '20240506T070809Z'
        ? { status: 400, body: refusal, headers: { 'x-amz-pay-request-id': 'r', date: amazonDate } }
        : { status: 200, body: JSON.stringify(cpBody), headers: { 'x-amz-pay-request-id': 'r', date: amazonDate } },
    );
    const client = clientFor();
    const outcomes = await Promise.all([client.getChargePermission(CP), client.getChargePermission(CP), client.getChargePermission(CP)]);
    expect(outcomes.map((o) => o.kind)).toEqual(['ok', 'ok', 'ok']);
    expect(server.requests.map((r) => r.headers['x-amz-pay-date']).sort()).toEqual([
      ...Array(3).fill('20240506T070609Z'),
      ...Array(3).fill('20240506T070809Z'),
    ]);
  });

  it('the offset learned is what later calls sign with', async () => {
    server.respondWith(() => ({
      status: 200,
      body: JSON.stringify(cpBody),
      headers: { 'x-amz-pay-request-id': 'r', date: new Date(FIXED_NOW.getTime() - 1_000).toUTCString() },
    }));
    const client = clientFor();
    await client.getChargePermission(CP);
    await client.getChargePermission(CP);
    expect(server.requests.map((r) => r.headers['x-amz-pay-date'])).toEqual(['20240506T070809Z', '20240506T070808Z']);
  });
});
