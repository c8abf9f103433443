import { and, eq, inArray, lt, notInArray, sql } from 'drizzle-orm';
import { inSlices } from './slices.js';
import type { DatabaseOrTransaction } from '../client.js';
import { charges, subscriptionEvents, subscriptions, type NewSubscriptionRow, type SubscriptionRow } from '../schema/index.js';
import { FINAL_SUBSCRIPTION_STATUSES, type FinalSubscriptionStatus } from '../../billing/vocabulary.js';
import { money, toDecimalString } from '../../billing/money.js';
import { appendEvent, newEventIdSql } from './events.js';
import { statusEventData, statusEventTypeSql } from './status-events.js';

/**
 * Inserts the row unless it exists; returns what is stored (the caller compares for conflicts).
 * A new row gets its history's first entry and its subscription.started event in the same
 * transaction (the outbox: no subscription without its event).
 */
export async function insertSubscription(db: DatabaseOrTransaction, row: NewSubscriptionRow): Promise<{ row: SubscriptionRow; created: boolean }> {
  const created = await db.transaction(async (tx) => {
    const [inserted] = await tx.insert(subscriptions).values(row).onConflictDoNothing({ target: subscriptions.id }).returning();
    if (!inserted) return undefined;
    await tx.insert(subscriptionEvents).values({ subscriptionId: row.id, fromStatus: null, toStatus: row.status, reasonCode: 'Created', cycle: 0 });
    const { sequence } = await appendEvent(tx, {
      subscriptionId: row.id,
      type: 'subscription.started',
      occurredAt: inserted.createdAt,
      data: startedEventData(inserted),
    });
    return { ...inserted, lastEventSequence: sequence };
  });
  if (created) return { row: created, created: true };
  const [existing] = await db.select().from(subscriptions).where(eq(subscriptions.id, row.id));
  if (!existing) throw new Error(`subscription ${row.id} vanished after a conflicting insert`);
  return { row: existing, created: false };
}

/**
 * Inserts a subscription row rebuilt from its running workflow after a database restore lost it
 * (client/subscriptions/restore-orphan.ts), with its status history's first entry (`reasonCode`,
 * `detail`) — unless a row with its id or workflow id exists (a concurrent start, an earlier
 * restore): that row is kept as it is and false returned. No outbox event: subscription.started
 * went out when it started, and events are not rebuilt. Run it in the restore's transaction.
 */
export async function insertRestoredSubscription(
  db: DatabaseOrTransaction,
  row: NewSubscriptionRow,
  entry: { reasonCode: string; detail: Record<string, unknown>; at: Date },
): Promise<boolean> {
  const [inserted] = await db.insert(subscriptions).values(row).onConflictDoNothing().returning({ id: subscriptions.id });
  if (!inserted) return false;
  await db.insert(subscriptionEvents).values({
    subscriptionId: row.id,
    fromStatus: null,
    toStatus: row.status,
    reasonCode: entry.reasonCode,
    cycle: row.currentCycle ?? 0,
    detail: entry.detail,
    at: entry.at,
  });
  return true;
}

/** subscription.started's data (api/schemas/events.ts SubscriptionStartedData): the terms it was started with. */
function startedEventData(row: SubscriptionRow): Record<string, unknown> {
  return {
    status: row.status,
    charge_permission_id: row.chargePermissionId,
    plan: { ...moneyOut(row.amountMinor, row.currency), interval: { unit: row.intervalUnit, count: row.intervalCount } },
    anchor: { local_date_time: row.anchorLocal, zone: row.anchorZone, ...(row.anchorDayOfMonth === null ? {} : { day_of_month: row.anchorDayOfMonth }) },
    trial: row.trial ?? null,
    end: row.endAfterCycles !== null ? { after_cycles: row.endAfterCycles } : row.endAt !== null ? { at: row.endAt.toISOString() } : null,
    first_charge_id: row.firstChargeId,
  };
}

/** Money in an event's data: a decimal string in the currency's major unit and the currency. */
function moneyOut(amountMinor: bigint, currency: string): { amount: string; currency: string } {
  return { amount: toDecimalString(money(amountMinor, currency)), currency };
}

export async function getSubscription(db: DatabaseOrTransaction, id: string): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
  return row;
}

/**
 * Records that a stop "now" was asked for, with the final status it ends the subscription with
 * (`status`: 'ended' only for a stop the daemon makes for an expired Charge Permission,
 * billing/permission-end.ts; default canceled); the first request's time, reason and status stay
 * (a second stop of the same subscription changes nothing). See client/subscriptions/stop-now.ts.
 */
