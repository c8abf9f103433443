// Whether a checkout may replace a subscription now, by its row alone (status and recorded stops):
// the part of client/checkout/replace.ts assertReplaceable that a refused EU plan change also asks,
// so that its advice never points to a replacement the checkout would refuse.
import { isFinalSubscriptionStatus } from '../../billing/vocabulary.js';
import type { SubscriptionRow } from '../../db/schema/index.js';

/** Statuses a checkout may replace: the current period is paid (or a free trial runs), so the new plan starts at the next billing date. */
export const REPLACEABLE_STATUSES = ['active', 'trialing'] as const;

type ReplacementFacts = Pick<
  SubscriptionRow,
  | 'id'
  | 'status'
  | 'statusReason'
  | 'currentCycle'
  | 'stopRequestedAt'
  | 'stopRequestedReason'
  | 'periodEndStopRequestedAt'
  | 'periodEndStopReason'
  | 'periodEndStopEndsAt'
>;

/**
 * Why a checkout cannot replace `old` now, as one line saying what is accepted (the message of the
 * ConflictError assertReplaceable throws); null when its row allows it: not ended, no stop
 * recorded (now or at period end), not paused, and active or trialing.
 */
export function replacementBlocker(old: ReplacementFacts): string | null {
  const id = old.id;
  const accepted = 'a checkout replaces only an active or trialing subscription; leave replacesSubscriptionId out to start a new one';
  if (isFinalSubscriptionStatus(old.status))
    return `Subscription ${id} has ended (status ${old.status}${old.statusReason ? `, ${old.statusReason}` : ''}): ${accepted}`;
  if (old.stopRequestedAt !== null) return `Subscription ${id} is being stopped (stop requested: ${old.stopRequestedReason ?? 'StopRequested'}): ${accepted}`;
  // A stop the merchant asked for at period end stands: a replacement would bill on past it.
  if (old.periodEndStopRequestedAt !== null)
    return `Subscription ${id} stops at the end of its period (${old.periodEndStopReason ?? 'StopRequested'}${old.periodEndStopEndsAt ? `, on ${old.periodEndStopEndsAt.toISOString()}` : ''}): ${accepted}`;
  if (old.status === 'paused')
    return `Subscription ${id} is paused: its next billing date is known only once it is resumed (cycles due while paused are skipped); a checkout replaces only an active or trialing subscription: resume it first`;
  if (!(REPLACEABLE_STATUSES as readonly string[]).includes(old.status))
    return `Subscription ${id} is ${old.status}${old.statusReason ? ` (${old.statusReason})` : ''}: its current cycle ${old.currentCycle} is not paid, so the new plan has no paid period to continue; a checkout replaces only an active or trialing subscription: wait until the cycle is paid, or stop it and leave replacesSubscriptionId out`;
  return null;
}
