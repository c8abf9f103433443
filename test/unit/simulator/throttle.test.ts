import { afterEach, describe, expect, it } from 'vitest';
import { chargeBody, startHarness, type Harness } from './support/harness.js';
import { Throttle } from '../../../simulator/throttle.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

describe('throttling', () => {
  it('burst 2 / 1 per s: 10 immediate requests → 2 succeed; over the next 3 s → 3 more (1 per s)', async () => {
    h = await startHarness({ throttle: { table: 'off', overrides: { createCharge: { burst: 2, ratePerSecond: 1 } } } });
    const cpId = (await h.control.createChargePermission({ type: 'PaymentMethodOnFile', currency: 'USD' })).chargePermission.chargePermissionId;
    const first = [];
    for (let i = 0; i < 10; i++) first.push(await h.api.createCharge(chargeBody(cpId, '1.00'), `t1-${i}`));
    expect(first.filter((r) => r.status === 201)).toHaveLength(2);
    const throttled = first.filter((r) => r.status === 429);
    expect(throttled).toHaveLength(8);
    expect(throttled[0]!.body.reasonCode).toBe('TooManyRequests');
    expect(throttled[0]!.headers.get('x-amz-pay-request-id')).toBeTruthy();
    // The restore rate: each second of the next three, 4 immediate requests → exactly 1 succeeds.
    let later = 0;
    for (let second = 1; second <= 3; second++) {
      h.clock.advance(1000);
      for (let i = 0; i < 4; i++) if ((await h.api.createCharge(chargeBody(cpId, '1.00'), `t2-${second}-${i}`)).status === 201) later++;
    }
    expect(later).toBe(3);
    // Throttled requests stored nothing: a throttled key can be used again with another body.
    h.clock.advance(1000);
    expect((await h.api.createCharge(chargeBody(cpId, '2.00'), 't1-9')).status).toBe(201);
    const { counts } = await h.control.attempts();
    expect(counts['TooManyRequests']).toBe(8 + 9);
    expect(counts['Created']).toBe(6);
    expect(await h.control.charges()).toHaveLength(6);
  });

  it('the bucket never holds more than burst: a 3 s pause buys 2 requests, not 3', async () => {
    h = await startHarness({ throttle: { table: 'off', overrides: { createCharge: { burst: 2, ratePerSecond: 1 } } } });
    const cpId = (await h.control.createChargePermission({ type: 'PaymentMethodOnFile', currency: 'USD' })).chargePermission.chargePermissionId;
    for (let i = 0; i < 3; i++) await h.api.createCharge(chargeBody(cpId, '1.00'), `c1-${i}`);
    h.clock.advance(3000);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await h.api.createCharge(chargeBody(cpId, '1.00'), `c2-${i}`)).status);
    expect(statuses).toEqual([201, 201, 429, 429]);
  });

  it('sandbox table by default; operations have separate buckets', async () => {
    h = await startHarness({ throttle: { table: 'sandbox' } });
    const cpId = (await h.control.createChargePermission({ type: 'PaymentMethodOnFile', currency: 'USD' })).chargePermission.chargePermissionId;
    const gets = [];
    for (let i = 0; i < 12; i++) gets.push((await h.api.call('GET', `/chargePermissions/${cpId}`)).status);
    expect(gets.filter((s) => s === 200)).toHaveLength(10);
    expect((await h.api.createCharge(chargeBody(cpId, '1.00'), 'sb-1')).status).toBe(201);
  });

  it('live table via the control API', async () => {
    h = await startHarness();
    await h.control.setThrottle({ table: 'live' });
    const cpId = (await h.control.createChargePermission({ type: 'PaymentMethodOnFile', currency: 'USD' })).chargePermission.chargePermissionId;
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push((await h.api.createCharge(chargeBody(cpId, '1.00'), `lv-${i}`)).status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
  });

  it('refills fractionally per merchant key', () => {
    const t = new Throttle({ table: 'off', overrides: { getCharge: { burst: 1, ratePerSecond: 4 } } });
    expect(t.tryTake('getCharge', 'a', 0)).toBe(true);
    expect(t.tryTake('getCharge', 'a', 100)).toBe(false);
    expect(t.tryTake('getCharge', 'b', 100)).toBe(true);
    expect(t.tryTake('getCharge', 'a', 250)).toBe(true);
  });
});