export async function recordStopRequested(
  db: DatabaseOrTransaction,
  subscriptionId: string,
  reason: string,
  at: Date,
  status: FinalSubscriptionStatus = 'canceled',
): Promise<void> {
  await db
    .update(subscriptions)
    .set({ stopRequestedAt: at, stopRequestedReason: reason, stopRequestedStatus: status })
    .where(and(eq(subscriptions.id, subscriptionId), sql`${subscriptions.stopRequestedAt} is null`));
}

/** A recorded stop "now": when, why, and the final status it ends the subscription with. */
export interface RecordedStop {
  at: Date;
  reason: string;
  status: FinalSubscriptionStatus;
}

/** The recorded stop of a row (null when none was asked for); rows without a stored status (before it was kept) are canceled. */
export function recordedStopOf(row: Pick<SubscriptionRow, 'stopRequestedAt' | 'stopRequestedReason' | 'stopRequestedStatus'>): RecordedStop | null {
  if (!row.stopRequestedAt) return null;
  return { at: row.stopRequestedAt, reason: row.stopRequestedReason ?? 'StopRequested', status: row.stopRequestedStatus === 'ended' ? 'ended' : 'canceled' };
}

/**
 * A recorded stop at the end of the paid period: when it was asked for, why, the last cycle that
 * may still be billed (-1: none, nothing was billed yet) and when the next one was due (the day it
 * ends; null when unknown at the time).
 */
export interface RecordedPeriodEndStop {
  at: Date;
  reason: string;
  afterCycle: number;
  endsAt: Date | null;
}

/** The recorded period-end stop of a row, or null when none was asked for. */
export function recordedPeriodEndStopOf(
  row: Pick<SubscriptionRow, 'periodEndStopRequestedAt' | 'periodEndStopReason' | 'periodEndStopAfterCycle' | 'periodEndStopEndsAt'>,
): RecordedPeriodEndStop | null {
  if (!row.periodEndStopRequestedAt) return null;
  return {
    at: row.periodEndStopRequestedAt,
    reason: row.periodEndStopReason ?? 'StopRequested',
    afterCycle: row.periodEndStopAfterCycle ?? -1,
    endsAt: row.periodEndStopEndsAt,
  };
}

/**
 * Records a stop at the end of the paid period, before the workflow is told
 * (client/subscriptions/stop-at-period-end.ts), with its `subscription.cancel_scheduled` event in
 * the same transaction. The cycle it applies after is decided here, under the row's lock, so that
 * a Create Charge claim (db/queries/charges.ts claimChargeSend, which reads the row `for share`)
 * either committed before — its cycle counts as billed — or sees the stop: the last cycle with a
 * ledger row, the cycle before the row's current one, or cycle 0 when checkout charged it
 * (first_charge_id), whichever is later (-1 when none: the first cycle, 0, is not billed). `dueAt(cycle)` gives that next cycle's billing date when the
 * caller knows it (the running workflow's plan); else the row's next_billing_at when it is that
 * cycle's. A stop already recorded is kept as it is (the first one decides; no second event).
 * Returns the recorded stop; throws when the row does not exist.
 */
export async function recordPeriodEndStop(
  db: DatabaseOrTransaction,
  stop: { subscriptionId: string; reason: string; at: Date; dueAt?: (cycle: number) => Date | null },
): Promise<RecordedPeriodEndStop> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(subscriptions).where(eq(subscriptions.id, stop.subscriptionId)).for('update');
    if (!row) throw new Error(`subscription ${stop.subscriptionId} is not in the database`);
    const recorded = recordedPeriodEndStopOf(row);
    if (recorded) return recorded;
    // A separate statement after the lock: it sees every claim that committed while we waited.
    const [ledger] = await tx
      .select({ last: sql<number | null>`max(${charges.cycle})` })
      .from(charges)
      .where(eq(charges.subscriptionId, stop.subscriptionId));
    // A checkout charge is cycle 0 from the start (first_charge_id), even before the workflow has
    // written it to the ledger: a stop asked right after checkout keeps the paid first period.
    const afterCycle = Math.max(ledger?.last ?? -1, row.currentCycle - 1, row.firstChargeId !== null ? 0 : -1);
    const endsAt = stop.dueAt?.(afterCycle + 1) ?? (row.currentCycle === afterCycle + 1 ? row.nextBillingAt : null);
    await tx
      .update(subscriptions)
      .set({ periodEndStopRequestedAt: stop.at, periodEndStopReason: stop.reason, periodEndStopAfterCycle: afterCycle, periodEndStopEndsAt: endsAt })
      .where(eq(subscriptions.id, stop.subscriptionId));
    await appendEvent(tx, {
      subscriptionId: stop.subscriptionId,
      type: 'subscription.cancel_scheduled',
      occurredAt: stop.at,
      data: { reason: stop.reason, after_cycle: afterCycle, ends_at: endsAt?.toISOString() ?? null },
    });
    return { at: stop.at, reason: stop.reason, afterCycle, endsAt };
  });
}

