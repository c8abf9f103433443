// Whether a checkout may replace a subscription now, by its row alone (status and recorded stops):
// the part of client/checkout/replace.ts whyNotReplaceableNow that needs no query.
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
  // A recorded stop stands: a replacement would bill on past it. After the end, a new checkout
  // (without replacesSubscriptionId) starts the new plan; one now would charge for a period already paid.
  const afterTheEnd = 'start the new plan with a checkout without replacesSubscriptionId once it has ended';
  if (old.stopRequestedAt !== null)
    return `Subscription ${id} is being stopped (stop requested: ${old.stopRequestedReason ?? 'StopRequested'}); a checkout does not replace a subscription with a stop recorded: ${afterTheEnd}`;
  if (old.periodEndStopRequestedAt !== null) {
    const on = old.periodEndStopEndsAt ? ` on ${old.periodEndStopEndsAt.toISOString()}` : '';
    return `Subscription ${id} stops at the end of its period (${old.periodEndStopReason ?? 'StopRequested'}${on ? `,${on}` : ''}); a checkout does not replace a subscription with a stop recorded: ${afterTheEnd}${on} (a checkout before then would charge for a period already paid)`;
  }
  if (old.status === 'paused')
    return `Subscription ${id} is paused: its next billing date is known only once it is resumed (cycles due while paused are skipped); a checkout replaces only an active or trialing subscription: resume it first`;
  // needs_attention is also a call the workflow retries by itself (CallFailed:<activity>), not an unpaid cycle.
  if (old.status === 'needs_attention')
    return `Subscription ${id} needs attention (${old.statusReason ?? 'no reason recorded'}): a checkout replaces only an active or trialing subscription: once it is active again (\`billing show ${id}\` says what it waits for), try again`;
  if (!(REPLACEABLE_STATUSES as readonly string[]).includes(old.status))
    return `Subscription ${id} is ${old.status}${old.statusReason ? ` (${old.statusReason})` : ''}: its current cycle ${old.currentCycle} is not paid, so the new plan has no paid period to continue; a checkout replaces only an active or trialing subscription: wait until the cycle is paid, or stop it and leave replacesSubscriptionId out`;
  return null;
}
