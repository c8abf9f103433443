// Drift repair: a live subscription (PostgreSQL says it bills) whose workflow is not running —
// failed, terminated, timed out, or gone from Temporal — gets a new workflow under the same id,
// resuming at the cycle and attempt the ledger says (repair-state.ts), so no cycle is charged
// twice and no cycle whose outcome is unknown is retried with a new idempotency key. After the
// database was restored from a backup older than Temporal's, it also rebuilds what the database
// lost from the workflows: the row of a workflow running without one (restore-orphan.ts) and the
// ledger rows of charges made after the backup point (ledger-from-history.ts).
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { dueAtForCycle, rebaseSegments } from '../../billing/segments.js';
import { firstBillingAnchor } from '../../billing/schedule.js';
import type { BillingInterval } from '../../billing/types.js';
import { listCharges } from '../../db/queries/charges.js';
import {
  listSubscriptionEvents,
  nonFinalSubscriptions,
  recordedPeriodEndStopOf,
  finishedSubscriptionsWithLedgerGaps,
  recordSubscriptionEvent,
  subscriptionWorkflowIds,
  type RecordedPeriodEndStop,
} from '../../db/queries/subscriptions.js';
import { subscriptionIdFromWorkflowId } from '../../billing/keys.js';
import { cancelSignal } from '../../workflows/messages.js';
import type { SubscriptionRow } from '../../db/schema/index.js';
import { subscriptionWorkflow } from '../../workflows/index.js';
import { BillingStatusKey, ChargePermissionIdKey, SubscriptionIdKey } from '../../workflows/search-attributes.js';
import type { AmountChange, BillingPolicy, CarriedState, ScheduleSegment, SubscriptionWorkflowInput } from '../../workflows/types.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { finishAtPeriodEnd, finishStoppedSubscription, stopRequestSummary, type FinishSource, type StopRequestSummary } from './finish-stopped.js';
import { readLastRun } from './repair-history.js';
import { gracePausedMsOf, pausesToRestore, type RestoredPauses } from './repair-pauses.js';
import { resumePointFromLedger, type ResumePoint } from './repair-state.js';
import { redeliverPeriodEndStop } from './stop-at-period-end.js';
import { redeliverStop } from './stop-now.js';
import { recordUnansweredChargeAnswer, unansweredAttempt } from './unanswered-charge.js';
import { describeOrUndefined, requireSubscriptionRow, subscriptionHandle, type SubscriptionHandle } from './workflow-handle.js';
import { restoreFromHistory, type LedgerRowsRestored, type PlanChangeRestored } from './ledger-from-history.js';
import { restoreOrphan, runningSubscriptionWorkflowsQuery, type RestoredRow } from './restore-orphan.js';
import { storedAnchor } from './views.js';

export interface RepairResult {
  subscriptionId: string;
  /**
   * 'restarted': a new workflow runs; 'running': nothing to repair; 'stop-resent': it runs, but a
   * stop "now" (stop-now.ts) or a stop at period end (stop-at-period-end.ts) recorded for it had
   * never reached it, so it was sent again; 'canceled' / 'ended': finished from the database as
   * its workflow ended (finish-stopped.ts): a completed run by its result, a cancelled run as its
   * stop asked, a run that stopped abruptly as its recorded stop asked (canceled; ended
   * ChargePermissionExpired for an expired permission), or as its recorded stop at period end
   * asked once that period has ended (canceled with its reason, nothing billed). 'restored': its
   * workflow ran without a row (the database restored from a backup older than Temporal's), and
   * the row was rebuilt from the workflow (restore-orphan.ts). 'finished': it had already finished
   * (canceled, ended), and only ledger rows its workflow's history shows were restored.
   */
  action: 'restarted' | 'running' | 'stop-resent' | 'canceled' | 'ended' | 'restored' | 'finished';
  /** What Temporal said about the old workflow: FAILED, TERMINATED, TIMED_OUT, CANCELLED, COMPLETED, NOT_FOUND, RUNNING. */
  workflowState: string;
  /** Action 'canceled' / 'ended': the status's reason, and where it came from. */
  finished?: { reason: string; from: FinishSource };
  /** Where the new workflow resumes (absent when nothing was restarted). */
  resume?: Pick<ResumePoint, 'cycle' | 'attempt' | 'attemptReason' | 'status' | 'wait'> & { fresh: boolean };
  /** The recorded stop request (actions 'canceled', 'ended', 'stop-resent'): when (ISO UTC), why, and the final status it asked for. */
  stopRequested?: StopRequestSummary;
  /** A cancel at period end recorded in PostgreSQL or asked of the old run, not yet applied: the new run keeps it ('restarted'), or it was sent again ('stop-resent'). */
  cancelAtPeriodEnd?: { reason: string };
  /** Where the policy and plan came from: the old workflow's own input, or (its history gone) the database and the configured policy. */
  termsFrom?: 'workflow-history' | 'database';
  runId?: string;
  /** Action 'restored': the row as rebuilt from the workflow (status, cycle, next billing date, created_at). */
  restored?: Omit<RestoredRow, 'ledgerRows' | 'planChanges'>;
  /**
   * Ledger rows the database lacked and the workflow's Temporal history shows (a restore from an
   * older backup lost them), inserted by this repair: cycle, attempt, ChargeId, state. Absent when none.
   */
  ledgerRowsRestored?: LedgerRowsRestored[];
  /**
   * Plan changes the workflow made that the database lacked (a restore from an older backup lost
   * their `plan_changed` events and the row's plan), put back from its history before anything was
   * restarted: from which cycle, amount (minor units, currency) and/or interval. Absent when none.
   */
  planChangesRestored?: PlanChangeRestored[];
}