/** The recorded stop request of a subscription, or null when none was asked for. */
export async function stopRequestOf(db: DatabaseOrTransaction, subscriptionId: string): Promise<RecordedStop | null> {
  const [row] = await db
    .select({
      stopRequestedAt: subscriptions.stopRequestedAt,
      stopRequestedReason: subscriptions.stopRequestedReason,
      stopRequestedStatus: subscriptions.stopRequestedStatus,
    })
    .from(subscriptions)
    .where(eq(subscriptions.id, subscriptionId));
  return row ? recordedStopOf(row) : null;
}

/**
 * Sets the status (and schedule position) and appends a history event when the status or
 * its reason changed. Safe to run twice: the second run finds nothing changed.
 *
 * One statement, not a transaction of four: every billing cycle runs it, and the round trips
 * were most of its cost. The row is locked by the first CTE; all parts see the row as it was
 * before the update (one snapshot), which is what the "changed" test needs.
 *
 * A row in a final status (canceled, ended) is left as it is: a late write — a charge activity
 * that outlived its timeout writing its paid cycle's `active` after the run ended — must not
 * bring a stopped subscription back.
 */
const finalStatuses = sql`(${sql.join(
  FINAL_SUBSCRIPTION_STATUSES.map((status) => sql`${status}`),
  sql`, `,
)})`;

export async function recordSubscriptionStatus(
  db: DatabaseOrTransaction,
  change: {
    subscriptionId: string;
    status: string;
    reasonCode: string | null;
    cycle: number;
    nextBillingAt: Date | null;
    detail?: Record<string, unknown>;
    ended: boolean;
    at: Date;
    /**
     * The region's link where a buyer fixes the payment method, up to the Charge Permission id
     * (amazonpay/update-link.ts paymentMethodUpdateUrlPrefix); null: the region has none. Put in
     * subscription.payment_method_required's data.
     */
    paymentMethodUpdateUrlPrefix?: string | null;
  },
): Promise<void> {
  const at = change.at.toISOString();
  const next = change.nextBillingAt ? change.nextBillingAt.toISOString() : null;
  const detail = change.detail === undefined ? null : JSON.stringify(change.detail);
  const reasonChanged = sql`(current.status_reason is distinct from ${change.reasonCode}::text)`;
  const eventType = statusEventTypeSql(sql`current.status`, change.status, reasonChanged);
  const prefix = change.paymentMethodUpdateUrlPrefix ?? null;
  const updateUrl =
    change.status === 'payment_method_required'
      ? sql`jsonb_build_object('payment_method_update_url', case when ${prefix}::text is null then null else ${prefix}::text || current.charge_permission_id end)`
      : sql`'{}'::jsonb`;
  // The event (docs/events.md) is part of this statement: its sequence is bumped by the same
  // UPDATE that writes the status, so both commit or neither does, with no extra round trip.
  const rows = await db.execute<{ found: number }>(sql`
    with current as (
      select ${subscriptions.id} as id, ${subscriptions.status} as status, ${subscriptions.statusReason} as status_reason,
        ${subscriptions.chargePermissionId} as charge_permission_id
      from ${subscriptions} where ${subscriptions.id} = ${change.subscriptionId} for update
    ), kind as (
      select current.id, ${eventType} as type,
        ${JSON.stringify(statusEventData(change))}::jsonb || jsonb_build_object('previous_status', current.status) || ${updateUrl} as data
      from current where current.status not in ${finalStatuses}
    ), updated as (
      update ${subscriptions} set
        status = ${change.status},
        status_reason = ${change.reasonCode},
        current_cycle = ${change.cycle},
        next_billing_at = ${next}::timestamptz,
        updated_at = ${at}::timestamptz,
        ended_at = case when ${change.ended} and ${subscriptions.endedAt} is null then ${at}::timestamptz else ${subscriptions.endedAt} end,
        last_event_sequence = ${subscriptions.lastEventSequence} + (kind.type is not null)::int
      from kind where ${subscriptions.id} = kind.id
      returning ${subscriptions.id} as id, ${subscriptions.lastEventSequence} as sequence, ${subscriptions.account} as account, kind.type, kind.data
    ), event as (
      insert into ${subscriptionEvents} (subscription_id, from_status, to_status, reason_code, cycle, detail, at)
      select current.id, current.status, ${change.status}, ${change.reasonCode}, ${change.cycle}, ${detail}::jsonb, ${at}::timestamptz
      from current
      where current.status not in ${finalStatuses}
        and (current.status is distinct from ${change.status} or current.status_reason is distinct from ${change.reasonCode})
      returning 1
    ), outbox as (
      insert into events (id, type, subscription_id, sequence, account, occurred_at, data)
      select ${newEventIdSql}, type, id, sequence, account, ${at}::timestamptz, data from updated where type is not null
      returning 1
    )
    select (select count(*) from current)::int as found`);
  if ((rows[0]?.found ?? 0) === 0) throw new Error(`subscription ${change.subscriptionId} is not in the database`);
}

