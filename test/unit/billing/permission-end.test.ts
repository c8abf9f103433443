// The one mapping from a Charge Permission's end to the subscription's (billing/permission-end.ts).
import { describe, expect, it } from 'vitest';
import { endingForPermission, PERMISSION_EXPIRED_ENDING } from '../../../billing/permission-end.js';

describe('endingForPermission', () => {
  it('Closed with Expired ends the subscription ended, ChargePermissionExpired: the same end as its own expiry check', () => {
    expect(endingForPermission({ state: 'Closed', reasons: ['Expired'] })).toEqual({ status: 'ended', reason: 'ChargePermissionExpired' });
    expect(PERMISSION_EXPIRED_ENDING).toEqual({ status: 'ended', reason: 'ChargePermissionExpired' });
  });

  it('every other closure cancels it with its reason (the first one decides), ChargePermissionClosed when Amazon gives none', () => {
    for (const reason of ['MerchantClosed', 'BuyerCanceled', 'BuyerClosed', 'AmazonCanceled', 'AmazonClosed', 'SomeReasonAddedLater']) {
      expect(endingForPermission({ state: 'Closed', reasons: [reason] })).toEqual({ status: 'canceled', reason });
    }
    expect(endingForPermission({ state: 'Closed', reasons: ['BuyerClosed', 'Expired'] })).toEqual({ status: 'canceled', reason: 'BuyerClosed' });
    expect(endingForPermission({ state: 'Closed', reasons: [] })).toEqual({ status: 'canceled', reason: 'ChargePermissionClosed' });
  });

  it('a permission Amazon no longer knows cancels it; one that can still be charged does not end it', () => {
    expect(endingForPermission({ state: 'NotFound', reasons: ['ResourceNotFound'] })).toEqual({ status: 'canceled', reason: 'ResourceNotFound' });
    expect(endingForPermission({ state: 'NotFound', reasons: [] })).toEqual({ status: 'canceled', reason: 'ChargePermissionNotFound' });
    expect(endingForPermission({ state: 'Chargeable', reasons: [] })).toBeNull();
    expect(endingForPermission({ state: 'NonChargeable', reasons: ['PaymentMethodExpired'] })).toBeNull();
  });
});