/** How long after its creation a subscription may still be starting its workflow (the drift job's margin too). */
const STARTING_MARGIN_MS = 5 * 60_000;

/**
 * Restarts the workflow of subscription `id` if it is live in PostgreSQL and its workflow is
 * not running. One whose workflow ended by itself (completed, cancelled), or stopped abruptly
 * after a stop "now" was recorded (stop-now.ts), is not restarted: it is finished from the
 * database as that workflow ended or was asked to (finish-stopped.ts: status, ended_at, a status
 * event). One whose workflow runs but never received a recorded stop is sent it again. Errors:
 * NotFound (no such subscription), Conflict (it has ended; a charge may have reached Amazon Pay
 * unanswered after a stop; or its plan changed and Temporal no longer holds the history its terms
 * would come from), Upstream (Temporal found the workflow but its history could not be read:
 * nothing is restarted, since a pending cancel or pause windows live only there).
 */
export interface RepairOptions {
  /**
   * For a stopped subscription whose workflow is gone while a charge attempt may have reached
   * Amazon Pay unanswered: what the operator found in Amazon Pay, the attempt's ChargeId or
   * `none` (unanswered-charge.ts). It is recorded on the attempt, and the subscription is then
   * finished as the stop asked (canceled; ended for an expired permission). Refused (InvalidInputError) when no such attempt waits for an answer.
   */
  unansweredCharge?: string;
}

export async function repairSubscription(deps: BillingClientDeps, id: string, options: RepairOptions = {}): Promise<RepairResult> {
  const row = await requireSubscriptionRow(deps, id).catch(async (error: unknown) => {
    // No row: a workflow still running under its id lost it to a database restore, and gets it back.
    if (!(error instanceof NotFoundError) || options.unansweredCharge !== undefined) throw error;
    const restored = await restoreOrphanOf(deps, id);
    if (!restored) throw error;
    return restored;
  });
  if ('action' in row) return row;
  if (row.status === 'canceled' || row.status === 'ended') {
    const restored = await restoreLedgerOfFinished(deps, row);
    if (!restored.ledgerRowsRestored && !restored.planChangesRestored)
      throw new ConflictError(`Subscription ${id} has ended (${row.status}); there is nothing to repair`);
    return restored;
  }
  const client = await deps.temporal();
  const handle = subscriptionHandle(client, id);
  const description = await describeOrUndefined(handle);
  // Ledger rows a database restore lost, from the workflow's history, before the ledger is read to resume from.
  const nothing = description?.status.name === 'RUNNING' ? 'written' : 'restarted';
  const restored = description ? await restoreFromHistory(deps.db, client, row, deps.now(), nothing) : undefined;
  // The restart below reads the plan changes it rebuilds its schedule from, and the row, afresh.
  const current = restored?.planChanges.length ? await requireSubscriptionRow(deps, id) : row;
  const result = await repairWithWorkflow(deps, client, current, handle, description, options);
  return { ...result, ...restoredFields(restored) };
}

