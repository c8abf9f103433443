// A subscription whose stop was recorded (stop-now.ts) but whose workflow stopped before it ended
// the subscription: finished as canceled with the recorded reason — by `billing repair` and by
// the daemon's drift job alike.
import type { DatabaseOrTransaction } from '../../db/client.js';
import { listCharges } from '../../db/queries/charges.js';
import { recordSubscriptionStatus } from '../../db/queries/subscriptions.js';
import type { SubscriptionRow } from '../../db/schema/index.js';

export type StoppedFinish =
  | { finished: true; stopRequested: { at: string; reason: string } }
  /** Not finished: `why` is one line naming the charge that may have reached Amazon Pay unanswered. */
  | { finished: false; why: string };

/**
 * Ends `row` (it has `stopRequestedAt`) as canceled with the stop's reason: status, ended_at and a
 * status event whose detail names `by` and the workflow's state. Refuses (finished: false) while an
 * attempt that may have reached Amazon Pay has no recorded answer — ending the subscription around
 * it would abandon that charge (README "Exactly once"); an operator looks it up first.
 */
export async function finishStoppedSubscription(
  db: DatabaseOrTransaction,
  row: SubscriptionRow,
  { workflowState, by, now }: { workflowState: string; by: 'repair' | 'drift'; now: Date },
): Promise<StoppedFinish> {
  const stopRequested = { at: (row.stopRequestedAt ?? now).toISOString(), reason: row.stopRequestedReason ?? 'StopRequested' };
  const unanswered = (await listCharges(db, row.id)).find((c) => c.state === 'pending' && (c.sendsInFlight > 0 || c.possiblyProcessed));
  if (unanswered) {
    return {
      finished: false,
      why: `Subscription ${row.id}: a stop was requested, but cycle ${unanswered.cycle} attempt ${unanswered.attempt} (idempotency key ${unanswered.idempotencyKey}) may have reached Amazon Pay with no answer recorded, so it is not finished as canceled; look the charge up in Amazon Pay first`,
    };
  }
  await recordSubscriptionStatus(db, {
    subscriptionId: row.id,
    status: 'canceled',
    reasonCode: stopRequested.reason,
    cycle: row.currentCycle,
    nextBillingAt: null,
    detail: { [by]: 'stop_requested', stopRequestedAt: stopRequested.at, workflowState },
    ended: true,
    at: now,
  });
  return { finished: true, stopRequested };
}