export async function recordSubscriptionEvent(
  db: DatabaseOrTransaction,
  event: { subscriptionId: string; kind: string; cycle: number; detail: Record<string, unknown>; at: Date },
): Promise<void> {
  const [current] = await db.select({ status: subscriptions.status }).from(subscriptions).where(eq(subscriptions.id, event.subscriptionId));
  await db.insert(subscriptionEvents).values({
    subscriptionId: event.subscriptionId,
    fromStatus: current?.status ?? null,
    toStatus: current?.status ?? 'unknown',
    reasonCode: event.kind,
    cycle: event.cycle,
    detail: event.detail,
    at: event.at,
  });
}

/**
 * Plan changes a database restore lost, put back from the workflow's history
 * (client/subscriptions/plan-changes-from-history.ts): one `plan_changed` event each, at the time
 * the workflow asked for it, and — `plan` given — the row's plan going forward (amount in minor
 * units, interval). No outbox event: the merchant's systems were told when the change was made.
 */
export async function restorePlanChanges(
  db: DatabaseOrTransaction,
  subscriptionId: string,
  changes: readonly { fromCycle: number; amountMinor?: string; interval?: { unit: string; count: number }; at: Date }[],
  plan: { amountMinor: string; interval: { unit: string; count: number } } | null,
): Promise<void> {
  for (const change of changes)
    await recordSubscriptionEvent(db, {
      subscriptionId,
      kind: 'plan_changed',
      cycle: change.fromCycle,
      detail: { ...(change.amountMinor ? { amountMinor: change.amountMinor } : {}), ...(change.interval ? { interval: change.interval } : {}) },
      at: change.at,
    });
  if (plan)
    await db
      .update(subscriptions)
      .set({ amountMinor: BigInt(plan.amountMinor), intervalUnit: plan.interval.unit, intervalCount: plan.interval.count })
      .where(eq(subscriptions.id, subscriptionId));
}

export async function listSubscriptionEvents(db: DatabaseOrTransaction, subscriptionId: string) {
  return db.select().from(subscriptionEvents).where(eq(subscriptionEvents.subscriptionId, subscriptionId)).orderBy(subscriptionEvents.id);
}

/**
 * A plan change from `fromCycle` on: the row shows the plan going forward (list and export
 * read it), and the history keeps the change with the cycle it starts at.
 */
export async function recordPlanChange(
  db: DatabaseOrTransaction,
  change: { subscriptionId: string; fromCycle: number; amountMinor?: string; interval?: { unit: string; count: number }; at: Date },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [prior] = await tx.select().from(subscriptions).where(eq(subscriptions.id, change.subscriptionId)).for('update');
    const [row] = await tx
      .update(subscriptions)
      .set({
        ...(change.amountMinor ? { amountMinor: BigInt(change.amountMinor) } : {}),
        ...(change.interval ? { intervalUnit: change.interval.unit, intervalCount: change.interval.count } : {}),
        updatedAt: change.at,
      })
      .where(eq(subscriptions.id, change.subscriptionId))
      .returning();
    await recordSubscriptionEvent(tx, {
      subscriptionId: change.subscriptionId,
      kind: 'plan_changed',
      cycle: change.fromCycle,
      detail: { ...(change.amountMinor ? { amountMinor: change.amountMinor } : {}), ...(change.interval ? { interval: change.interval } : {}) },
      at: change.at,
    });
    if (!prior || !row) throw new Error(`subscription ${change.subscriptionId} is not in the database`);
    // A retry of a committed write (its answer was lost) changes nothing and reports nothing.
    const samePlan = prior.amountMinor === row.amountMinor && prior.intervalUnit === row.intervalUnit && prior.intervalCount === row.intervalCount;
    if (samePlan) return;
    await appendEvent(tx, {
      subscriptionId: change.subscriptionId,
      type: 'subscription.plan_changed',
      occurredAt: change.at,
      data: {
        from_cycle: change.fromCycle,
        plan: { ...moneyOut(row.amountMinor, row.currency), interval: { unit: row.intervalUnit, count: row.intervalCount } },
        changed: [...(change.amountMinor ? ['amount'] : []), ...(change.interval ? ['interval'] : [])],
      },
    });
  });
}