/**
 * A finished subscription's ledger rows its workflow's history shows and the ledger lacks (a
 * database restore lost them), restored: action 'finished', with `ledgerRowsRestored` when any
 * was missing (none either when Temporal no longer has the workflow).
 */
async function restoreLedgerOfFinished(deps: BillingClientDeps, row: SubscriptionRow): Promise<RepairResult> {
  const client = await deps.temporal();
  const description = await describeOrUndefined(subscriptionHandle(client, row.id));
  const restored = description ? await restoreFromHistory(deps.db, client, row, deps.now()) : undefined;
  const workflowState = description?.status.name ?? 'NOT_FOUND';
  return { subscriptionId: row.id, action: 'finished', workflowState, ...restoredFields(restored) };
}

/** A repair result's `ledgerRowsRestored` and `planChangesRestored`, each only when not empty. */
function restoredFields(
  restored: Awaited<ReturnType<typeof restoreFromHistory>> | undefined,
): Pick<RepairResult, 'ledgerRowsRestored' | 'planChangesRestored'> {
  return {
    ...(restored?.ledgerRows.length ? { ledgerRowsRestored: restored.ledgerRows } : {}),
    ...(restored?.planChanges.length ? { planChangesRestored: restored.planChanges } : {}),
  };
}

/**
 * Subscription `id`'s row rebuilt from its workflow when one runs without a row (restore-orphan.ts),
 * as the repair's result; undefined when Temporal has no running workflow under its id.
 */
async function restoreOrphanOf(deps: BillingClientDeps, id: string): Promise<RepairResult | undefined> {
  const client = await deps.temporal();
  const handle = subscriptionHandle(client, id);
  const description = await describeOrUndefined(handle);
  if (description?.status.name !== 'RUNNING') return undefined;
  const restored = await restoreOrphan(deps, client, handle.workflowId);
  // A row appeared meanwhile (a concurrent billing start): it is kept, and repaired as any row.
  if (!restored) return repairSubscription(deps, id);
  const { ledgerRows, planChanges, ...rest } = restored;
  return {
    subscriptionId: id,
    action: 'restored',
    workflowState: 'RUNNING',
    restored: rest,
    ...restoredFields({ ledgerRows, planChanges }),
  };
}

