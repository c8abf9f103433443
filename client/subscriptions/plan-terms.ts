// The buyer's terms on the Charge Permission kept true through a plan change (issue 18). Amazon
// Pay uses recurringMetadata for the permission's expiry and for what it tells the buyer
// (amazon-pay-checkout reference §8): outside the EU/UK, Update Charge Permission carries the new
// plan; under PSD2 (region eu) a higher amount or another frequency needs the buyer's consent at a
// new checkout, so such a change is refused before Amazon Pay or the subscription hears of it,
// naming the path that does it: a checkout with replacesSubscriptionId (client/checkout/replace.ts).
import type { AmazonPayClient } from '../../amazonpay/client.js';
import type { AmazonPayRegion } from '../../amazonpay/config.js';
import type { ChargePermission, FrequencyUnit, RecurringMetadata, UpdateChargePermissionRequest } from '../../amazonpay/types.js';
import { formatMoney, money, toAmazonPrice } from '../../billing/money.js';
import type { BillingInterval } from '../../billing/types.js';
import { frequencyOf } from '../checkout/payload.js';
import { showInterval } from '../cli/format.js';
import { ChargePermissionNotChargeableError, CheckoutRequiredError, UpstreamError, type CheckoutRequiredReason } from '../errors.js';
import type { OtherPlan } from './amazon-checks.js';

/** recurringMetadata as Update Charge Permission takes it. */
export type RecurringMetadataUpdate = NonNullable<UpdateChargePermissionRequest['recurringMetadata']>;

/** The update that puts back what Get Charge Permission answered (a frequency Amazon left unset is left out). */
export function recurringMetadataAsRead(metadata: RecurringMetadata | null | undefined): RecurringMetadataUpdate {
  const frequency = metadata?.frequency;
  return {
    ...(frequency ? { frequency: { unit: frequency.unit as FrequencyUnit, value: frequency.value } } : {}),
    amount: metadata?.amount ?? null,
  };
}

/** A plan as the row holds it: amount in minor units, currency, interval. */
export interface PlanTerms {
  amountMinor: string;
  currency: string;
  interval: BillingInterval;
}

/** Nominal seconds per unit, only to find the shortest of several cycles (reference §8: several subscriptions on one permission give the shortest). */
const NOMINAL_SECONDS: Readonly<Record<BillingInterval['unit'], number>> = {
  second: 1,
  minute: 60,
  hour: 3_600,
  day: 86_400,
  week: 604_800,
  month: 2_629_746,
  year: 31_556_952,
};

const show = (plan: PlanTerms): string => `${formatMoney(money(BigInt(plan.amountMinor), plan.currency))} ${showInterval(plan.interval)}`;

/** What in a change PSD2 binds to a new checkout: a higher amount per cycle, another frequency. Empty: Update Charge Permission may carry it. */
export function psd2CheckoutReasons(from: PlanTerms, to: PlanTerms): CheckoutRequiredReason[] {
  const reasons: CheckoutRequiredReason[] = [];
  if (BigInt(to.amountMinor) > BigInt(from.amountMinor)) reasons.push('HigherAmount');
  if (to.interval.unit !== from.interval.unit || to.interval.count !== from.interval.count) reasons.push('FrequencyChange');
  return reasons;
}

/**
 * Refuses, with CheckoutRequiredError (one line: why, and the re-checkout path), a change that
 * the permission's region allows only through a new checkout: region eu (EU and UK, PSD2) with a
 * higher amount or another frequency (reference §8, advanced-subscription page). Nothing is read or sent.
 * `replacementBlocked`: why a checkout cannot replace the subscription now (client/checkout/replaceable.ts
 * replacementBlocker), said instead of the replacement path, which that checkout would refuse.
 */
export function assertChangeWithoutCheckout(
  region: AmazonPayRegion,
  subscriptionId: string,
  chargePermissionId: string,
  from: PlanTerms,
  to: PlanTerms,
  replacementBlocked: string | null = null,
): void {
  if (region !== 'eu') return;
  const reasons = psd2CheckoutReasons(from, to);
  if (reasons.length === 0) return;
  const what = reasons.map((r) => (r === 'HigherAmount' ? 'a higher amount' : 'another frequency')).join(' and ');
  const path =
    replacementBlocked === null
      ? `; create a checkout for the new plan with a new subscription id and replacesSubscriptionId ${subscriptionId} (POST /v1/checkout-sessions): it charges nothing at checkout, the new plan bills from this subscription's next billing date, and its complete stops ${subscriptionId} and closes its Charge Permission`
      : `, but a checkout cannot replace it now: ${replacementBlocked}`;
  throw new CheckoutRequiredError(
    subscriptionId,
    chargePermissionId,
    reasons,
    `The plan change of subscription ${subscriptionId} (${show(from)} → ${show(to)}) was refused and nothing changed: its Charge Permission ${chargePermissionId} is in Amazon Pay's EU/UK region, where PSD2 lets ${what} take effect only with the buyer's consent at a new checkout${path}`,
  );
}

/**
 * The permission's recurringMetadata once `plan` holds: its frequency and amount; with `others`
 * (the other live subscriptions on the permission) the shortest cycle among them and no amount,
 * as the amount charged varies (reference §8: "give the shortest cycle"; amount optional).
 */
export function recurringMetadataFor(plan: PlanTerms, others: readonly OtherPlan[]): RecurringMetadataUpdate {
  const cycles = [plan.interval, ...others.map((o) => o.interval)];
  const shortest = cycles.reduce((a, b) => (NOMINAL_SECONDS[b.unit] * b.count < NOMINAL_SECONDS[a.unit] * a.count ? b : a));
  return {
    frequency: frequencyOf(shortest),
    amount: others.length === 0 ? toAmazonPrice(money(BigInt(plan.amountMinor), plan.currency)) : null,
  };
}

/**
 * Update Charge Permission with `recurringMetadata` (reference API §5.6). Throws
 * ChargePermissionNotChargeableError when Amazon Pay refuses it for the permission's state (e.g.
 * ChargePermissionNotModifiable once Closed), UpstreamError otherwise (retryable when throttled
 * or unavailable). Returns the permission as Amazon Pay then has it.
 */
export async function updateRecurringMetadata(
  amazonPay: AmazonPayClient,
  permission: Pick<ChargePermission, 'chargePermissionId' | 'statusDetails'>,
  recurringMetadata: RecurringMetadataUpdate,
): Promise<ChargePermission> {
  const id = permission.chargePermissionId;
  const outcome = await amazonPay.updateChargePermission(id, { recurringMetadata });
  if (outcome.kind === 'ok') return outcome.body;
  const code = 'reasonCode' in outcome && outcome.reasonCode ? outcome.reasonCode : outcome.kind;
  if (outcome.kind === 'permission_state') {
    const reasons = (permission.statusDetails.reasons ?? []).map((r) => r.reasonCode);
    throw new ChargePermissionNotChargeableError(
      id,
      permission.statusDetails.state,
      reasons,
      `Amazon Pay refused to update its recurringMetadata (${code}: ${outcome.message})`,
    );
  }
  const retryable = outcome.kind === 'throttled' || outcome.kind === 'transient';
  throw new UpstreamError(`Amazon Pay Update Charge Permission ${id} failed (${code}): ${outcome.message}`, retryable);
}
