// "Stop a subscription now", the one way every caller does it: the admin client's stop, the
// HTTP API's cancel and the IPN reaction to a closed Charge Permission (and reconciliation's).
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { isFinalSubscriptionStatus, type FinalSubscriptionStatus } from '../../billing/vocabulary.js';
import type { DatabaseOrTransaction } from '../../db/client.js';
import { getSubscription, recordStopRequested } from '../../db/queries/subscriptions.js';
import { cancelSignal } from '../../workflows/messages.js';
import type { CancelRequest } from '../../workflows/types.js';
import { finishStoppedSubscription, type StoppedFinish } from './finish-stopped.js';

export type StopNowOutcome =
  /** The workflow runs and was told: it stops before any further charge and records the reason as it ends. */
  | { workflowState: 'RUNNING' }
  /** Its workflow is not running (`workflowState`: COMPLETED, CANCELLED, FAILED, TERMINATED, TIMED_OUT, NOT_FOUND): finished from the database. */
  | { workflowState: string; finish: StoppedFinish }
  /** Its workflow is not running and the row already has a final status (the workflow ended it before the stop). */
  | { workflowState: string; alreadyFinal: string };

/**
 * Records the stop in PostgreSQL, signals why (the workflow records the reason as it ends:
 * BuyerClosed, an operator's text, …) and with which final status (`stop.status`: canceled when
 * absent, as for every operator's stop; ended only for the daemon's stop of an expired Charge
 * Permission, billing/permission-end.ts — carried explicitly, never read from the reason), then requests cancellation: the workflow stops before
 * any further charge, and a charge already sent is finished and recorded, never abandoned.
 *
 * The row is written first because a cancellation cannot reach a charge activity that is
 * already scheduled (it runs in a non-cancellable scope so that a sent request is never
 * orphaned): the activity reads the row just before it would send a new Create Charge and
 * sends nothing once a stop is recorded (activities/charges.ts). The signal goes before the
 * cancellation so the reason is in history when the cancellation is delivered.
 *
 * A workflow that is not running (failed, terminated, gone from Temporal, or ended before the
 * signal) cannot be told: the subscription is finished from the database instead
 * (finish-stopped.ts) — canceled with the reason, or as its completed run ended — so the stop is
 * never lost and `billing repair` finishes rather than restarts it. Throws what the database or
 * the Temporal client throws.
 */
export async function stopSubscriptionNow(
  deps: { db: DatabaseOrTransaction; now: () => Date },
  handle: WorkflowHandle,
  stop: { subscriptionId: string; reason: string; status?: FinalSubscriptionStatus },
): Promise<StopNowOutcome> {
  await recordStopRequested(deps.db, stop.subscriptionId, stop.reason, deps.now(), stop.status);
  try {
    await signalStop(handle, stop);
    return { workflowState: 'RUNNING' };
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  const workflowState = await workflowStateOf(handle);
  // Started again meanwhile (a repair): that run is told.
  if (workflowState === 'RUNNING') {
    await signalStop(handle, stop);
    return { workflowState };
  }
  const row = await getSubscription(deps.db, stop.subscriptionId);
  if (!row) throw new Error(`subscription ${stop.subscriptionId} has no row`);
  if (isFinalSubscriptionStatus(row.status)) return { workflowState, alreadyFinal: row.status };
  // Never null here: the stop is recorded.
  const finish = await finishStoppedSubscription(deps.db, handle, row, { workflowState, by: 'stop', now: deps.now() });
  return { workflowState, finish: finish! };
}

/**
 * A stop recorded in PostgreSQL that the running workflow never received (the stopper died, or
 * Temporal refused the signal, between the two): sent again, unless the run's history already
 * holds a cancel "now" signal or a cancellation request (then it is stopping: a charge in flight
 * is being finished). Returns whether it was sent. Used by `billing repair` and the drift job.
 * A signal that arrives while a workflow task is in flight enters the history only when that task
 * completes, so a stop sent a moment ago may be sent again: harmless, the workflow takes the same
 * stop twice and Temporal treats a second cancellation request as done (temporalio/temporal#952).
 */
export async function redeliverStop(handle: WorkflowHandle, stop: { reason: string; status?: FinalSubscriptionStatus }): Promise<boolean> {
  const { events } = await handle.fetchHistory();
  const received = (events ?? []).some((event) => {
    if (event.workflowExecutionCancelRequestedEventAttributes) return true;
    const signal = event.workflowExecutionSignaledEventAttributes;
    const payload = signal?.input?.payloads?.[0];
    return signal?.signalName === cancelSignal.name && !!payload && defaultPayloadConverter.fromPayload<CancelRequest>(payload).mode === 'now';
  });
  if (received) return false;
  await signalStop(handle, stop);
  return true;
}

/**
 * The cancel signal with the reason, then the cancellation (WorkflowNotFoundError from the signal
 * when the workflow does not run). The status goes only when it is `ended`: a canceled stop's
 * payload stays what it always was.
 */
async function signalStop(handle: WorkflowHandle, stop: { reason: string; status?: FinalSubscriptionStatus }): Promise<void> {
  const request: CancelRequest = { mode: 'now', reason: stop.reason, ...(stop.status === 'ended' ? { status: 'ended' } : {}) };
  await handle.signal(cancelSignal, request);
  try {
    await handle.cancel();
  } catch (error) {
    // The signal alone may have ended the run (a stop ends a wait for a failed call at once):
    // the subscription is stopped, nothing is left to cancel.
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}

/** What Temporal says of the workflow: RUNNING, COMPLETED, CANCELLED, FAILED, TERMINATED, TIMED_OUT, or NOT_FOUND. */
export async function workflowStateOf(handle: Pick<WorkflowHandle, 'describe'>): Promise<string> {
  try {
    return (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'NOT_FOUND';
    throw error;
  }
}
