import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chargeBody, startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.sim.close();
});

async function newCp(input: Parameters<Harness['control']['createChargePermission']>[0] = { type: 'Recurring', currency: 'USD' }): Promise<string> {
  return (await h.control.createChargePermission(input)).chargePermission.chargePermissionId;
}

describe('Create Charge', () => {
  it('captureNow → 201 Captured with the documented shape, request id and compact timestamps', async () => {
    const cpId = await newCp();
    const res = await h.api.createCharge(chargeBody(cpId, '14.00', 'USD', { softDescriptor: 'Descriptor' }), 'key-1');
    expect(res.status).toBe(201);
    expect(res.headers.get('x-amz-pay-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.chargeId).toMatch(new RegExp(`^${cpId}-C\\d{6}$`));
    expect(res.body.chargeAmount).toEqual({ amount: '14.00', currencyCode: 'USD' });
    expect(res.body.captureAmount).toEqual({ amount: '14.00', currencyCode: 'USD' });
    expect(res.body.refundedAmount).toEqual({ amount: '0.00', currencyCode: 'USD' });
    expect(res.body.statusDetails).toMatchObject({ state: 'Captured', reasonCode: null });
    expect(res.body.creationTimestamp).toBe('20250310T120000Z');
    expect(res.body.expirationTimestamp).toBe('20250409T120000Z');
    expect(res.body.releaseEnvironment).toBe('Sandbox');
    expect(Object.keys(res.body)).toEqual(
      expect.arrayContaining([
        'chargeId',
        'chargeAmount',
        'chargePermissionId',
        'captureAmount',
        'refundedAmount',
        'softDescriptor',
        'providerMetadata',
        'convertedAmount',
        'conversionRate',
        'channel',
        'chargeInitiator',
        'statusDetails',
        'creationTimestamp',
        'expirationTimestamp',
        'releaseEnvironment',
        'merchantMetadata',
        'platformId',
        'webCheckoutDetails',
      ]),
    );
  });

  it('JPY amounts have no decimals', async () => {
    const cpId = await newCp({ type: 'Recurring', currency: 'JPY' });
    const res = await h.api.createCharge(chargeBody(cpId, '500', 'JPY'), 'jpy-1');
    expect(res.status).toBe(201);
    expect(res.body.chargeAmount).toEqual({ amount: '500', currencyCode: 'JPY' });
    expect((await h.api.createCharge(chargeBody(cpId, '5.00', 'JPY'), 'jpy-2')).body.reasonCode).toBe('InvalidParameterValue');
  });

  it('without captureNow → Authorized, then Capture → Captured, Cancel on Captured → 422 InvalidChargeStatus', async () => {
    const cpId = await newCp();
    const created = await h.api.createCharge(chargeBody(cpId, '20.00', 'USD', { captureNow: false }), 'auth-1');
    expect(created.body.statusDetails.state).toBe('Authorized');
    expect(created.body.captureAmount).toBeNull();
    const id = created.body.chargeId as string;
    const captured = await h.api.call(
      'POST',
      `/charges/${id}/capture`,
      { captureAmount: { amount: '20.00', currencyCode: 'USD' } },
      { idempotencyKey: 'cap-1' },
    );
    expect(captured.status).toBe(200);
    expect(captured.body.statusDetails.state).toBe('Captured');
    const cancel = await h.api.call('DELETE', `/charges/${id}/cancel`, { cancellationReason: 'test' });
    expect(cancel.status).toBe(422);
    expect(cancel.body.reasonCode).toBe('InvalidChargeStatus');
    const get = await h.api.call('GET', `/charges/${id}`);
    expect(get.status).toBe(200);
    expect(get.body.statusDetails.state).toBe('Captured');
  });

  it('Cancel Charge (DELETE with body) → Canceled/MerchantCanceled', async () => {
    const cpId = await newCp();
    const created = await h.api.createCharge(chargeBody(cpId, '5.00', 'USD', { captureNow: false }), 'c-1');
    const cancel = await h.api.call('DELETE', `/charges/${created.body.chargeId}/cancel`, { cancellationReason: 'REASON' });
    expect(cancel.status).toBe(200);
    expect(cancel.body.statusDetails).toMatchObject({ state: 'Canceled', reasonCode: 'MerchantCanceled' });
  });

  it('checks in the documented order: currency, CP state, per-charge maximum', async () => {
    const cpId = await newCp();
    expect((await h.api.createCharge(chargeBody(cpId, '1.00', 'EUR'), 'o-1')).body.reasonCode).toBe('CurrencyMismatch');
    expect((await h.api.createCharge(chargeBody('S01-9999999-9999999'), 'o-2')).status).toBe(404);
    const pmof = await newCp({ type: 'PaymentMethodOnFile', currency: 'USD' });
    const big = await h.api.createCharge(chargeBody(pmof, '150000.01'), 'o-3');
    expect(big.status).toBe(400);
    expect(big.body.reasonCode).toBe('TransactionAmountExceeded');
    await h.control.makeNonChargeable(cpId, 'PaymentMethodExpired');
    const nc = await h.api.createCharge(chargeBody(cpId, '1.00', 'EUR'), 'o-4');
    expect(nc.body.reasonCode).toBe('CurrencyMismatch');
    const nc2 = await h.api.createCharge(chargeBody(cpId, '1.00'), 'o-5');
    expect(nc2.status).toBe(422);
    expect(nc2.body.reasonCode).toBe('InvalidChargePermissionStatus');
  });

  it('OneTime CP: amount above amountBalance → TransactionAmountExceeded', async () => {
    const cpId = await newCp({ type: 'OneTime', currency: 'USD', amountLimit: { amount: '50.00' } });
    expect((await h.api.createCharge(chargeBody(cpId, '30.00'), 'ot-1')).status).toBe(201);
    const over = await h.api.createCharge(chargeBody(cpId, '20.01'), 'ot-2');
    expect(over.body.reasonCode).toBe('TransactionAmountExceeded');
    const cp = await h.api.call('GET', `/chargePermissions/${cpId}`);
    expect(cp.body.limits).toEqual({ amountLimit: { amount: '50.00', currencyCode: 'USD' }, amountBalance: { amount: '20.00', currencyCode: 'USD' } });
  });

  it('monthly cap (Recurring USD 1,000 per UTC calendar month) → 400 PeriodicAmountExceeded, reset next month', async () => {
    const cpId = await newCp();
    h.clock.set(new Date('2025-03-31T23:00:00Z'));
    expect((await h.api.createCharge(chargeBody(cpId, '600.00'), 'm-1')).status).toBe(201);
    expect((await h.api.createCharge(chargeBody(cpId, '400.00'), 'm-2')).status).toBe(201);
    const over = await h.api.createCharge(chargeBody(cpId, '0.01'), 'm-3');
    expect(over.status).toBe(400);
    expect(over.body.reasonCode).toBe('PeriodicAmountExceeded');
    h.clock.set(new Date('2025-04-01T00:00:00Z'));
    expect((await h.api.createCharge(chargeBody(cpId, '0.01'), 'm-4')).status).toBe(201);
  });

  it('declined charges do not count towards the monthly cap', async () => {
    const cpId = await newCp({ type: 'Recurring', currency: 'USD' });
    await h.control.setScript(cpId, { next: ['HardDeclined'] });
    expect((await h.api.createCharge(chargeBody(cpId, '1000.00'), 'd-1')).status).toBe(422);
    expect((await h.api.createCharge(chargeBody(cpId, '1000.00'), 'd-2')).status).toBe(201);
  });

  it('serves /sandbox/v2 for plain keys and 404/405 for unknown resources and methods', async () => {
    await h.control.registerPublicKey('AFVX7ULWSGBZ5535PCUQOY7B', (await import('./support/harness.js')).KEYS.publicKeyPem);
    const cpId = await newCp();
    const res = await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { prefix: '/sandbox/v2', publicKeyId: 'AFVX7ULWSGBZ5535PCUQOY7B' });
    expect(res.status).toBe(200);
    const live = await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { prefix: '/live/v2', publicKeyId: 'AFVX7ULWSGBZ5535PCUQOY7B' });
    expect(live.status).toBe(404);
    expect(live.body.reasonCode).toBe('ResourceNotFound');
    const wrong = await h.api.call('PUT', `/charges/${cpId}-C000001`, {});
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('x-amz-pay-request-id')).toBeTruthy();
    const unknown = await h.api.call('GET', '/nothing');
    expect(unknown.status).toBe(404);
  });
});