async function repairWithWorkflow(
  deps: BillingClientDeps,
  client: Client,
  row: SubscriptionRow,
  handle: SubscriptionHandle,
  description: WorkflowExecutionDescription | undefined,
  options: RepairOptions,
): Promise<RepairResult> {
  const id = row.id;
  const workflowState = description?.status.name ?? 'NOT_FOUND';
  const stopRequested = stopRequestSummary(row);
  if (options.unansweredCharge !== undefined)
    await answerUnansweredCharge(deps, row, workflowState, stopRequested !== undefined || row.periodEndStopRequestedAt !== null, options.unansweredCharge);
  const periodEndStop = recordedPeriodEndStopOf(row);
  if (workflowState === 'RUNNING') {
    if (stopRequested && (await redeliverStop(handle, stopRequested))) return { subscriptionId: id, action: 'stop-resent', workflowState, stopRequested };
    if (!stopRequested && periodEndStop && (await redeliverPeriodEndStop(handle, periodEndStop)))
      return { subscriptionId: id, action: 'stop-resent', workflowState, cancelAtPeriodEnd: { reason: periodEndStop.reason } };
    return { subscriptionId: id, action: 'running', workflowState };
  }
  const finish = await finishStoppedSubscription(deps.db, handle, row, { workflowState, by: 'repair', now: deps.now() });
  if (finish && !finish.finished) throw new ConflictError(finish.why);
  if (finish?.finished) {
    return {
      subscriptionId: id,
      action: finish.status,
      workflowState,
      finished: { reason: finish.reason, from: finish.from },
      ...(finish.stopRequested ? { stopRequested: finish.stopRequested } : {}),
    };
  }

  const [charges, events] = await Promise.all([listCharges(deps.db, id), listSubscriptionEvents(deps.db, id)]);
  const drift = [...events].reverse().find((e) => e.reasonCode === 'WorkflowNotRunning');
  const lastRun = description ? await readLastRun(handle) : undefined;
  const pauses = pausesToRestore(events, drift, lastRun?.pauses);
  const point = resumePointFromLedger(row, charges, (drift?.detail as { previousStatus?: string } | null)?.previousStatus, pauses);
  const previous = lastRun?.input;
  // The recorded stop first (the first one asked decides); a request only in the old run's history (before it was recorded) still counts.
  const cancelAtPeriodEnd = periodEndStop ? { reason: periodEndStop.reason } : (lastRun?.cancelAtPeriodEnd ?? null);
  const runStartedAt = description?.startTime ?? new Date(0);
  const terms = await termsOrPeriodEnd(deps, row, workflowState, point, periodEndStop, () =>
    previous ? termsFromHistory(previous, events, runStartedAt) : termsFromDatabase(row, events),
  );
  if ('action' in terms) return terms;
  // A run started afresh carries no state to keep the request in: a recorded one is signalled to it once started.
  if (point.fresh && cancelAtPeriodEnd && !periodEndStop)
    throw new ConflictError(
      `Subscription ${id}: it was asked to cancel at period end before anything was billed, so it is not restarted; stop it now (billing stop ${id})`,
    );
  const input: SubscriptionWorkflowInput = {
    subscriptionId: id,
    chargePermissionId: row.chargePermissionId,
    environment: deps.environment,
    currency: row.currency,
    ...(row.softDescriptor ? { softDescriptor: row.softDescriptor } : {}),
    ...(row.merchantMetadata ? { merchantMetadata: row.merchantMetadata as SubscriptionWorkflowInput['merchantMetadata'] } : {}),
    ...(previous?.end
      ? { end: previous.end }
      : row.endAfterCycles !== null
        ? { end: { afterCycles: row.endAfterCycles } }
        : row.endAt
          ? { end: { at: row.endAt.toISOString() } }
          : {}),
    ...(row.firstChargeId ? { firstChargeId: row.firstChargeId } : {}),
    trialing: row.trial !== null,
    ...(row.permissionExpiresAt ? { permissionExpiresAt: row.permissionExpiresAt.toISOString() } : {}),
    policy: terms.policy ?? deps.policy,
    taskQueues: previous?.taskQueues ?? { charges: deps.taskQueues.charges, amazonReads: deps.taskQueues.amazonReads },
    amountMinor: terms.amountChanges[0]?.amountMinor ?? String(row.amountMinor),
    segments: terms.segments,
    ...(point.fresh
      ? {}
      : {
          state: { ...carriedState(point, terms, pauses), cancelAtPeriodEnd, ...restoredGrace(point, events, terms.policy ?? deps.policy, pauses, deps.now()) },
        }),
  };
  const started = await client.workflow.start(subscriptionWorkflow, {
    workflowId: handle.workflowId,
    taskQueue: deps.taskQueues.workflows,
    args: [input],
    // Only a run that did not complete may be followed by another: a completed subscription stays completed.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: [
      { key: SubscriptionIdKey, value: id },
      { key: ChargePermissionIdKey, value: row.chargePermissionId },
      { key: BillingStatusKey, value: point.status },
    ],
    staticSummary: `Repaired: resumes at cycle ${point.cycle}, attempt ${point.attempt} (was ${workflowState.toLowerCase()})`.slice(0, 200),
  });
  // Lost if this fails: the drift job and the next repair send it again, and no cycle after the stop's is charged meanwhile (claimChargeSend).
  if (point.fresh && periodEndStop) await started.signal(cancelSignal, { mode: 'period_end', reason: periodEndStop.reason });
  await recordSubscriptionEvent(deps.db, {
    subscriptionId: id,
    kind: 'workflow_restarted',
    cycle: point.cycle,
    detail: {
      workflowState,
      attempt: point.attempt,
      attemptReason: point.attemptReason,
      ...(point.wait ? { restoredWait: point.wait } : {}),
      ...(cancelAtPeriodEnd ? { cancelAtPeriodEnd } : {}),
      termsFrom: previous ? 'workflow-history' : 'database',
      runId: started.firstExecutionRunId,
    },
    at: deps.now(),
  });
  return {
    subscriptionId: id,
    action: 'restarted',
    workflowState,
    resume: {
      cycle: point.cycle,
      attempt: point.attempt,
      attemptReason: point.attemptReason,
      status: point.status,
      fresh: point.fresh,
      ...(point.wait ? { wait: point.wait } : {}),
    },
    ...(cancelAtPeriodEnd ? { cancelAtPeriodEnd } : {}),
    termsFrom: previous ? 'workflow-history' : 'database',
    runId: started.firstExecutionRunId,
  };
}

