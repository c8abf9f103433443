// subscription.trial_will_end and subscription.permission_will_expire (docs/events.md): emitted by the housekeeping jobs of those names.
import { sql, type SQL } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { isoInstantSql } from './charges.js';
import { appendEventsFrom } from './event-sql.js';

/** Most subscriptions one run reports; the rest follow on the next run. */
const BATCH = 1000;

/**
 * Appends a `type` event with `data` for each subscription matching `due` that has none of that
 * type yet — or, with `sameAs` (a condition on the earlier event `e` and the row `s`), none of that
 * type for which it holds —, earliest `order` first; one statement, so the check and the event
 * commit together. Once per subscription (and `sameAs`) across replicas: the housekeeping lock runs
 * one job at a time, a later run finds the event, and a run overlapping one that holds a row
 * (FOR UPDATE … SKIP LOCKED) leaves it to that one. Returns how many were emitted.
 */
async function emitOncePerSubscription(
  db: DatabaseOrTransaction,
  now: Date,
  event: { type: string; data: SQL; due: SQL; order: SQL; sameAs?: SQL },
): Promise<number> {
  const same = event.sameAs ? sql`and ${event.sameAs}` : sql``;
  const [row] = await db.execute<{ emitted: number }>(sql`
    with due as (
      select s.id as subscription_id, ${event.type}::text as type, ${event.data} as data
      from subscriptions s
      where ${event.due}
        and not exists (select 1 from events e where e.subscription_id = s.id and e.type = ${event.type} ${same})
      order by ${event.order} limit ${BATCH}
      for update of s skip locked
    ), ${appendEventsFrom('due', now)}
    select (select count(*) from event_row)::int as emitted`);
  return row?.emitted ?? 0;
}

/**
 * Appends subscription.trial_will_end for each subscription still `trialing` whose trial ends
 * (next_billing_at: the first cycle's due date) after `now` and no later than `now + beforeMs`,
 * and that has none yet. A trial whose end passed while the daemon was down gets none (it has
 * ended). Returns how many were emitted.
 */
export async function emitTrialWillEnd(db: DatabaseOrTransaction, now: Date, beforeMs: number): Promise<number> {
  const from = now.toISOString();
  const until = new Date(now.getTime() + beforeMs).toISOString();
  return emitOncePerSubscription(db, now, {
    type: 'subscription.trial_will_end',
    data: sql`jsonb_build_object('trial_ends_at', ${isoInstantSql(sql`s.next_billing_at`)}, 'cycle', s.current_cycle)`,
    due: sql`s.status = 'trialing' and s.next_billing_at > ${from}::timestamptz and s.next_billing_at <= ${until}::timestamptz`,
    order: sql`s.next_billing_at`,
  });
}

/**
 * Appends subscription.permission_will_expire for each live subscription (not canceled or ended)
 * whose Charge Permission's expirationTimestamp (permission_expires_at, as Amazon Pay last
 * answered it: db/queries/permissions.ts recordPermissionExpiry) comes after `now` and no later
 * than `now + beforeMs`, and that has none for that expiry yet: once per expiry date, so an expiry
 * Amazon moved after the warning is warned of again as its new date comes near. Returns how many
 * were emitted.
 */
export async function emitPermissionWillExpire(db: DatabaseOrTransaction, now: Date, beforeMs: number): Promise<number> {
  const from = now.toISOString();
  const until = new Date(now.getTime() + beforeMs).toISOString();
  const expiresAt = isoInstantSql(sql`s.permission_expires_at`);
  return emitOncePerSubscription(db, now, {
    type: 'subscription.permission_will_expire',
    data: sql`jsonb_build_object('charge_permission_id', s.charge_permission_id, 'permission_expires_at', ${expiresAt})`,
    due: sql`s.status not in ('canceled', 'ended') and s.permission_expires_at > ${from}::timestamptz and s.permission_expires_at <= ${until}::timestamptz`,
    order: sql`s.permission_expires_at`,
    sameAs: sql`e.data->>'permission_expires_at' = ${expiresAt}`,
  });
}
