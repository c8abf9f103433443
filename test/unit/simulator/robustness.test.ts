import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { chargeBody, startHarness, type Harness } from './support/harness.js';

let h: Harness | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('persistence', () => {
  it('keeps permissions, charges, idempotency keys and counters across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-data-'));
    dirs.push(dir);
    const dataFile = join(dir, 'state.json');
    h = await startHarness({ dataFile });
    const cpId = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    await h.control.setScript(cpId, { next: ['SoftDeclined', 'SoftDeclined'] });
    expect((await h.api.createCharge(chargeBody(cpId), 'p-0')).status).toBe(422);
    const first = await h.api.createCharge(chargeBody(cpId), 'p-1', { simulationCode: undefined });
    expect(first.status).toBe(422); // second scripted decline
    const ok = await h.api.createCharge(chargeBody(cpId), 'p-2');
    expect(ok.status).toBe(201);
    await h.sim.close();
    expect(JSON.parse(readFileSync(dataFile, 'utf8')).version).toBe(1);

    h = await startHarness({ dataFile });
    const replay = await h.api.createCharge(chargeBody(cpId), 'p-2');
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(ok.body);
    expect((await h.api.createCharge(chargeBody(cpId, '1.00'), 'p-2')).body.reasonCode).toBe('DuplicateIdempotencyKey');
    const next = await h.api.createCharge(chargeBody(cpId), 'p-3');
    expect(next.status).toBe(201);
    expect(next.body.chargeId).not.toBe(ok.body.chargeId);
    expect(await h.control.charges()).toHaveLength(2);
    expect((await h.api.call('GET', `/chargePermissions/${cpId}`)).status).toBe(200);
  });
});

describe('malformed requests never crash the server', () => {
  it('bad JSON, non-object, unknown fields, missing values, bad amounts', async () => {
    h = await startHarness();
    const cpId = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const cases: Array<[string, string, number, string]> = [
      ['bad json', '{"chargePermissionId":', 400, 'InvalidRequestFormat'],
      ['array', '[]', 400, 'InvalidRequestFormat'],
      ['unknown field', JSON.stringify({ ...chargeBody(cpId), captureAmount: { amount: '1.00', currencyCode: 'USD' } }), 400, 'UnrecognizedField'],
      ['missing cp', JSON.stringify({ chargeAmount: { amount: '1.00', currencyCode: 'USD' } }), 400, 'MissingParameterValue'],
      ['float amount', JSON.stringify({ chargePermissionId: cpId, chargeAmount: { amount: 14, currencyCode: 'USD' } }), 400, 'InvalidParameterValue'],
      ['3 decimals', JSON.stringify({ chargePermissionId: cpId, chargeAmount: { amount: '1.001', currencyCode: 'USD' } }), 400, 'InvalidParameterValue'],
      ['bad currency', JSON.stringify({ chargePermissionId: cpId, chargeAmount: { amount: '1.00', currencyCode: 'XXX' } }), 400, 'InvalidParameterValue'],
      ['descriptor w/o capture', JSON.stringify({ ...chargeBody(cpId), captureNow: false, softDescriptor: 'x' }), 400, 'InvalidParameterCombination'],
      ['long descriptor', JSON.stringify({ ...chargeBody(cpId), softDescriptor: 'x'.repeat(17) }), 400, 'InvalidParameterValue'],
    ];
    for (const [name, raw, status, reason] of cases) {
      const res = await h.api.call('POST', '/charges', undefined, { idempotencyKey: `m-${name.replace(/\W/g, '')}`, rawBody: raw });
      expect([name, res.status, res.body.reasonCode]).toEqual([name, status, reason]);
      expect(typeof res.body.message).toBe('string');
    }
    expect((await h.control.health()).ok).toBe(true);
  });

  it('a body over 1 MiB → 413 RequestEntityTooLarge and the server keeps serving', async () => {
    h = await startHarness();
    const big = 'x'.repeat(1024 * 1024 + 10);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${h!.sim.url}/v2/charges`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(big);
    });
    expect(status).toBe(413);
    expect((await h.control.health()).ok).toBe(true);
  });

  it('control API rejects bad input with a message naming the field', async () => {
    h = await startHarness();
    await expect(h.control.setFaults({ error500Rate: 2 })).rejects.toThrow(/error500Rate must be a number between 0 and 1/);
    await expect(h.control.setThrottle({ table: 'fast' as never })).rejects.toThrow(/table must be one of sandbox, live, off/);
    await expect(h.control.createChargePermission({ type: 'Weekly' as never })).rejects.toThrow(/type must be one of/);
    await expect(h.control.registerPublicKey('K1', 'not a pem')).rejects.toThrow(/not a PEM RSA public/);
  });

  it('a payment-method change refuses the card the permission already has and unknown fields (400), and changes nothing', async () => {
    h = await startHarness();
    const cpId = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD', cardSuffix: '1111' })).chargePermission.chargePermissionId;
    await h.control.makeNonChargeable(cpId, 'PaymentMethodExpired');
    const post = (body: unknown) =>
      fetch(`${h!.sim.url}/__sim/charge-permissions/${cpId}/payment-method`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const same = await post({ cardSuffix: '1111' });
    expect(same.status).toBe(400);
    expect(await same.json()).toEqual({
      error: `cardSuffix 1111 is the card Charge Permission ${cpId} already has; a payment method change needs another card`,
    });
    const extra = await post({ cardSuffix: '4242', cardsuffix: '4242', expiry: '12/30' });
    expect(extra.status).toBe(400);
    expect(await extra.json()).toEqual({ error: 'unknown field(s) cardsuffix, expiry: the body is { "cardSuffix": "<4 digits>" }' });
    expect((await h.control.getChargePermission(cpId)).chargePermission).toMatchObject({ statusDetails: { state: 'NonChargeable' } });
    expect((await h.control.changePaymentMethod(cpId, '4242')).paymentPreferences).toEqual([{ paymentDescriptor: 'Visa ****4242' }]);
  });
});

describe('fault injection', () => {
  it('is deterministic for a seed and injects 500/503/resets before processing', async () => {
    const run = async (): Promise<string[]> => {
      const harness = await startHarness({ seed: 42, faults: { error500Rate: 0.2, error503Rate: 0.2, connectionResetRate: 0.2 } });
      const cpId = (await harness.control.createChargePermission({ type: 'PaymentMethodOnFile', currency: 'USD' })).chargePermission.chargePermissionId;
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i++) {
        try {
          outcomes.push(String((await harness.api.call('GET', `/chargePermissions/${cpId}`)).status));
        } catch {
          outcomes.push('reset');
        }
      }
      await harness.sim.close();
      return outcomes;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a).toContain('500');
    expect(a).toContain('503');
    expect(a).toContain('reset');
    expect(a).toContain('200');
  });

  it('injected 5xx before processing creates nothing', async () => {
    h = await startHarness({ faults: { error503Rate: 1 } });
    const cpId = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const res = await h.api.createCharge(chargeBody(cpId), 'f-1');
    expect([res.status, res.body.reasonCode]).toEqual([503, 'ServiceUnavailable']);
    expect(await h.control.charges()).toHaveLength(0);
    expect((await h.control.attempts()).counts).toEqual({ InjectedServiceUnavailable: 1 });
  });
});