/**
 * The terms the new run is started with (`termsOf`), or — when a stop at period end is recorded, no
 * cycle up to its last billable one is left to settle (the resume point is past it) and the period
 * after it has ended (its billing date from the terms, else as recorded) — the subscription
 * finished `canceled` with the stop's reason instead (finish-stopped.ts finishAtPeriodEnd): nothing
 * is billed. Conflict when a charge may have reached Amazon Pay unanswered, or when the terms
 * cannot be rebuilt and the stop does not end it.
 */
async function termsOrPeriodEnd(
  deps: BillingClientDeps,
  row: SubscriptionRow,
  workflowState: string,
  point: ResumePoint,
  stop: RecordedPeriodEndStop | null,
  termsOf: () => Terms,
): Promise<Terms | RepairResult> {
  let terms: Terms | undefined;
  let failure: unknown;
  try {
    terms = termsOf();
  } catch (error) {
    failure = error;
  }
  if (stop && point.cycle > stop.afterCycle) {
    const endsAt = terms ? dueAtForCycle(terms.segments, stop.afterCycle + 1).toJSDate() : stop.endsAt;
    if (endsAt && endsAt.getTime() <= deps.now().getTime()) {
      const finish = await finishAtPeriodEnd(deps.db, row, stop, { workflowState, by: 'repair', now: deps.now() });
      if (!finish.finished) throw new ConflictError(finish.why);
      return { subscriptionId: row.id, action: 'canceled', workflowState, finished: { reason: finish.reason, from: finish.from } };
    }
  }
  if (!terms) throw failure;
  return terms;
}

/**
 * What `billing repair --all-drifted` did, by action; `checked` counts the live subscriptions
 * looked at, `orphans` the workflows found running without a row (older than the starting margin).
 */
export interface DriftRepairSummary {
  checked: number;
  orphans: number;
  restarted: RepairResult[];
  canceled: RepairResult[];
  ended: RepairResult[];
  stopsResent: RepairResult[];
  /** Rows rebuilt from workflows running without one (action 'restored'). */
  restored: RepairResult[];
  /** Per subscription whose ledger lacked rows its workflow's history shows: the rows inserted (any action). */
  ledgerRowsRestored: { subscriptionId: string; rows: LedgerRowsRestored[] }[];
  /** Per subscription whose plan changes the database lacked: the changes put back (any action). */
  planChangesRestored: { subscriptionId: string; changes: PlanChangeRestored[] }[];
  failed: { subscriptionId: string; error: string }[];
}

/** repairDriftedSubscriptions' options. */
export interface DriftRepairOptions {
  /** Subscriptions and orphan workflows younger than this are left alone: they may still be starting. Default 5 minutes. */
  startingMarginMs?: number;
}

/**
 * Live subscriptions (older than the starting margin), each repaired in turn: a workflow not
 * running is restarted or finished as it ended (repairSubscription), a running one that never
 * received its recorded stop is sent it again, and ledger rows its workflow's history shows and
 * the ledger lacks are restored (also for finished subscriptions with a gap in their ledger:
 * finishedSubscriptionsWithLedgerGaps). Then subscription workflows running on the daemon's workflow
 * task queue without a row (the drift job's `orphans`) whose run started before the margin get
 * their row and ledger back from Temporal (restore-orphan.ts); for a workflow id that is not a
 * subscription's, `subscriptionId` in `failed` is the workflow id.
 */
