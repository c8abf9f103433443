import { afterEach, describe, expect, it } from 'vitest';
import { chargeBody, startHarness, waitFor, type Harness } from './support/harness.js';
import { startIpnReceiver } from './support/ipn-receiver.js';

let h: Harness | undefined;
let receiver: Awaited<ReturnType<typeof startIpnReceiver>> | undefined;
afterEach(async () => {
  await h?.sim.close();
  await receiver?.close();
  h = undefined;
  receiver = undefined;
});

const messages = (r: NonNullable<typeof receiver>): Array<{ ObjectType: string; ObjectId: string }> =>
  r.received.map((x) => JSON.parse((JSON.parse(x.body) as { Message: string }).Message));

async function newCp(type: 'Recurring' | 'OneTime' | 'PaymentMethodOnFile' = 'Recurring', extra = {}): Promise<string> {
  return (await h!.control.createChargePermission({ type, currency: 'USD', ...extra })).chargePermission.chargePermissionId;
}

describe('decline scripts', () => {
  it('next: [SoftDeclined, SoftDeclined] declines two attempts, then the third succeeds', async () => {
    h = await startHarness();
    const cpId = await newCp();
    await h.control.setScript(cpId, { next: ['SoftDeclined', 'SoftDeclined'] });
    const r1 = await h.api.createCharge(chargeBody(cpId), 'sd-1');
    const r2 = await h.api.createCharge(chargeBody(cpId), 'sd-2');
    const r3 = await h.api.createCharge(chargeBody(cpId), 'sd-3');
    expect([r1.status, r1.body.reasonCode, r2.status, r2.body.reasonCode, r3.status]).toEqual([422, 'SoftDeclined', 422, 'SoftDeclined', 201]);
    expect(Object.keys(r1.body).sort()).toEqual(['message', 'reasonCode']);
    expect(await h.control.charges()).toHaveLength(1);
    const { counts } = await h.control.attempts();
    expect(counts).toEqual({ SoftDeclined: 2, Created: 1 });
  });

  it('mode: HardDeclined declines every charge until the buyer fixes the payment method', async () => {
    h = await startHarness();
    const cpId = await newCp();
    await h.control.setScript(cpId, { mode: 'HardDeclined' });
    for (let i = 0; i < 3; i++) expect((await h.api.createCharge(chargeBody(cpId), `hd-${i}`)).body.reasonCode).toBe('HardDeclined');
    await h.control.makeChargeable(cpId);
    expect((await h.api.createCharge(chargeBody(cpId), 'hd-ok')).status).toBe(201);
  });

  it('rejects an unknown script entry with a clear message', async () => {
    h = await startHarness();
    const cpId = await newCp();
    await expect(h.control.setScript(cpId, { next: ['Nope'] })).rejects.toThrow(/next\[0\] "Nope" is not a script entry; accepted: Success/);
  });

  it('unknown simulation code → 400 InvalidSandboxSimulationSpecified; not allowed on Live', async () => {
    h = await startHarness();
    const cpId = await newCp();
    const res = await h.api.createCharge(chargeBody(cpId), 'sim-1', { simulationCode: 'Bogus' });
    expect([res.status, res.body.reasonCode]).toEqual([400, 'InvalidSandboxSimulationSpecified']);
    const liveKey = 'LIVE-AAAAAAAAAAAAAAAAAAAAAAAA';
    await h.control.registerPublicKey(liveKey, (await import('./support/harness.js')).KEYS.publicKeyPem);
    const live = await h.api.call('GET', `/chargePermissions/${cpId}`, undefined, { publicKeyId: liveKey, simulationCode: 'HardDeclined' });
    expect([live.status, live.body.reasonCode]).toEqual([400, 'InvalidSandboxSimulationSpecified']);
  });
});

