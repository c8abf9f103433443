// Small helpers the workflow/dunning integration tests share: a fresh Charge Permission, the
// two ledgers (simulator and PostgreSQL), status history, and the client's cancel sequence.
import type { WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';
import type { SubscriptionSpec } from '../../billing/types.js';
import { subscriptionIdFromWorkflowId } from '../../billing/keys.js';
import { listCharges } from '../../db/queries/charges.js';
import { listSubscriptionEvents } from '../../db/queries/subscriptions.js';
import type { ChargeRow } from '../../db/schema/index.js';
import type { LedgerEntry } from '../../simulator/control-client.js';
import { stopSubscriptionNow } from '../../client/subscriptions/stop-now.js';
import { stateQuery } from '../../workflows/messages.js';
import type { subscriptionWorkflow } from '../../workflows/index.js';
import { anchorSecondsFromNow, eventually, type BillingHarness } from './billing-harness.js';

export type SubscriptionHandle = WorkflowHandle<typeof subscriptionWorkflow>;

export async function newPermission(h: BillingHarness, currency = 'USD', type: 'Recurring' | 'PaymentMethodOnFile' = 'Recurring'): Promise<string> {
  const { chargePermission } = await h.control.createChargePermission({ type, currency });
  return chargePermission.chargePermissionId;
}

/** A USD plan billed every `seconds`, first due `firstInSeconds` from now. */
export function shortSpec(
  id: string,
  chargePermissionId: string,
  options: { seconds?: number; firstInSeconds?: number; cycles?: number; amountMinor?: string } = {},
): SubscriptionSpec {
  return {
    id,
    chargePermissionId,
    plan: { amountMinor: options.amountMinor ?? '1400', currency: 'USD', interval: { unit: 'second', count: options.seconds ?? 2 } },
    anchor: anchorSecondsFromNow(options.firstInSeconds ?? 1),
    ...(options.cycles === undefined ? {} : { end: { afterCycles: options.cycles } }),
  };
}

export async function simulatorCharges(h: BillingHarness, chargePermissionId: string): Promise<LedgerEntry[]> {
  return (await h.control.charges()).filter((c) => c.chargePermissionId === chargePermissionId);
}

export async function ledger(h: BillingHarness, subscriptionId: string): Promise<ChargeRow[]> {
  return listCharges(h.database.db, subscriptionId);
}

/** Status transitions as "from→to:reason" (events that are not transitions keep their kind as reason). */
export async function statusHistory(
  h: BillingHarness,
  subscriptionId: string,
): Promise<{ to: string; reason: string | null; cycle: number | null; at: Date; detail: unknown }[]> {
  return (await listSubscriptionEvents(h.database.db, subscriptionId)).map((e) => ({
    to: e.toStatus,
    reason: e.reasonCode,
    cycle: e.cycle,
    at: e.at,
    detail: e.detail,
  }));
}

/**
 * Create Charge activities the workflow has scheduled so far (this run), read from its history:
 * after a query shows a signal handled, a charge the workflow decided on in that task is here
 * even if it has not reached Amazon Pay or the ledger yet.
 */
export async function chargesScheduled(handle: SubscriptionHandle): Promise<number> {
  return ((await handle.fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'chargeCycle').length;
}

/** What an admin client does to cancel now (client/subscriptions/stop-now.ts): record the stop, say why (signal), then request cancellation. */
export async function cancelNow(h: BillingHarness, handle: SubscriptionHandle, reason: string): Promise<void> {
  await stopSubscriptionNow({ db: h.database.db, now: () => new Date() }, handle, { subscriptionId: subscriptionIdFromWorkflowId(handle.workflowId), reason });
}

/**
 * The money invariant: every successful simulator charge of this permission has its own key
 * and matches exactly one successful ledger row (ChargeId and key), one per cycle.
 */
export async function expectEachCycleChargedOnce(h: BillingHarness, subscriptionId: string, chargePermissionId: string, cycles: number): Promise<void> {
  const simulated = (await simulatorCharges(h, chargePermissionId)).filter((c) => c.state === 'Captured' || c.state === 'Authorized');
  expect(simulated, `simulator charges of ${subscriptionId}`).toHaveLength(cycles);
  expect(new Set(simulated.map((c) => c.idempotencyKey)).size).toBe(cycles);
  const rows = (await ledger(h, subscriptionId)).filter((r) => r.state === 'Captured' || r.state === 'Authorized');
  expect(rows.map((r) => r.cycle)).toEqual(Array.from({ length: cycles }, (_, i) => i));
  expect(rows.map((r) => r.chargeId).sort()).toEqual(simulated.map((c) => c.chargeId).sort());
  expect(rows.map((r) => r.idempotencyKey).sort()).toEqual(simulated.map((c) => c.idempotencyKey).sort());
}

/**
 * The harness clock (activities, client, simulator) `secondsBefore` seconds before `boundary`
 * (a UTC month start, epoch ms), then a 600.00 USD plan of 2 cycles every 3 s on a new Recurring
 * USD permission (1,000.00 a month): its second cycle is refused PeriodicAmountExceeded and waits
 * for the reset. Returns once it waits; the caller puts the clock back (setClockOffsetMs(0)).
 */
export async function launchCappedBeforeMonthEnd(
  h: BillingHarness,
  id: string,
  boundary: number,
  secondsBefore: number,
): Promise<{ handle: SubscriptionHandle; cp: string; offset: number }> {
  const offset = boundary - secondsBefore * 1000 - Date.now();
  h.setClockOffsetMs(offset);
  const cp = await newPermission(h);
  const { handle } = await h.launch(shortSpec(id, cp, { seconds: 3, firstInSeconds: 1, cycles: 2, amountMinor: '60000' }));
  await eventually(
    () => handle.query(stateQuery),
    (s) => s.statusReason === 'PeriodicAmountExceeded',
    { what: 'past_due until the cap resets' },
  );
  return { handle, cp, offset };
}
