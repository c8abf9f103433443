// A live subscription (PostgreSQL says it bills) whose workflow is not running, finished from the
// database the way its workflow ended or was asked to end: a run that completed by its own result
// (ended after its last cycle, or canceled), a cancelled run and a run that stopped abruptly
// (failed, terminated, gone) with a stop "now" recorded (stop-now.ts) as that stop asked: canceled
// with its reason, or ended ChargePermissionExpired for a permission Amazon closed as Expired.
// Used by `billing stop` / the API's cancel / a closed Charge Permission when the workflow is
// gone, by `billing repair` and by the daemon's drift job alike.
import type { WorkflowHandle } from '@temporalio/client';
import type { DatabaseOrTransaction } from '../../db/client.js';
import { listCharges } from '../../db/queries/charges.js';
import { recordedStopOf, recordSubscriptionStatus, type RecordedPeriodEndStop } from '../../db/queries/subscriptions.js';
import type { FinalSubscriptionStatus } from '../../billing/vocabulary.js';
import type { SubscriptionRow } from '../../db/schema/index.js';
import type { SubscriptionWorkflowResult } from '../../workflows/subscription.js';
import { readLastRun } from './repair-history.js';
import { merchantReferenceOf, unansweredAttempt } from './unanswered-charge.js';

/**
 * Where the end came from: the completed run's result, a cancelled run, the recorded stop request
 * of a run that stopped abruptly, or a recorded stop at period end whose period ended while its
 * run was not running (finishAtPeriodEnd).
 */
export type FinishSource = 'run_result' | 'run_cancelled' | 'stop_requested' | 'stop_at_period_end';

export type StoppedFinish =
  | {
      finished: true;
      status: 'canceled' | 'ended';
      reason: string;
      from: FinishSource;
      /** The recorded stop request, when there is one: when (ISO UTC), why, and the final status it asked for. */
      stopRequested?: StopRequestSummary;
    }
  /** Not finished: `why` is one line naming the charge that may have reached Amazon Pay unanswered. */
  | { finished: false; why: string };

/** A recorded stop "now" as callers report it: when (ISO UTC), why, and the final status it ends the subscription with. */
export interface StopRequestSummary {
  at: string;
  reason: string;
  status: FinalSubscriptionStatus;
}

/** The row's recorded stop (db/queries/subscriptions.ts recordedStopOf) with its time as ISO UTC; undefined when none. */
export function stopRequestSummary(row: SubscriptionRow): StopRequestSummary | undefined {
  const stop = recordedStopOf(row);
  return stop ? { at: stop.at.toISOString(), reason: stop.reason, status: stop.status } : undefined;
}

/** Who finishes it: recorded in the status event's detail. */
export type FinishedBy = 'stop' | 'repair' | 'drift';

/**
 * Ends `row` — its workflow is not running; `workflowState` is what Temporal said (COMPLETED,
 * CANCELLED, FAILED, TERMINATED, TIMED_OUT, NOT_FOUND) — as that workflow ended or was asked to:
 * - COMPLETED: the run's own result (status ended with TermCompleted, or canceled with its reason);
 * - CANCELLED: as the recorded stop asked (its status and reason), else as the cancel signal in
 *   the run's history asked, else canceled WorkflowCancelled (what the workflow itself writes);
 * - otherwise, with a recorded stop request: as it asked — canceled with its reason, or ended
 *   ChargePermissionExpired for a permission Amazon closed as Expired (billing/permission-end.ts;
 *   the status is the stop's own, never read from the reason) —, but refused
 *   (finished: false) while an attempt that may have reached Amazon Pay has no recorded answer —
 *   ending the subscription around it would abandon that charge (README "Exactly once").
 * Returns null when none applies (no stop recorded and the run did not end by itself: `billing
 * repair` restarts it). Writes status, ended_at and a status event whose detail names `by`, where
 * the end came from and the workflow's state; a row already in a final status is left as it is
 * (recordSubscriptionStatus). Throws what Temporal or the database throws (UpstreamError when a
 * cancelled run's history cannot be read).
 */
