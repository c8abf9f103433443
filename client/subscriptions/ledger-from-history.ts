// Charge ledger rows rebuilt from a subscription workflow's Temporal history, for rows a
// restore of the daemon's database from an older backup lost (docs/deploy.md "Backup and
// restore"). The workflow is the source of truth for what it did: each chargeCycle activity's
// input (cycle, attempt, amount, Charge Permission: the idempotency key) and result (ChargeId,
// state), the checkout's charge it recorded, and the final state of a pending charge it
// recorded. Amazon Pay has the same charges; nothing is sent to it, and no outbox event is made.
// restoreFromHistory writes them, with the plan changes the same runs recorded
// (plan-changes-from-history.ts), in one transaction per subscription.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { completionOfResult } from '../../activities/charge-ledger.js';
import { chargeIdempotencyKey } from '../../billing/keys.js';
import type { Database } from '../../db/client.js';
import { completePendingRowsFromHistory, insertLedgerRowsIfAbsent, listCharges } from '../../db/queries/charges.js';
import { listSubscriptionEvents, recordSubscriptionEvent, restorePlanChanges } from '../../db/queries/subscriptions.js';
import type { ChargeRow, NewChargeRow, SubscriptionRow } from '../../db/schema/index.js';
import type { CheckoutChargeRecord, ChargeResolutionRecord } from '../../activities/subscription-writes.js';
import type { ChargeCycleInput, ChargeResult } from '../../workflows/types.js';
import { readRunHistory, runOfHistory, type HistoryEvents } from './repair-history.js';
import { missingPlanChanges, planChangesOfRuns, planOfRun, type PlanChangeInHistory } from './plan-changes-from-history.js';
import type { BillingInterval } from '../../billing/types.js';

type HistoryEvent = HistoryEvents[number];

/** The activities whose history tells what the ledger held (activities/charges.ts, activities/subscription-writes.ts). */
const CHARGE_CYCLE = 'chargeCycle';
const CHECKOUT_CHARGE = 'recordCheckoutCharge';
const CHARGE_RESOLUTION = 'recordChargeResolution';

/** (cycle, attempt): a ledger row's key within one subscription. */
const attemptKey = (row: Pick<NewChargeRow, 'cycle' | 'attempt'>) => `${row.cycle}/${row.attempt}`;

/**
 * The ledger rows the runs' histories (`runs`: oldest run first, each its events in order) show,
 * one per (cycle, attempt), ordered by cycle and attempt. A chargeCycle activity that completed
 * gives the row activities/charges.ts wrote — idempotency key from its input, amount and currency
 * in minor units, its result's ChargeId and state, or Refused / failed with the decline's reason
 * (activities/charge-ledger.ts completionOfResult); one that failed or timed out (its retries ran
 * out, the outcome unknown) a `pending` row that may have been processed; a `not_sent` result or
 * an activity still running none (its own write makes it). A checkout's charge recorded by the
 * workflow is cycle 0, attempt 0 (db/queries/charges.ts insertCheckoutCharge); a recorded final
 * state of a pending charge updates its row. Requested at: when the activity was scheduled;
 * completed at: when it completed. Throws when a payload is not what these activities carry.
 */
export function ledgerRowsOfRuns(runs: HistoryEvents[]): NewChargeRow[] {
  const rows = new Map<string, NewChargeRow>();
  for (const events of runs) {
    const scheduled = new Map<string, { name: string; input: unknown; at: Date }>();
    for (const event of events) {
      const at = eventTime(event);
      const start = event.activityTaskScheduledEventAttributes;
      const name = start?.activityType?.name;
      if (start && name && [CHARGE_CYCLE, CHECKOUT_CHARGE, CHARGE_RESOLUTION].includes(name)) {
        scheduled.set(String(event.eventId), { name, input: firstPayload(start.input?.payloads), at });
        continue;
      }
      const completed = event.activityTaskCompletedEventAttributes;
      const ended = completed ?? event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
      const activity = ended ? scheduled.get(String(ended.scheduledEventId)) : undefined;
      if (!activity) continue;
      if (activity.name === CHARGE_CYCLE) {
        const input = activity.input as ChargeCycleInput;
        const result = completed ? (firstPayload(completed.result?.payloads) as ChargeResult) : null;
        const row = chargeCycleRow(input, result, activity.at, at);
        if (row) rows.set(attemptKey(row), row);
      } else if (completed && activity.name === CHECKOUT_CHARGE) {
        const input = activity.input as CheckoutChargeRecord;
        // The row already there is kept (insertCheckoutCharge): a later run's record changes nothing.
        if (!rows.has('0/0')) rows.set('0/0', checkoutRow(input, at));
      } else if (completed && activity.name === CHARGE_RESOLUTION) {
        const input = activity.input as ChargeResolutionRecord;
        const row = rows.get(attemptKey(input));
        if (row && row.chargeId === input.chargeId) Object.assign(row, { state: input.state, reasonCode: input.reasonCode, completedAt: at });
      }
    }
  }
  return [...rows.values()].sort((a, b) => a.cycle - b.cycle || a.attempt - b.attempt);
}

