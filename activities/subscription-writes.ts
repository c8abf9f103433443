// The database writes the subscription workflow asks for, each doing one job: its status, an
// event in its history, a plan change, the charge captured at checkout, the final state of a
// pending charge. The charge activity writes the status after a paid charge with the same
// recordStatusChange (activities/charges.ts).
import type { AmazonPayRegion } from '../amazonpay/config.js';
import { paymentMethodUpdateUrlPrefix } from '../amazonpay/update-link.js';
import type { Database } from '../db/client.js';
import { insertCheckoutCharge, resolvePendingCharge } from '../db/queries/charges.js';
import { recordPlanChange, recordSubscriptionEvent, recordSubscriptionStatus } from '../db/queries/subscriptions.js';
import type { BillingInterval } from '../billing/types.js';
import type { ChargeUpdate, PlanChangeRecord, StatusChange, SubscriptionEvent } from '../workflows/types.js';

/**
 * Writes a status the workflow decided: the row, its history entry and its outbox event when
 * status or reason changed (db/queries/status-events.ts). Idempotent. `region` decides the
 * buyer's update link in subscription.payment_method_required (default na, as the admin client).
 */
export async function recordStatusChange(db: Database, change: StatusChange, at: Date, region: AmazonPayRegion = 'na'): Promise<void> {
  await recordSubscriptionStatus(db, {
    ...change,
    nextBillingAt: change.nextBillingAt ? new Date(change.nextBillingAt) : null,
    ended: change.ended ?? false,
    at,
    paymentMethodUpdateUrlPrefix: paymentMethodUpdateUrlPrefix(region),
  });
}

/**
 * How workflow code before PLAN_CHANGE_WRITTEN_EXPLICITLY (workflows/subscription.ts) asked for a
 * plan change: an event of this kind, whose activity wrote the plan too.
 */
const LEGACY_PLAN_CHANGED_EVENT = 'plan_changed';

/** recordCheckoutCharge's input: cycle 0's charge made at checkout, amount in minor units (also read back from histories: client/subscriptions/ledger-from-history.ts). */
export interface CheckoutChargeRecord {
  subscriptionId: string;
  chargeId: string;
  amountMinor: string;
  currency: string;
  state?: string;
  reasonCode?: string | null;
}

/** recordChargeResolution's input: the final state of a pending charge of one attempt. */
export type ChargeResolutionRecord = { subscriptionId: string; cycle: number; attempt: number } & ChargeUpdate;

export function createSubscriptionWriteActivities(deps: { db: Database; now: () => Date; region?: AmazonPayRegion }) {
  const writePlanChange = (change: PlanChangeRecord) =>
    recordPlanChange(deps.db, {
      subscriptionId: change.subscriptionId,
      fromCycle: change.fromCycle,
      amountMinor: change.amountMinor,
      interval: change.interval,
      at: deps.now(),
    });
  return {
    async recordStatus(change: StatusChange): Promise<void> {
      await recordStatusChange(deps.db, change, deps.now(), deps.region);
    },
    /** An event in the subscription's history (e.g. cycles_skipped_while_paused); changes nothing else. */
    async recordEvent(event: SubscriptionEvent): Promise<void> {
      if (event.kind === LEGACY_PLAN_CHANGED_EVENT) {
        // Only from workflow code before PLAN_CHANGE_WRITTEN_EXPLICITLY: a call it scheduled before
        // an upgrade may still arrive (or be replayed) and is the plan write it asked for. Current
        // workflow code asks recordPlanChange.
        const { amountMinor, interval } = event.detail as { amountMinor?: string; interval?: BillingInterval };
        await writePlanChange({ subscriptionId: event.subscriptionId, fromCycle: event.cycle, amountMinor, interval });
        return;
      }
      await recordSubscriptionEvent(deps.db, { ...event, at: deps.now() });
    },
    /** A plan change from `fromCycle` on: the row shows the new plan (list, export) and its history the plan_changed event, in one transaction. */
    async recordPlanChange(change: PlanChangeRecord): Promise<void> {
      await writePlanChange(change);
    },
    /**
     * Cycle 0 paid (or being paid) at checkout, in the state Amazon Pay's Get Charge gave (absent:
     * Captured, what workflow code before CHECKOUT_CHARGE_AS_AMAZON_HAS_IT asked for). The row
     * already there is kept and returned.
     */
    async recordCheckoutCharge(input: CheckoutChargeRecord): Promise<{ state: string; at: string }> {
      const row = await insertCheckoutCharge(deps.db, { ...input, amountMinor: BigInt(input.amountMinor), at: deps.now() });
      return { state: row.state, at: (row.completedAt ?? row.requestedAt).toISOString() };
    },
    async recordChargeResolution(input: ChargeResolutionRecord): Promise<void> {
      const { chargeId, state, reasonCode, ...attempt } = input;
      await resolvePendingCharge(deps.db, { ...attempt, chargeId }, { state, reasonCode, at: deps.now() });
    },
  };
}