export async function finishStoppedSubscription(
  db: DatabaseOrTransaction,
  handle: Pick<WorkflowHandle, 'result' | 'fetchHistory' | 'workflowId'>,
  row: SubscriptionRow,
  { workflowState, by, now }: { workflowState: string; by: FinishedBy; now: Date },
): Promise<StoppedFinish | null> {
  const stopRequested = stopRequestSummary(row);
  const end = await endOfWorkflow(db, handle, row, workflowState, stopRequested);
  if (end === null || !end.finished) return end;
  await recordSubscriptionStatus(db, {
    subscriptionId: row.id,
    status: end.status,
    reasonCode: end.reason,
    cycle: row.currentCycle,
    nextBillingAt: null,
    detail: { [by]: end.from, workflowState, ...(stopRequested ? { stopRequestedAt: stopRequested.at } : {}) },
    ended: true,
    at: now,
  });
  return { ...end, ...(stopRequested ? { stopRequested } : {}) };
}

async function endOfWorkflow(
  db: DatabaseOrTransaction,
  handle: Pick<WorkflowHandle, 'result' | 'fetchHistory' | 'workflowId'>,
  row: SubscriptionRow,
  workflowState: string,
  stopRequested: StopRequestSummary | undefined,
): Promise<StoppedFinish | null> {
  if (workflowState === 'COMPLETED') {
    const result = (await handle.result()) as SubscriptionWorkflowResult;
    const reason = result.reason ?? (result.status === 'ended' ? 'TermCompleted' : 'Canceled');
    return { finished: true, status: result.status, reason, from: 'run_result' };
  }
  if (workflowState === 'CANCELLED') {
    const asked = stopRequested ?? (await readLastRun(handle))?.cancelNow ?? { status: 'canceled', reason: 'WorkflowCancelled' };
    return { finished: true, status: asked.status, reason: asked.reason, from: 'run_cancelled' };
  }
  if (!stopRequested) return null;
  const unanswered = unansweredAttempt(await listCharges(db, row.id));
  if (unanswered) {
    return {
      finished: false,
      why: `Subscription ${row.id}: a stop was requested, but cycle ${unanswered.cycle} attempt ${unanswered.attempt} (idempotency key ${unanswered.idempotencyKey}) may have reached Amazon Pay with no answer recorded, so it is not finished as ${stopRequested.status}; look the charge up in Amazon Pay (merchant reference ${merchantReferenceOf(row, unanswered)}), then run billing repair ${row.id} --unanswered-charge <ChargeId>, or --unanswered-charge none if Amazon Pay has no such charge`,
    };
  }
  return { finished: true, status: stopRequested.status, reason: stopRequested.reason, from: 'stop_requested' };
}

/**
 * Ends `row` — its workflow is not running (`workflowState`), and its recorded stop at period end
 * (db/queries/subscriptions.ts recordPeriodEndStop) has taken effect: the period after the last
 * billable cycle has ended and no cycle up to it is left to settle (the caller decides both) —
 * `canceled` with the stop's reason, as the workflow would have at that cycle's due time; nothing is
 * billed. Refused (finished: false) while an attempt that may have reached Amazon Pay has no
 * recorded answer, as for a stop "now". Writes status, ended_at and a status event whose detail
 * names `by`, the stop and the workflow's state. Throws what the database throws.
 */
export async function finishAtPeriodEnd(
  db: DatabaseOrTransaction,
  row: SubscriptionRow,
  stop: RecordedPeriodEndStop,
  { workflowState, by, now }: { workflowState: string; by: FinishedBy; now: Date },
): Promise<StoppedFinish> {
  const unanswered = unansweredAttempt(await listCharges(db, row.id));
  if (unanswered) {
    return {
      finished: false,
      why: `Subscription ${row.id}: its stop at period end has taken effect, but cycle ${unanswered.cycle} attempt ${unanswered.attempt} (idempotency key ${unanswered.idempotencyKey}) may have reached Amazon Pay with no answer recorded, so it is not finished as canceled; look the charge up in Amazon Pay (merchant reference ${merchantReferenceOf(row, unanswered)}), then run billing repair ${row.id} --unanswered-charge <ChargeId>, or --unanswered-charge none if Amazon Pay has no such charge`,
    };
  }
  await recordSubscriptionStatus(db, {
    subscriptionId: row.id,
    status: 'canceled',
    reasonCode: stop.reason,
    cycle: row.currentCycle,
    nextBillingAt: null,
    detail: { [by]: 'stop_at_period_end', workflowState, periodEndStopRequestedAt: stop.at.toISOString(), afterCycle: stop.afterCycle },
    ended: true,
    at: now,
  });
  return { finished: true, status: 'canceled', reason: stop.reason, from: 'stop_at_period_end' };
}
