// "Stop a subscription now", the one way every caller does it: the admin client's stop, the
// HTTP API's cancel and the IPN reaction to a closed Charge Permission.
import type { WorkflowHandle } from '@temporalio/client';
import { cancelSignal } from '../../workflows/messages.js';

/**
 * Signals why (the workflow records the reason as it ends: BuyerClosed, an operator's text, …),
 * then requests cancellation: the workflow stops before any further charge, and a charge
 * already in flight is finished and recorded, never abandoned. The signal goes first so the
 * reason is in history before the cancellation is delivered. Throws what the Temporal client
 * throws (WorkflowNotFoundError when the workflow does not exist or has ended).
 */
export async function stopSubscriptionNow(handle: WorkflowHandle, reason: string): Promise<void> {
  await handle.signal(cancelSignal, { mode: 'now', reason });
  await handle.cancel();
}
