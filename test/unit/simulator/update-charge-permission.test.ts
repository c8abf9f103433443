import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

const patch = (id: string, body: unknown) => h!.api.call('PATCH', `/chargePermissions/${id}`, body);

describe('Update Charge Permission', () => {
  it('changes the merchantMetadata children given, repeatedly, and recurringMetadata (a plan change)', async () => {
    h = await startHarness();
    const id = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    expect((await patch(id, { merchantMetadata: { merchantReferenceId: 'sub-1', merchantStoreName: 'Tea Club' } })).status).toBe(200);
    const second = await patch(id, {
      merchantMetadata: { merchantReferenceId: 'sub-1b' },
      recurringMetadata: { frequency: { unit: 'Week', value: 2 }, amount: { amount: 4.5, currencyCode: 'USD' } },
    });
    expect(second.status).toBe(200);
    expect(second.body.merchantMetadata).toEqual({ merchantReferenceId: 'sub-1b', merchantStoreName: 'Tea Club', noteToBuyer: null, customInformation: null });
    expect(second.body.recurringMetadata).toEqual({ frequency: { unit: 'Week', value: '2' }, amount: { amount: '4.50', currencyCode: 'USD' } });
    const wrongCurrency = await patch(id, { recurringMetadata: { amount: { amount: '4.50', currencyCode: 'EUR' } } });
    expect(wrongCurrency.body.reasonCode).toBe('CurrencyMismatch');
  });

  it('once Closed: only a OneTime permission’s merchantMetadata, only cleared', async () => {
    h = await startHarness();
    const recurring = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const oneTime = (await h.control.createChargePermission({ type: 'OneTime', currency: 'USD' })).chargePermission.chargePermissionId;
    for (const id of [recurring, oneTime]) await h.control.closeChargePermission(id, 'buyer');
    expect((await patch(recurring, { merchantMetadata: { customInformation: null } })).body.reasonCode).toBe('ChargePermissionNotModifiable');
    expect((await patch(oneTime, { merchantMetadata: { customInformation: 'x' } })).body.reasonCode).toBe('ChargePermissionNotModifiable');
    expect((await patch(oneTime, { recurringMetadata: null })).body.reasonCode).toBe('ChargePermissionNotModifiable');
    expect((await patch(oneTime, { merchantMetadata: { customInformation: '', noteToBuyer: null } })).status).toBe(200);
  });
});
