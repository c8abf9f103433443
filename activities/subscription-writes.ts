import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { insertCheckoutCharge } from '../db/queries/charges.js';
import { recordPlanChange, recordSubscriptionEvent, recordSubscriptionStatus } from '../db/queries/subscriptions.js';
import { charges } from '../db/schema/index.js';
import type { ChargeUpdate, StatusChange } from '../workflows/types.js';

/** Writes a status the workflow decided (also used by the charge activity for the status after a paid charge). */
export async function recordStatusChange(db: Database, change: StatusChange, at: Date): Promise<void> {
  await recordSubscriptionStatus(db, {
    ...change,
    nextBillingAt: change.nextBillingAt ? new Date(change.nextBillingAt) : null,
    ended: change.ended ?? false,
    at,
  });
}

/** Database side of the workflow: statuses, history events, checkout charge, pending resolutions. */
export function createLedgerActivities(deps: { db: Database; now: () => Date }) {
  return {
    async recordStatus(change: StatusChange): Promise<void> {
      await recordStatusChange(deps.db, change, deps.now());
    },
    async recordEvent(event: { subscriptionId: string; kind: string; cycle: number; detail: Record<string, unknown> }): Promise<void> {
      if (event.kind === 'plan_changed') {
        // The workflow reports a plan change as an event (its recorded histories call this
        // activity); the row must show the new plan too, so list and export agree with it.
        const { amountMinor, interval } = event.detail as { amountMinor?: string; interval?: { unit: string; count: number } };
        await recordPlanChange(deps.db, { subscriptionId: event.subscriptionId, fromCycle: event.cycle, amountMinor, interval, at: deps.now() });
        return;
      }
      await recordSubscriptionEvent(deps.db, { ...event, at: deps.now() });
    },
    async recordCheckoutCharge(input: { subscriptionId: string; chargeId: string; amountMinor: string; currency: string }): Promise<{ state: string; at: string }> {
      const row = await insertCheckoutCharge(deps.db, { ...input, amountMinor: BigInt(input.amountMinor), at: deps.now() });
      return { state: row.state, at: (row.completedAt ?? row.requestedAt).toISOString() };
    },
    async recordChargeResolution(input: { subscriptionId: string; cycle: number; attempt: number } & ChargeUpdate): Promise<void> {
      await deps.db
        .update(charges)
        .set({ state: input.state, reasonCode: input.reasonCode, completedAt: deps.now() })
        .where(and(eq(charges.subscriptionId, input.subscriptionId), eq(charges.cycle, input.cycle), eq(charges.attempt, input.attempt), eq(charges.chargeId, input.chargeId)));
    },
  };
}