export async function repairDriftedSubscriptions(
  deps: BillingClientDeps,
  onProgress?: (result: RepairResult | { subscriptionId: string; error: string }, total: number) => void,
  options: DriftRepairOptions = {},
): Promise<DriftRepairSummary> {
  const startedBefore = new Date(deps.now().getTime() - (options.startingMarginMs ?? STARTING_MARGIN_MS));
  const orphans = await orphanWorkflows(deps, startedBefore);
  const rows = await nonFinalSubscriptions(deps.db, startedBefore);
  const finished = await finishedSubscriptionsWithLedgerGaps(deps.db);
  const total = rows.length + orphans.length + finished.length;
  const summary: DriftRepairSummary = {
    checked: rows.length,
    orphans: orphans.length,
    restarted: [],
    canceled: [],
    ended: [],
    stopsResent: [],
    restored: [],
    ledgerRowsRestored: [],
    planChangesRestored: [],
    failed: [],
  };
  const byAction: Record<RepairResult['action'], RepairResult[]> = {
    restarted: summary.restarted,
    canceled: summary.canceled,
    ended: summary.ended,
    'stop-resent': summary.stopsResent,
    restored: summary.restored,
    running: [],
    finished: [],
  };
  const repairOne = async (subscriptionId: string, repair: () => Promise<RepairResult>) => {
    try {
      const result = await repair();
      byAction[result.action].push(result);
      if (result.ledgerRowsRestored) summary.ledgerRowsRestored.push({ subscriptionId: result.subscriptionId, rows: result.ledgerRowsRestored });
      if (result.planChangesRestored) summary.planChangesRestored.push({ subscriptionId: result.subscriptionId, changes: result.planChangesRestored });
      onProgress?.(result, total);
    } catch (error) {
      const entry = { subscriptionId, error: error instanceof Error ? error.message : String(error) };
      summary.failed.push(entry);
      onProgress?.(entry, total);
    }
  };
  for (const row of rows) await repairOne(row.id, () => repairSubscription(deps, row.id));
  // Finished ones with a gap in their ledger: only what their history shows is restored; nothing to report otherwise.
  for (const row of finished) await repairOne(row.id, () => restoreLedgerOfFinished(deps, row));
  for (const workflowId of orphans) {
    let id: string;
    try {
      id = subscriptionIdFromWorkflowId(workflowId);
    } catch (error) {
      await repairOne(workflowId, () => Promise.reject(error as Error));
      continue;
    }
    await repairOne(id, () => repairSubscription(deps, id));
  }
  return summary;
}

/** Subscription workflows running on the daemon's workflow task queue without a row, whose current run started before `startedBefore`. */
async function orphanWorkflows(deps: BillingClientDeps, startedBefore: Date): Promise<string[]> {
  const client = await deps.temporal();
  const running: string[] = [];
  for await (const execution of client.workflow.list({ query: runningSubscriptionWorkflowsQuery(deps.taskQueues.workflows) }))
    if (execution.startTime.getTime() < startedBefore.getTime()) running.push(execution.workflowId);
  const known = await subscriptionWorkflowIds(deps.db, running);
  return running.filter((id) => !known.has(id));
}

/** A restarted run's schedule segments, amount changes and policy. */
export interface Terms {
  segments: ScheduleSegment[];
  amountChanges: AmountChange[];
  policy?: BillingPolicy;
}

type PlanEvent = { reasonCode: string | null; cycle: number | null; detail: unknown; at: Date };

/** `base` with the recorded plan changes among `events` applied in the order they were made (by time). */
export function applyPlanChanges(base: Terms, events: readonly PlanEvent[]): Terms {
  let { segments, amountChanges } = base;
  // In the order they were made: an event billing repair put back after a restore (plan-changes-
  // from-history.ts) has a newer id than a change made since, but its own, earlier time.
  for (const e of [...events].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    if (e.reasonCode !== 'plan_changed' || e.cycle === null) continue;
    const { amountMinor, interval } = (e.detail ?? {}) as { amountMinor?: string; interval?: BillingInterval };
    if (interval) segments = rebaseSegments(segments, e.cycle, interval);
    if (amountMinor) amountChanges = [...amountChanges.filter((c) => c.fromCycle < e.cycle!), { fromCycle: e.cycle, amountMinor }];
  }
  return { ...base, segments, amountChanges };
}

/** The last run's terms, plus the plan changes recorded after it started. */
function termsFromHistory(previous: SubscriptionWorkflowInput, events: readonly PlanEvent[], runStartedAt: Date): Terms {
  const base: Terms = {
    segments: previous.state?.segments ?? previous.segments,
    amountChanges: previous.state?.amountChanges ?? [{ fromCycle: 0, amountMinor: previous.amountMinor }],
    policy: previous.policy,
  };
  return applyPlanChanges(
    base,
    events.filter((e) => e.at.getTime() >= runStartedAt.getTime()),
  );
}