/** A chargeCycle attempt's row: completed with `result`, or (null) failed with its outcome unknown. */
function chargeCycleRow(input: ChargeCycleInput, result: ChargeResult | null, requestedAt: Date, at: Date): NewChargeRow | null {
  const base = {
    subscriptionId: input.subscriptionId,
    cycle: input.cycle,
    attempt: input.attempt,
    idempotencyKey: chargeIdempotencyKey(input),
    amountMinor: BigInt(input.amountMinor),
    currency: input.currency,
    requestedAt,
  };
  if (result === null) return { ...base, state: 'pending', chargeId: null, outcome: null, possiblyProcessed: true };
  const completion = completionOfResult(result, at);
  if (!completion) return null;
  const { mayHaveBeenProcessed, ...answer } = completion;
  return { ...base, ...answer, possiblyProcessed: mayHaveBeenProcessed };
}

function checkoutRow(input: CheckoutChargeRecord, at: Date): NewChargeRow {
  return {
    subscriptionId: input.subscriptionId,
    cycle: 0,
    attempt: 0,
    idempotencyKey: `checkout:${input.chargeId}`,
    amountMinor: BigInt(input.amountMinor),
    currency: input.currency,
    chargeId: input.chargeId,
    state: input.state ?? 'Captured',
    outcome: 'checkout',
    reasonCode: input.reasonCode ?? null,
    requestedAt: at,
    completedAt: at,
  };
}

function firstPayload(payloads: Parameters<typeof defaultPayloadConverter.fromPayload>[0][] | null | undefined): unknown {
  const payload = payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
}

function eventTime(event: HistoryEvent): Date {
  return new Date(tsToMs(event.eventTime));
}

/** A workflow's runs as far back as Temporal keeps them (continue-as-new chain), oldest first. */
export interface RunChain {
  runs: HistoryEvents[];
  /** When the oldest run read started: the first run's start when `complete`. */
  firstStartedAt: Date | null;
  /** Whether the oldest run read is the chain's first (false: older runs are gone or were not needed). */
  complete: boolean;
  /** The latest run's events, read even when `enough` left it out of `runs`. */
  latest: HistoryEvents | undefined;
}

/**
 * Reads workflow `workflowId`'s runs from the latest back along its continue-as-new chain, until
 * the first run, a run Temporal no longer has, or a run for which `enough(events)` holds (that run
 * is left out). Undefined when Temporal has no run of it at all. A history that cannot be read
 * throws a one-line UpstreamError (repair-history.ts readRunHistory): nothing is written then.
 */
export async function readRunChain(
  client: Client,
  workflowId: string,
  enough: (events: HistoryEvents) => boolean = () => false,
  nothing: 'restarted' | 'written' = 'written',
): Promise<RunChain | undefined> {
  const runs: HistoryEvents[] = [];
  let runId: string | undefined;
  let complete = false;
  let latest: HistoryEvents | undefined;
  for (;;) {
    const events = await readRunHistory(client.workflow.getHandle(workflowId, runId), nothing);
    if (!events || events.length === 0) {
      if (runId === undefined) return undefined;
      break;
    }
    latest ??= events;
    if (enough(events)) break;
    runs.unshift(events);
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    if (!runId) {
      complete = true;
      break;
    }
  }
  const oldest = runs[0]?.[0];
  return { runs, firstStartedAt: oldest ? eventTime(oldest) : null, complete, latest };
}

/**
 * What subscription `workflowId`'s history shows and the database lacks: ledger rows (by cycle
 * and attempt, against `existing`) and plan changes (against the `plan_changed` events in
 * `events`). Runs are read from the latest back, stopping at the first run whose charges the
 * ledger all has (a restore loses the latest rows, not older ones); plan changes come from the
 * runs read, and always from the latest run (an earlier run's changes are carried in its input).
 */
