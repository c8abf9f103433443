// Which event a status write emits, and its data (docs/events.md "Subscription events"). The
// type depends on the status the row had, which only the write's own statement sees (it locks
// the row), so the choice is SQL evaluated there; the data is built here from what the caller
// knows, and the statement adds previous_status (and the buyer's update link).
import { sql, type SQL } from 'drizzle-orm';
import { FINAL_SUBSCRIPTION_STATUSES, REPLACED_BY_PREFIX } from '../../billing/vocabulary.js';

/** Statuses whose entry (or change of reason) is reported by the event of the same name: subscription.<status>. */
export const TROUBLE_STATUSES = ['past_due', 'payment_method_required', 'needs_attention', 'unpaid'] as const;

/**
 * The event type (text, or null for none) of a write from the row's status `from` (SQL) to
 * `to` with `reasonChanged` (SQL boolean):
 * - to canceled or ended: subscription.canceled / subscription.ended (a final row is never written again);
 * - to paused: subscription.paused; from paused to anything else: subscription.resumed;
 * - to active from any other status: subscription.activated (a trial's first paid cycle, a recovery);
 * - to past_due, payment_method_required, needs_attention, unpaid, or a new reason there: subscription.<status>;
 * - nothing else (active → active with another reason, such as AuthorizationPending: charge.pending tells it).
 */
export function statusEventTypeSql(from: SQL, to: string, reasonChanged: SQL): SQL {
  const statusChanged = sql`(${from} is distinct from ${to}::text)`;
  if ((FINAL_SUBSCRIPTION_STATUSES as readonly string[]).includes(to)) return sql`case when ${statusChanged} then ${`subscription.${to}`}::text end`;
  if (to === 'paused') return sql`case when ${statusChanged} then 'subscription.paused' end`;
  const entered =
    to === 'active'
      ? sql`case when ${statusChanged} then 'subscription.activated' end`
      : (TROUBLE_STATUSES as readonly string[]).includes(to)
        ? sql`case when ${statusChanged} or ${reasonChanged} then ${`subscription.${to}`}::text end`
        : sql`null::text`;
  return sql`case when ${from} = 'paused' then 'subscription.resumed' else ${entered} end`;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const whole = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) ? value : null);

/**
 * A status event's data (api/schemas/events.ts SubscriptionStatusEventData) from the write:
 * status, reason, cycle and next billing date, plus what the workflow's detail tells for the
 * status — the dunning retry time and step for past_due, the grace period's end for
 * payment_method_required, the last failure for needs_attention and unpaid.
 */
export function statusEventData(change: {
  status: string;
  reasonCode: string | null;
  cycle: number;
  nextBillingAt: Date | null;
  detail?: Record<string, unknown>;
}): Record<string, unknown> {
  const detail = change.detail ?? {};
  const base = { status: change.status, reason: change.reasonCode, cycle: change.cycle, next_billing_at: change.nextBillingAt?.toISOString() ?? null };
  switch (change.status) {
    case 'past_due':
      return { ...base, next_retry_at: text(detail.nextRetryAt), dunning_step: whole(detail.dunningStep), dunning_steps: whole(detail.of) };
    case 'payment_method_required':
      return { ...base, grace_ends_at: text(detail.graceEndsAt) };
    case 'needs_attention':
    case 'unpaid':
      return { ...base, last_failure: text(detail.lastFailure) };
    case 'canceled': {
      // Stopped by a replacement checkout's complete (client/checkout/replace.ts): the reason names the new subscription.
      const replacedBy = change.reasonCode?.startsWith(REPLACED_BY_PREFIX) ? change.reasonCode.slice(REPLACED_BY_PREFIX.length) : null;
      return replacedBy ? { ...base, replaced_by: replacedBy } : base;
    }
    default:
      return base;
  }
}
