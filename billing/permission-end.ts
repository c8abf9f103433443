// How a subscription ends when its Charge Permission is gone, said once: the subscription
// workflow (workflows/runtime.ts), the IPN reaction and reconciliation (ipn/reaction.ts) and the
// finish from the database (client/subscriptions/finish-stopped.ts, through the recorded stop)
// all take the (status, reason) from here, so the same fact never ends two ways.
import type { FinalSubscriptionStatus } from './vocabulary.js';

/** A subscription's end: its final status and the reason recorded with it (and in its event). */
export interface SubscriptionEnding {
  status: FinalSubscriptionStatus;
  reason: string;
}

/**
 * The reason a subscription whose Charge Permission expired ends with (status `ended`): the
 * workflow's own expiry check, a Create Charge refused for the expiry, and a permission Amazon
 * reports `Closed` with reason `Expired` all end it this way (event `subscription.ended`).
 */
export const PERMISSION_EXPIRED_ENDING: SubscriptionEnding = Object.freeze({ status: 'ended', reason: 'ChargePermissionExpired' });

/** Amazon Pay's Closed reason code for a permission that reached its expirationTimestamp (amazon-pay-api reference §5.3). */
const EXPIRED_CLOSURE_REASON = 'Expired';

/**
 * The end of a subscription on a Charge Permission in `state` with `reasons` (Get Charge
 * Permission's statusDetails.reasons[].reasonCode, first one deciding), or null while the
 * permission can still be charged (Chargeable, NonChargeable):
 * - `Closed` with `Expired`: the buyer's consent ran out, nobody left — ended, ChargePermissionExpired;
 * - `Closed` with any other reason (MerchantClosed, BuyerCanceled, BuyerClosed, AmazonCanceled,
 *   AmazonClosed, one Amazon adds later): canceled with that reason, ChargePermissionClosed when none;
 * - `NotFound` (Amazon no longer knows it): canceled with its reason, ChargePermissionNotFound when none.
 * Pure; Amazon Pay's Closed reasons: amazon-pay-api reference §5.3.
 */
export function endingForPermission(status: { state: string; reasons: readonly string[] }): SubscriptionEnding | null {
  const first = status.reasons[0];
  if (status.state === 'Closed') {
    if (first === EXPIRED_CLOSURE_REASON) return PERMISSION_EXPIRED_ENDING;
    return { status: 'canceled', reason: first ?? 'ChargePermissionClosed' };
  }
  if (status.state === 'NotFound') return { status: 'canceled', reason: first ?? 'ChargePermissionNotFound' };
  return null;
}
