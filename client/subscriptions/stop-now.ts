// "Stop a subscription now", the one way every caller does it: the admin client's stop, the
// HTTP API's cancel and the IPN reaction to a closed Charge Permission.
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { DatabaseOrTransaction } from '../../db/client.js';
import { recordStopRequested } from '../../db/queries/subscriptions.js';
import { cancelSignal } from '../../workflows/messages.js';

/**
 * Records the stop in PostgreSQL, signals why (the workflow records the reason as it ends:
 * BuyerClosed, an operator's text, …), then requests cancellation: the workflow stops before
 * any further charge, and a charge already sent is finished and recorded, never abandoned.
 *
 * The row is written first because a cancellation cannot reach a charge activity that is
 * already scheduled (it runs in a non-cancellable scope so that a sent request is never
 * orphaned): the activity reads the row just before it would send a new Create Charge and
 * sends nothing once a stop is recorded (activities/charges.ts). The signal goes before the
 * cancellation so the reason is in history when the cancellation is delivered.
 * Throws what the database or the Temporal client throws (WorkflowNotFoundError when the
 * workflow does not exist or had ended before the signal).
 */
export async function stopSubscriptionNow(
  deps: { db: DatabaseOrTransaction; now: () => Date },
  handle: WorkflowHandle,
  stop: { subscriptionId: string; reason: string },
): Promise<void> {
  await recordStopRequested(deps.db, stop.subscriptionId, stop.reason, deps.now());
  await handle.signal(cancelSignal, { mode: 'now', reason: stop.reason });
  try {
    await handle.cancel();
  } catch (error) {
    // The signal alone may have ended the run (a stop ends a wait for a failed call at once):
    // the subscription is stopped, nothing is left to cancel.
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}