export async function missingFromHistory(
  client: Client,
  workflowId: string,
  existing: { charges: Pick<ChargeRow, 'cycle' | 'attempt' | 'state' | 'chargeId'>[]; events: Parameters<typeof missingPlanChanges>[0] },
  nothing: 'restarted' | 'written' = 'written',
): Promise<{
  ledgerRows: NewChargeRow[];
  pendingToComplete: NewChargeRow[];
  planChanges: PlanChangeInHistory[];
  /** The plan going forward as the latest run's history has it (planOfRun); null when its input cannot be read. */
  planGoingForward: { amountMinor: string; interval: BillingInterval } | null;
}> {
  const have = new Set(existing.charges.map(attemptKey));
  // A row the backup caught in flight: pending, no ChargeId, while the history has its outcome.
  const inFlight = new Set(existing.charges.filter((c) => c.state === 'pending' && c.chargeId === null).map(attemptKey));
  const completes = (row: NewChargeRow) => inFlight.has(attemptKey(row)) && row.state !== 'pending';
  const allRecorded = (events: HistoryEvents) => {
    const rows = ledgerRowsOfRuns([events]);
    return rows.length > 0 && rows.every((row) => have.has(attemptKey(row)) && !completes(row));
  };
  const chain = await readRunChain(client, workflowId, allRecorded, nothing);
  if (!chain) return { ledgerRows: [], pendingToComplete: [], planChanges: [], planGoingForward: null };
  const runsWithPlans = chain.runs.length > 0 ? chain.runs : chain.latest ? [chain.latest] : [];
  const inHistory = ledgerRowsOfRuns(chain.runs);
  const latestInput = chain.latest ? runOfHistory(chain.latest)?.input : undefined;
  return {
    ledgerRows: inHistory.filter((row) => !have.has(attemptKey(row))),
    pendingToComplete: inHistory.filter(completes),
    planChanges: missingPlanChanges(existing.events, planChangesOfRuns(runsWithPlans)),
    planGoingForward: latestInput ? planOfRun(latestInput, planChangesOfRuns([chain.latest!])) : null,
  };
}

/** What a ledger backfill wrote: the rows, by cycle, attempt and ChargeId. */
export interface LedgerRowsRestored {
  cycle: number;
  attempt: number;
  chargeId: string | null;
  state: string;
}

/** A plan change put back: from which cycle, the new amount (minor units, with the currency) and/or interval. */
export interface PlanChangeRestored {
  fromCycle: number;
  amountMinor?: string;
  currency: string;
  interval?: BillingInterval;
}

/**
 * Inserts what subscription `row`'s workflow history shows and the database lacks, in one
 * transaction: the ledger rows (and the outcome of a row the backup caught pending, without a
 * ChargeId, db/queries/charges.ts completePendingRowsFromHistory), with a status-history entry
 * (LedgerRestoredFromTemporal) naming them, and the plan changes, as `plan_changed` events with the row's plan going forward
 * (db/queries/subscriptions.ts restorePlanChanges; a repair restart rebuilds its schedule from
 * them). Nothing when nothing is missing. Ledger rows that appear meanwhile are kept as they are
 * (db/queries/charges.ts insertLedgerRowsIfAbsent). Returns what was inserted. Throws a one-line
 * UpstreamError when a history cannot be read (nothing written).
 */
export async function restoreFromHistory(
  db: Database,
  client: Client,
  row: Pick<SubscriptionRow, 'id' | 'workflowId' | 'currentCycle' | 'currency'>,
  at: Date,
  /** What an unreadable history's error says was not done: 'restarted' when a restart would follow. */
  nothing: 'restarted' | 'written' = 'written',
): Promise<{ ledgerRows: LedgerRowsRestored[]; planChanges: PlanChangeRestored[] }> {
  const existing = { charges: await listCharges(db, row.id), events: await listSubscriptionEvents(db, row.id) };
  const missing = await missingFromHistory(client, row.workflowId, existing, nothing);
  if (missing.ledgerRows.length === 0 && missing.pendingToComplete.length === 0 && missing.planChanges.length === 0) return { ledgerRows: [], planChanges: [] };
  return db.transaction(async (tx) => {
    const inserted = summarise([
      ...(missing.ledgerRows.length > 0 ? await insertLedgerRowsIfAbsent(tx, missing.ledgerRows) : []),
      ...(await completePendingRowsFromHistory(tx, missing.pendingToComplete)),
    ]);
    if (inserted.length > 0)
      await recordSubscriptionEvent(tx, {
        subscriptionId: row.id,
        kind: 'LedgerRestoredFromTemporal',
        cycle: row.currentCycle,
        detail: { rows: inserted },
        at,
      });
    // The row's plan as the workflow's own history has it, not the lost changes laid over the row:
    // a change made since the restore (its event newer) may have come after them.
    if (missing.planChanges.length > 0) await restorePlanChanges(tx, row.id, missing.planChanges, missing.planGoingForward);
    return { ledgerRows: inserted, planChanges: missing.planChanges.map((c) => planChangeRestored(c, row.currency)) };
  });
}

/** A plan change as reported, with the subscription's currency. */
export function planChangeRestored(change: PlanChangeInHistory, currency: string): PlanChangeRestored {
  return {
    fromCycle: change.fromCycle,
    ...(change.amountMinor ? { amountMinor: change.amountMinor } : {}),
    currency,
    ...(change.interval ? { interval: change.interval } : {}),
  };
}

/** The rows as reported: cycle, attempt, ChargeId and state, by cycle and attempt. */
export function summarise(rows: Pick<ChargeRow, 'cycle' | 'attempt' | 'chargeId' | 'state'>[]): LedgerRowsRestored[] {
  return rows.map(({ cycle, attempt, chargeId, state }) => ({ cycle, attempt, chargeId, state })).sort((a, b) => a.cycle - b.cycle || a.attempt - b.attempt);
}
