import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

const patch = (id: string, body: unknown, region = 'na') =>
  h!.api.call('PATCH', `/chargePermissions/${id}`, body, { extraHeaders: { 'x-amz-pay-region': region } });
const monthly = (amount: string) => ({ frequency: { unit: 'Month', value: '1' }, amount: { amount, currencyCode: 'EUR' } });

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

  it('keeps each recurringMetadata change with its region; in eu (PSD2) a higher amount or another frequency is flagged as needing a new checkout', async () => {
    h = await startHarness();
    const id = (await h.control.createChargePermission({ type: 'Recurring', currency: 'EUR' })).chargePermission.chargePermissionId;
    expect((await patch(id, { recurringMetadata: monthly('10.00') }, 'na')).status).toBe(200);
    expect((await patch(id, { recurringMetadata: monthly('8.00') }, 'eu')).status).toBe(200);
    expect((await patch(id, { recurringMetadata: monthly('9.00') }, 'eu')).status).toBe(200);
    const weekly = { frequency: { unit: 'Week', value: '1' }, amount: { amount: '2.00', currencyCode: 'EUR' } };
    expect((await patch(id, { recurringMetadata: weekly }, 'eu')).status).toBe(200);
    expect((await patch(id, { merchantMetadata: { noteToBuyer: 'hello' } }, 'eu')).status).toBe(200);
    const { recurringUpdates, chargePermission } = await h.control.getChargePermission(id);
    expect(recurringUpdates.map((u) => [u.region, u.from.amountMinor, u.to.amountMinor, u.needsCheckoutUnderPsd2])).toEqual([
      ['na', null, '1000', false],
      ['eu', '1000', '800', false],
      ['eu', '800', '900', true],
      ['eu', '900', '200', true],
    ]);
    expect(chargePermission.recurringMetadata).toEqual(weekly);
  });
});
