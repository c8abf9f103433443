// A new subscription bills every cycle due since its anchor, at once: that is right for a cycle
// due a moment ago (a checkout that starts billing now) and wrong for an anchor months back (a
// merchant importing existing subscriptions with their original start dates would charge each
// buyer for every month since). So a new subscription may start at most one cycle in the past.
import { cycleDueAt } from '../../billing/schedule.js';
import { SHORT_INTERVAL_UNITS, type SubscriptionSpec } from '../../billing/types.js';
import { InvalidInputError } from '../errors.js';

/** Counting stops here: the message then says "more than". */
const COUNT_LIMIT = 1_000;

/**
 * Throws InvalidInputError (field anchor) when cycle 1 of a new subscription is already due at
 * `now`, i.e. starting it would charge two or more cycles at once; the message names how many and
 * the next billing date to use instead. Sandbox plans (second/minute/hour) are exempt: their
 * demos and tests start on a past anchor on purpose.
 */
export function assertNoBackBilling(spec: Pick<SubscriptionSpec, 'anchor' | 'trial' | 'plan' | 'firstChargeId'>, now: Date): void {
  if ((SHORT_INTERVAL_UNITS as readonly string[]).includes(spec.plan.interval.unit)) return;
  const nowMs = now.getTime();
  // With a checkout charge, cycle 0 is paid already: billing starts at cycle 1.
  const first = spec.firstChargeId === undefined ? 0 : 1;
  if (cycleDueAt(spec, first + 1).toMillis() > nowMs) return;
  let next = first + 1;
  while (next - first < COUNT_LIMIT && cycleDueAt(spec, next).toMillis() <= nowMs) next += 1;
  const overdue = next - first;
  const nextLocal = cycleDueAt(spec, next).setZone(spec.anchor.zone).toFormat("yyyy-MM-dd'T'HH:mm");
  const nextHint =
    overdue < COUNT_LIMIT ? `; to carry on an existing subscription, give its next billing date as the anchor, e.g. ${nextLocal} ${spec.anchor.zone}` : '';
  throw InvalidInputError.of(
    'anchor',
    `${spec.anchor.localDateTime} ${spec.anchor.zone} puts ${overdue < COUNT_LIMIT ? overdue : `more than ${COUNT_LIMIT}`} cycles in the past, and a new subscription charges every past cycle at once; accepted: an anchor at most one cycle in the past${nextHint}`,
  );
}