describe('pending authorization', () => {
  it('AuthorizationInitiated → CP NonChargeable/ChargeInProgress → resolved via control API with a CHARGE IPN', async () => {
    receiver = await startIpnReceiver();
    h = await startHarness({ ipn: { url: receiver.url, suppressSynchronous: true } });
    const cpId = await newCp();
    await h.control.setScript(cpId, { next: ['AuthorizationInitiated:Authorized'] });
    const created = await h.api.createCharge(chargeBody(cpId, '10.00', 'USD', { captureNow: false, canHandlePendingAuthorization: true }), 'pa-1');
    expect(created.status).toBe(201);
    expect(created.body.statusDetails.state).toBe('AuthorizationInitiated');
    const cp = await h.api.call('GET', `/chargePermissions/${cpId}`);
    expect(cp.body.statusDetails.state).toBe('NonChargeable');
    expect(cp.body.statusDetails.reasons).toEqual([{ reasonCode: 'ChargeInProgress', reasonDescription: expect.any(String) }]);
    const blocked = await h.api.createCharge(chargeBody(cpId), 'pa-2');
    expect([blocked.status, blocked.body.reasonCode]).toEqual([422, 'InvalidChargePermissionStatus']);

    const resolved = await h.control.resolveCharge(created.body.chargeId);
    expect(resolved.statusDetails.state).toBe('Authorized');
    await waitFor(() => (receiver!.received.length >= 1 ? true : undefined));
    expect(messages(receiver)).toEqual([expect.objectContaining({ ObjectType: 'CHARGE', ObjectId: created.body.chargeId })]);
    expect((await h.api.call('GET', `/chargePermissions/${cpId}`)).body.statusDetails).toMatchObject({ state: 'Chargeable', reasons: null });
  });

  it('a pending hard decline resolves by itself after the delay (injected clock) to Declined/HardDeclined', async () => {
    h = await startHarness({ pendingDelayMs: 30_000 });
    const cpId = await newCp('Recurring', { cardSuffix: '4354' });
    const created = await h.api.createCharge(chargeBody(cpId, '10.00', 'USD', { canHandlePendingAuthorization: true }), 'card-1');
    expect(created.body.statusDetails.state).toBe('AuthorizationInitiated');
    h.clock.advance(30_000);
    const get = await h.api.call('GET', `/charges/${created.body.chargeId}`);
    expect(get.body.statusDetails).toMatchObject({ state: 'Declined', reasonCode: 'HardDeclined' });
    const ledger = await h.control.charges();
    expect(ledger[0]).toMatchObject({ state: 'Declined', reasonCode: 'HardDeclined' });
  });

  it('a real timer resolves pending charges (short delay), captureNow gives Captured', async () => {
    h = await startHarness({ pendingDelayMs: 30 });
    const cpId = await newCp();
    const created = await h.api.createCharge(chargeBody(cpId, '10.00', 'USD', { canHandlePendingAuthorization: true }), 'tm-1', {
      simulationCode: 'AuthorizationInitiated',
    });
    expect(created.body.statusDetails.state).toBe('AuthorizationInitiated');
    await waitFor(async () => ((await h!.control.charges())[0]?.state === 'Captured' ? true : undefined));
  });
});

