import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { amzDate, chargeBody, KEYS, startHarness, type Harness } from './support/harness.js';
import { generateTestKeyPair, signRequest } from './support/signing.js';
import { parseAuthorization, buildCanonicalRequest } from '../../../simulator/signature.js';
import { parseAmzPayDate } from '../../../simulator/timestamps.js';

let h: Harness;
let cpId: string;
beforeEach(async () => {
  h = await startHarness();
  cpId = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
});
afterEach(async () => {
  await h.sim.close();
});

describe('a configured future tolerance', () => {
  it('maxFutureSkewMs 0 refuses a date one second ahead and accepts the present', async () => {
    const strict = await startHarness({ maxFutureSkewMs: 0 });
    try {
      const cp = (await strict.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
      const ahead = amzDate(new Date(strict.clock.now().getTime() + 1_000));
      expect((await strict.api.call('GET', `/chargePermissions/${cp}`, undefined, { date: ahead })).status).toBe(400);
      expect((await strict.api.call('GET', `/chargePermissions/${cp}`)).status).toBe(200);
    } finally {
      await strict.sim.close();
    }
  });
});

describe('request signature verification', () => {
  it('accepts both algorithms (salt 20 and 32)', async () => {
    for (const algorithm of ['AMZN-PAY-RSASSA-PSS', 'AMZN-PAY-RSASSA-PSS-V2'] as const) {
      const res = await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { algorithm });
      expect(res.status, algorithm).toBe(200);
    }
  });

  it('accepts the compact and the ISO extended x-amz-pay-date', async () => {
    const compact = amzDate(h.clock.now()).replace(/[-:]/g, '');
    expect((await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { date: compact })).status).toBe(200);
    expect((await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { date: amzDate(h.clock.now()) })).status).toBe(200);
  });

  it('rejects a date more than 15 minutes in the past with 400 InvalidHeaderValue', async () => {
    const old = amzDate(new Date(h.clock.now().getTime() - 16 * 60_000));
    const res = await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { date: old });
    expect(res.status).toBe(400);
    expect(res.body.reasonCode).toBe('InvalidHeaderValue');
    const ok = amzDate(new Date(h.clock.now().getTime() - 14 * 60_000));
    expect((await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { date: ok })).status).toBe(200);
  });

  it('rejects a date in its future beyond 5 s with Amazon\'s 400 "x-amz-pay-date should not be in future"', async () => {
    const ahead = (ms: number) => amzDate(new Date(h.clock.now().getTime() + ms));
    const res = await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { date: ahead(6_000) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ reasonCode: 'InvalidHeaderValue', message: 'x-amz-pay-date should not be in future' });
    expect(res.headers.get('x-amz-pay-request-id')).toBeTruthy();
    expect((await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { date: ahead(5_000) })).status).toBe(200);
    // Refused before idempotency: the same key, dated correctly, creates the charge.
    const body = chargeBody(cpId);
    expect((await h.api.createCharge(body, 'skew-key-1', { date: ahead(60_000) })).status).toBe(400);
    expect((await h.api.createCharge(body, 'skew-key-1')).status).toBe(201);
  });

  it('answers with a Date header from its own clock (advanced clock included)', async () => {
    await h.control.advanceClock(3_600_000);
    const res = await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { date: amzDate(new Date(h.clock.now().getTime() + 3_600_000)) });
    expect(res.status).toBe(200);
    expect(res.headers.get('date')).toBe(new Date(h.clock.now().getTime() + 3_600_000).toUTCString());
  });

  it('tampered body, wrong key and unknown key id → 403 InvalidRequestSignature', async () => {
    // Sign one body, send another.
    const path = '/v2/charges';
    const body = JSON.stringify(chargeBody(cpId));
    const headers = signRequest({
      method: 'POST',
      path,
      body,
      publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA',
      privateKeyPem: KEYS.privateKeyPem,
      headers: { accept: 'application/json', 'content-type': 'application/json', 'x-amz-pay-date': amzDate(h.clock.now()), 'x-amz-pay-idempotency-key': 'k2' },
    });
    const bad = await fetch(`${h.sim.url}${path}`, { method: 'POST', headers, body: body.replace('14.00', '15.00') });
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as { reasonCode: string }).reasonCode).toBe('InvalidRequestSignature');
    const other = generateTestKeyPair();
    const wrongKey = signRequest({
      method: 'GET',
      path: `/v2/chargePermissions/${cpId}`,
      publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA',
      privateKeyPem: other.privateKeyPem,
      headers: { accept: 'application/json', 'x-amz-pay-date': amzDate(h.clock.now()) },
    });
    expect((await fetch(`${h.sim.url}/v2/chargePermissions/${cpId}`, { headers: wrongKey })).status).toBe(403);
    const unknown = await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { publicKeyId: 'SANDBOX-BBBBBBBBBBBBBBBBBBBBBBBB' });
    expect(unknown.status).toBe(403);
    expect(unknown.body.reasonCode).toBe('InvalidRequestSignature');
  });

  it('missing authorization → 400 MissingHeader', async () => {
    const res = await fetch(`${h.sim.url}/v2/chargePermissions/${cpId}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { reasonCode: string }).reasonCode).toBe('MissingHeader');
  });

  it('uses the SignedHeaders list byte-for-byte and looks values up case-insensitively', async () => {
    // Mixed-case header names as a client might list them; Node lowercases the received names.
    const path = `/v2/chargePermissions/${cpId}`;
    const headers = signRequest({
      method: 'GET',
      path,
      publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA',
      privateKeyPem: KEYS.privateKeyPem,
      headers: { Accept: 'application/json', 'X-Amz-Pay-Date': amzDate(h.clock.now()), 'X-Amz-Pay-Region': 'na' },
    });
    expect(headers.authorization).toContain('SignedHeaders=Accept;X-Amz-Pay-Date;X-Amz-Pay-Region,');
    expect((await fetch(`${h.sim.url}${path}`, { headers })).status).toBe(200);
  });

  it('accepts unsigned extra headers and a signed or unsigned simulation code', async () => {
    const unsigned = await h.api.createCharge(chargeBody(cpId), 's-1', { simulationCode: 'HardDeclined', extraHeaders: {} });
    expect(unsigned.body.reasonCode).toBe('HardDeclined');
    const signed = await h.api.createCharge(chargeBody(cpId), 's-2', { simulationCode: 'SoftDeclined', signSimulationCode: true });
    expect(signed.body.reasonCode).toBe('SoftDeclined');
  });
});

describe('signature helpers', () => {
  it('parses the Node SDK authorization header', () => {
    expect(
      parseAuthorization('AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA, SignedHeaders=accept;x-amz-pay-date, Signature=abc='),
    ).toEqual({
      algorithm: 'AMZN-PAY-RSASSA-PSS-V2',
      publicKeyId: 'SANDBOX-AAAAAAAAAAAAAAAAAAAAAAAA',
      signedHeaders: 'accept;x-amz-pay-date',
      signature: 'abc=',
    });
    expect(parseAuthorization('garbage')).toBeUndefined();
  });

  it('rebuilds the documented canonical request example', () => {
    const canonical = buildCanonicalRequest(
      {
        method: 'POST',
        path: '/live/v2/checkoutSessions',
        rawQuery: '',
        body: Buffer.from(''),
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'x-amz-pay-date': '20190923T231908Z',
          'x-amz-pay-host': 'pay-api.amazon.com',
          'x-amz-pay-idempotency-key': 'cllHyiNvS8cJ8Zas',
          'x-amz-pay-region': 'na',
        },
      },
      'accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region',
    );
    expect(canonical.split('\n').slice(0, 11)).toEqual([
      'POST',
      '/live/v2/checkoutSessions',
      '',
      'accept:application/json',
      'content-type:application/json',
      'x-amz-pay-date:20190923T231908Z',
      'x-amz-pay-host:pay-api.amazon.com',
      'x-amz-pay-idempotency-key:cllHyiNvS8cJ8Zas',
      'x-amz-pay-region:na',
      '',
      'accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region',
    ]);
  });

  it('parses both date forms and rejects impossible dates', () => {
    expect(parseAmzPayDate('20190923T231908Z')?.toISOString()).toBe('2019-09-23T23:19:08.000Z');
    expect(parseAmzPayDate('2019-09-23T23:19:08Z')?.toISOString()).toBe('2019-09-23T23:19:08.000Z');
    expect(parseAmzPayDate('20191323T231908Z')).toBeUndefined();
    expect(parseAmzPayDate('yesterday')).toBeUndefined();
  });
});