/** Without a history: the row holds the plan as started only if it never changed. */
function termsFromDatabase(row: SubscriptionRow, events: readonly PlanEvent[]): Terms {
  if (events.some((e) => e.reasonCode === 'plan_changed')) {
    throw new ConflictError(
      `Subscription ${row.id}: Temporal no longer holds its workflow's history and its plan was changed, so its schedule cannot be rebuilt safely; stop it and start it again with the current plan`,
    );
  }
  const trial = row.trial as Parameters<typeof firstBillingAnchor>[0]['trial'] | null;
  const anchor = firstBillingAnchor({ anchor: storedAnchor(row), ...(trial ? { trial } : {}) });
  const interval: BillingInterval = { unit: row.intervalUnit as BillingInterval['unit'], count: row.intervalCount };
  return { segments: [{ fromCycle: 0, anchor, interval }], amountChanges: [{ fromCycle: 0, amountMinor: String(row.amountMinor) }] };
}

/** How long operator pauses already held a restored payment_method_required wait (its grace ends that much later); {} for any other state. */
function restoredGrace(
  point: ResumePoint,
  events: Parameters<typeof gracePausedMsOf>[0],
  policy: BillingPolicy,
  pauses: RestoredPauses,
  now: Date,
): Pick<CarriedState, 'gracePausedMs'> {
  const started = point.wait?.status === 'payment_method_required' ? point.wait.graceStartedAt : null;
  if (!started) return {};
  return {
    gracePausedMs: gracePausedMsOf(
      events,
      point.cycle,
      { graceStartedAt: started, graceMs: policy.paymentMethodGraceMs },
      { paused: point.paused, pausedSince: pauses.pausedSince },
      now,
    ),
  };
}

function carriedState(point: ResumePoint, terms: Terms, pauses: RestoredPauses): CarriedState {
  const { wait } = point;
  return {
    cycle: point.cycle,
    // A restored wait counts up to point.attempt itself when it retries (workflows/settle-cycle.ts).
    attempt: wait ? point.attempt - 1 : point.attempt,
    // A restored wait is the status the pause holds (it comes back on resume); otherwise what the subscription showed.
    status: wait ? wait.status : point.status,
    statusReason: wait ? wait.reason : null,
    ...(wait ? { restoredWait: { status: wait.status, reason: wait.reason }, graceStartedAt: wait.graceStartedAt } : {}),
    paused: point.paused,
    // The pause in force keeps its start (a cycle due before it is still billed on resume) and
    // reason, and lifted pauses their windows (a cycle due inside one stays skipped).
    ...(point.paused ? { pausedSince: pauses.pausedSince, pauseReason: pauses.pauseReason } : {}),
    pauseWindows: pauses.pauseWindows,
    // The caller adds a cancel at period end (recorded in PostgreSQL, or from the old run's history).
    cancelAtPeriodEnd: null,
    amountChanges: terms.amountChanges,
    segments: terms.segments,
    lastCharge: point.lastCharge,
    dunningStep: point.dunningStep,
    chargesMade: point.chargesMade,
  };
}

/** Records the operator's answer (RepairOptions.unansweredCharge) before the subscription is finished; refuses where it does not apply. */
async function answerUnansweredCharge(deps: BillingClientDeps, row: SubscriptionRow, workflowState: string, stopped: boolean, answer: string): Promise<void> {
  // The subscription's state, not the answer, is what does not fit: a conflict (exit 1) saying what to run instead.
  const refuse = (why: string) =>
    new ConflictError(`--unanswered-charge is for a stopped subscription whose workflow is gone with a charge unanswered; ${why}`);
  if (workflowState === 'RUNNING') throw refuse(`the workflow of ${row.id} runs and learns the outcome itself: nothing to answer`);
  if (!stopped)
    throw refuse(`${row.id} was not asked to stop: run billing repair ${row.id} without it, which sends the attempt again with its own idempotency key`);
  const attempt = unansweredAttempt(await listCharges(deps.db, row.id));
  if (!attempt) throw refuse(`no charge attempt of ${row.id} waits for an answer: run billing repair ${row.id} without it`);
  await recordUnansweredChargeAnswer(deps, row, attempt, answer);
}