describe('charge permission lifecycle', () => {
  it('update merchantMetadata repeatedly (the v2 rule, not v1’s once); recurringMetadata on Closed → 422 ChargePermissionNotModifiable', async () => {
    h = await startHarness();
    const cpId = await newCp();
    const first = await h.api.call('PATCH', `/chargePermissions/${cpId}`, { merchantMetadata: { merchantReferenceId: 'sub-1' } });
    expect(first.status).toBe(200);
    expect(first.body.merchantMetadata.merchantReferenceId).toBe('sub-1');
    const second = await h.api.call('PATCH', `/chargePermissions/${cpId}`, { merchantMetadata: { merchantReferenceId: 'sub-2' } });
    expect([second.status, second.body.merchantMetadata.merchantReferenceId]).toEqual([200, 'sub-2']);
    const rec = await h.api.call('PATCH', `/chargePermissions/${cpId}`, {
      recurringMetadata: { frequency: { unit: 'Month', value: '1' }, amount: { amount: '9.99', currencyCode: 'USD' } },
    });
    expect(rec.body.recurringMetadata).toEqual({ frequency: { unit: 'Month', value: '1' }, amount: { amount: '9.99', currencyCode: 'USD' } });
    await h.control.closeChargePermission(cpId, 'buyer');
    const closed = await h.api.call('PATCH', `/chargePermissions/${cpId}`, { recurringMetadata: { frequency: { unit: 'Month', value: '2' } } });
    expect([closed.status, closed.body.reasonCode]).toEqual([422, 'ChargePermissionNotModifiable']);
  });

  it('merchant close → Closed/MerchantClosed, cancelPendingCharges cancels Authorized charges; charge after close → 422', async () => {
    h = await startHarness();
    const cpId = await newCp();
    const auth = await h.api.createCharge(chargeBody(cpId, '5.00', 'USD', { captureNow: false }), 'cl-1');
    const close = await h.api.call('DELETE', `/chargePermissions/${cpId}/close`, { closureReason: 'No more charges required', cancelPendingCharges: true });
    expect(close.status).toBe(200);
    expect(close.body.statusDetails).toMatchObject({ state: 'Closed', reasons: [{ reasonCode: 'MerchantClosed', reasonDescription: expect.any(String) }] });
    expect((await h.api.call('GET', `/charges/${auth.body.chargeId}`)).body.statusDetails).toMatchObject({
      state: 'Canceled',
      reasonCode: 'ChargePermissionCanceled',
    });
    const again = await h.api.call('DELETE', `/chargePermissions/${cpId}/close`, { closureReason: 'x' });
    expect([again.status, again.body.reasonCode]).toEqual([422, 'InvalidChargePermissionStatus']);
    const charge = await h.api.createCharge(chargeBody(cpId), 'cl-2');
    expect([charge.status, charge.body.reasonCode]).toEqual([422, 'InvalidChargePermissionStatus']);
  });

  it('buyer close → BuyerClosed with a CHARGE_PERMISSION IPN; firstCharge appears in the ledger', async () => {
    receiver = await startIpnReceiver();
    h = await startHarness({ ipn: { url: receiver.url } });
    const created = await h.control.createChargePermission({ type: 'Recurring', currency: 'USD', firstCharge: { amount: '9.99' } });
    const cpId = created.chargePermission.chargePermissionId;
    expect(created.firstChargeId).toMatch(new RegExp(`^${cpId}-C\\d{6}$`));
    expect(await h.control.charges()).toEqual([
      expect.objectContaining({ chargeId: created.firstChargeId, amount: '9.99', state: 'Captured', idempotencyKey: null }),
    ]);
    const cp = await h.control.closeChargePermission(cpId, 'buyer');
    expect(cp.statusDetails.reasons?.[0]?.reasonCode).toBe('BuyerClosed');
    await waitFor(() => (receiver!.received.length >= 1 ? true : undefined));
    expect(messages(receiver)[0]).toMatchObject({ ObjectType: 'CHARGE_PERMISSION', ObjectId: cpId });
  });
});

describe('refunds', () => {
  it('RefundInitiated → Refunded with a REFUND IPN; over-refund → 400 TransactionAmountExceeded', async () => {
    receiver = await startIpnReceiver();
    h = await startHarness({ ipn: { url: receiver.url, suppressSynchronous: true }, refundDelayMs: 60_000 });
    const cpId = await newCp();
    const charge = await h.api.createCharge(chargeBody(cpId, '14.00'), 'rf-c');
    const refund = await h.api.call(
      'POST',
      '/refunds',
      { chargeId: charge.body.chargeId, refundAmount: { amount: '10.00', currencyCode: 'USD' } },
      { idempotencyKey: 'rf-1' },
    );
    expect(refund.status).toBe(201);
    expect(refund.body.refundId).toMatch(new RegExp(`^${cpId}-R\\d{6}$`));
    expect(refund.body.statusDetails.state).toBe('RefundInitiated');
    const over = await h.api.call(
      'POST',
      '/refunds',
      { chargeId: charge.body.chargeId, refundAmount: { amount: '4.01', currencyCode: 'USD' } },
      { idempotencyKey: 'rf-2' },
    );
    expect([over.status, over.body.reasonCode]).toEqual([400, 'TransactionAmountExceeded']);
    await h.control.resolveRefund(refund.body.refundId);
    const got = await h.api.call('GET', `/refunds/${refund.body.refundId}`);
    expect(got.body.statusDetails.state).toBe('Refunded');
    expect((await h.api.call('GET', `/charges/${charge.body.chargeId}`)).body.refundedAmount).toEqual({ amount: '10.00', currencyCode: 'USD' });
    await waitFor(() => (receiver!.received.length >= 1 ? true : undefined));
    expect(messages(receiver)[0]).toMatchObject({ ObjectType: 'REFUND', ObjectId: refund.body.refundId });
  });
});
