// "Stop a subscription now", the one way every caller does it: the admin client's stop, the
// HTTP API's cancel and the IPN reaction to a closed Charge Permission.
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { cancelSignal } from '../../workflows/messages.js';

/**
 * Signals why (the workflow records the reason as it ends: BuyerClosed, an operator's text, …),
 * then requests cancellation: the workflow stops before any further charge, and a charge
 * already in flight is finished and recorded, never abandoned. The signal goes first so the
 * reason is in history before the cancellation is delivered. Throws what the Temporal client
 * throws (WorkflowNotFoundError when the workflow does not exist or had ended before the signal).
 */
export async function stopSubscriptionNow(handle: WorkflowHandle, reason: string): Promise<void> {
  await handle.signal(cancelSignal, { mode: 'now', reason });
  try {
    await handle.cancel();
  } catch (error) {
    // The signal alone may have ended the run (a stop ends a wait for a failed call at once):
    // the subscription is stopped, nothing is left to cancel.
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}
