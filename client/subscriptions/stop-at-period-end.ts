// "Stop at the end of the paid period", recorded in PostgreSQL before the workflow is told, the way
// a stop "now" is (stop-now.ts): the admin client's stop --at-period-end and the HTTP API's cancel
// at_period_end. The record outlives the signal: the charge activity sends no Create Charge for a
// cycle after it (activities/charges.ts), `billing repair` finishes or restarts the subscription
// with it (repair.ts), and the drift job sends a lost signal again.
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { DatabaseOrTransaction } from '../../db/client.js';
import { recordPeriodEndStop, type RecordedPeriodEndStop } from '../../db/queries/subscriptions.js';
import { cancelSignal, stateQuery } from '../../workflows/messages.js';
import type { SubscriptionState } from '../../workflows/types.js';
import { readLastRun } from './repair-history.js';
import { workflowStateOf } from './stop-now.js';

export interface PeriodEndStopOutcome {
  /** The stop as recorded (the first one asked for, if it was asked before). */
  recorded: RecordedPeriodEndStop;
  /** What Temporal says of the workflow: RUNNING (it was told), or FAILED, TERMINATED, … NOT_FOUND (billing does not run; `billing repair` finishes or restarts it). */
  workflowState: string;
  /** The running workflow's state after the signal; null when it does not run. */
  state: SubscriptionState | null;
}

/**
 * Records the stop (db/queries/subscriptions.ts recordPeriodEndStop: when, why, the last cycle
 * that may be billed and the day it ends, with a `subscription.cancel_scheduled` event), then
 * signals the workflow (`cancel` with mode period_end and the recorded reason), which ends the
 * subscription `canceled` when the next cycle comes due instead of billing it. A workflow that is
 * not running is not an error: the stop is kept and `billing repair` acts on it. Throws what the
 * database or the Temporal client throws.
 */
export async function stopSubscriptionAtPeriodEnd(
  deps: { db: DatabaseOrTransaction; now: () => Date },
  handle: WorkflowHandle,
  stop: { subscriptionId: string; reason: string },
): Promise<PeriodEndStopOutcome> {
  // The running workflow knows its billing dates (plan changes included): the day it ends is the one after the last billable cycle.
  // Not asked of a closed one: its query would wait for a worker to replay it.
  const before = (await workflowStateOf(handle)) === 'RUNNING' ? await handle.query(stateQuery).catch(() => null) : null;
  const dueAt = (cycle: number): Date | null => {
    const due = before?.upcoming?.find((c) => c.cycle === cycle)?.dueAt;
    return due ? new Date(due) : null;
  };
  const recorded = await recordPeriodEndStop(deps.db, { ...stop, at: deps.now(), dueAt });
  try {
    await signalPeriodEnd(handle, recorded);
    return { recorded, workflowState: 'RUNNING', state: await handle.query(stateQuery) };
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  const workflowState = await workflowStateOf(handle);
  // Started again meanwhile (a repair): that run is told.
  if (workflowState === 'RUNNING') {
    await signalPeriodEnd(handle, recorded);
    return { recorded, workflowState, state: await handle.query(stateQuery) };
  }
  return { recorded, workflowState, state: null };
}

/**
 * A period-end stop recorded in PostgreSQL that the running workflow does not hold (the stopper
 * died between the write and the signal, or a run was restarted without it): sent again unless
 * the current run started with it (carried across continue-as-new or by a repair) or its history
 * holds a cancel signal of either mode (a stop "now" supersedes it). Returns whether it was sent.
 * Used by `billing repair` and the drift job. Throws UpstreamError when the history cannot be read.
 */
export async function redeliverPeriodEndStop(handle: WorkflowHandle, stop: Pick<RecordedPeriodEndStop, 'reason'>): Promise<boolean> {
  const run = await readLastRun(handle);
  if (run?.cancelAtPeriodEnd || run?.cancelNow) return false;
  await signalPeriodEnd(handle, stop);
  return true;
}

async function signalPeriodEnd(handle: WorkflowHandle, stop: Pick<RecordedPeriodEndStop, 'reason'>): Promise<void> {
  await handle.signal(cancelSignal, { mode: 'period_end', reason: stop.reason });
}