const FINAL = [...FINAL_SUBSCRIPTION_STATUSES];

/** Subscriptions still billing (or waiting) on a Charge Permission: the ones an IPN concerns. */
export async function activeSubscriptionsOnPermission(db: DatabaseOrTransaction, chargePermissionId: string): Promise<SubscriptionRow[]> {
  return db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.chargePermissionId, chargePermissionId), notInArray(subscriptions.status, FINAL)));
}

export async function subscriptionOfCharge(
  db: DatabaseOrTransaction,
  chargeId: string,
): Promise<{ subscriptionId: string; workflowId: string; ledgerState: string; cycle: number; attempt: number } | undefined> {
  const [row] = await db
    .select({
      subscriptionId: subscriptions.id,
      workflowId: subscriptions.workflowId,
      ledgerState: charges.state,
      cycle: charges.cycle,
      attempt: charges.attempt,
    })
    .from(charges)
    .innerJoin(subscriptions, eq(subscriptions.id, charges.subscriptionId))
    .where(eq(charges.chargeId, chargeId))
    .limit(1);
  return row;
}

/**
 * The statement descriptor (softDescriptor) of the subscription whose ledger holds `chargeId`;
 * null when it has none or no ledger row holds the charge. It never changes after the start, so
 * every retry of a call keyed on the charge sends the same body.
 */
export async function softDescriptorOfCharge(db: DatabaseOrTransaction, chargeId: string): Promise<string | null> {
  const [row] = await db
    .select({ softDescriptor: subscriptions.softDescriptor })
    .from(charges)
    .innerJoin(subscriptions, eq(subscriptions.id, charges.subscriptionId))
    .where(eq(charges.chargeId, chargeId))
    .limit(1);
  return row?.softDescriptor ?? null;
}

/** Non-final subscriptions created before the cutoff (younger ones may still be starting their workflow). */
export async function nonFinalSubscriptions(db: DatabaseOrTransaction, createdBefore: Date): Promise<SubscriptionRow[]> {
  return db
    .select()
    .from(subscriptions)
    .where(and(notInArray(subscriptions.status, FINAL), lt(subscriptions.createdAt, createdBefore)));
}

/**
 * Finished subscriptions (canceled, ended) whose ledger has no row for some cycle before their
 * current one: where a database restore from an older backup may have lost ledger rows of
 * charges made before they finished (client/subscriptions/ledger-from-history.ts). A cycle skipped
 * while paused has no row either: the workflow's history, while Temporal keeps it, tells them apart.
 */
export async function finishedSubscriptionsWithLedgerGaps(db: DatabaseOrTransaction): Promise<SubscriptionRow[]> {
  return db
    .select()
    .from(subscriptions)
    .where(
      and(
        inArray(subscriptions.status, FINAL),
        sql`exists (select 1 from generate_series(0, ${subscriptions.currentCycle} - 1) as c(cycle)
          where not exists (select 1 from ${charges} where ${charges.subscriptionId} = ${subscriptions.id} and ${charges.cycle} = c.cycle))`,
      ),
    );
}

/** Which of these workflow ids belong to a subscription row; any number of ids (queried in slices, db/queries/slices.ts). */
export async function subscriptionWorkflowIds(db: DatabaseOrTransaction, workflowIds: readonly string[]): Promise<Set<string>> {
  const rows = await inSlices(workflowIds, (slice) =>
    db.select({ workflowId: subscriptions.workflowId }).from(subscriptions).where(inArray(subscriptions.workflowId, slice)),
  );
  return new Set(rows.map((r) => r.workflowId));
}
