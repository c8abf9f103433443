// subscription.trial_will_end (docs/events.md): emitted by the housekeeping job of that name.
import { sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { isoInstantSql } from './charges.js';
import { appendEventsFrom } from './event-sql.js';

/** Most trials one run reports; the rest follow on the next run. */
const BATCH = 1000;

/**
 * Appends subscription.trial_will_end for each subscription still `trialing` whose trial ends
 * (next_billing_at: the first cycle's due date) after `now` and no later than `now + beforeMs`,
 * and that has none yet — one statement, so the check and the event commit together. Once per
 * trial across replicas: the housekeeping lock runs one job at a time, a later run finds the
 * event, and a run overlapping one that holds a row (FOR UPDATE … SKIP LOCKED) leaves it to that one. A trial whose end passed while the daemon was down gets none (it has ended).
 * Returns how many were emitted.
 */
export async function emitTrialWillEnd(db: DatabaseOrTransaction, now: Date, beforeMs: number): Promise<number> {
  const from = now.toISOString();
  const until = new Date(now.getTime() + beforeMs).toISOString();
  const [row] = await db.execute<{ emitted: number }>(sql`
    with due as (
      select s.id as subscription_id, 'subscription.trial_will_end'::text as type,
        jsonb_build_object('trial_ends_at', ${isoInstantSql(sql`s.next_billing_at`)}, 'cycle', s.current_cycle) as data
      from subscriptions s
      where s.status = 'trialing' and s.next_billing_at > ${from}::timestamptz and s.next_billing_at <= ${until}::timestamptz
        and not exists (select 1 from events e where e.subscription_id = s.id and e.type = 'subscription.trial_will_end')
      order by s.next_billing_at limit ${BATCH}
      for update of s skip locked
    ), ${appendEventsFrom('due', now)}
    select (select count(*) from event_row)::int as emitted`);
  return row?.emitted ?? 0;
}
