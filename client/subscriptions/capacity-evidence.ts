// The ledger's evidence of the daemon's own Create Charge throughput: its busy stretches read
// from PostgreSQL and measured by billing/capacity.ts.
import { sql } from 'drizzle-orm';
import { CAPACITY_RULES, highestSustained, saturatedStretches, type SaturatedStretch, type SentCharge } from '../../billing/capacity.js';
import type { Database } from '../../db/client.js';
import { LEDGER_SCHEDULE_COLUMNS, ledgerDueTimes, type LedgerScheduleRow } from './ledger-due.js';

/**
 * The peak with the highest rate the deployment sustained while charges waited for it, among
 * Create Charge sends first made in [from, until) (ledger rows carrying the rate limit they were
 * sent under: migration 0013 on); null when no peak qualifies (billing/capacity.ts CAPACITY_RULES).
 * Only the busy parts of the ledger are read row by row: first the sends per second, then the
 * rows of the seconds around any window holding enough of them.
 */
export async function ledgerCapacityEvidence(db: Database, window: { from: Date; until: Date }): Promise<SaturatedStretch | null> {
  const ranges = await busyRanges(db, window);
  if (ranges.length === 0) return null;
  const bounds = sql.join(
    ranges.map(([from, to]) => sql`(${new Date(from).toISOString()}::timestamptz, ${new Date(to).toISOString()}::timestamptz)`),
    sql`, `,
  );
  const rows = await db.execute<LedgerScheduleRow & { sent_ms: number; attempt: number; rate_limit_per_second: number }>(sql`
    select (extract(epoch from c.requested_at) * 1000)::float8 as sent_ms, c.attempt, c.rate_limit_per_second, ${LEDGER_SCHEDULE_COLUMNS}
    from charges c join subscriptions s on s.id = c.subscription_id
      join (values ${bounds}) as busy(range_from, range_to) on c.requested_at >= busy.range_from and c.requested_at < busy.range_to
    where c.rate_limit_per_second is not null`);
  const dueOf = ledgerDueTimes();
  // A cycle's first attempt is due at the cycle's due time; a dunning retry's time is not in the row.
  const sent: SentCharge[] = rows.map((r) => ({
    sentAtMs: r.sent_ms,
    dueAtMs: r.attempt === 1 ? dueOf(r) : null,
    rateLimitPerSecond: r.rate_limit_per_second,
  }));
  return highestSustained(saturatedStretches(sent));
}

/**
 * [from, to) epoch-ms ranges, disjoint and ascending, around every window of
 * CAPACITY_RULES.windowSeconds holding at least minCharges sends — each reaching one window
 * further, so that charges sent just after a busy stretch (waiting through its end) are read too.
 */
async function busyRanges(db: Database, window: { from: Date; until: Date }): Promise<Array<[number, number]>> {
  const { windowSeconds, minCharges } = CAPACITY_RULES;
  const busy = await db.execute<{ second: string }>(sql`
    with per_second as (
      select floor(extract(epoch from requested_at))::bigint as second, count(*)::int as sends
      from charges
      where requested_at >= ${window.from.toISOString()}::timestamptz and requested_at < ${window.until.toISOString()}::timestamptz
        and rate_limit_per_second is not null
      group by 1
    ), windows as (
      select second, sum(sends) over (order by second range between current row and ${sql.raw(String(windowSeconds - 1))} following) as in_window
      from per_second
    )
    select second::text from windows where in_window >= ${minCharges} order by second`);
  const ranges: Array<[number, number]> = [];
  for (const row of busy) {
    const from = Number(row.second) * 1000;
    const to = Math.min(from + 2 * windowSeconds * 1000, window.until.getTime());
    const last = ranges.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else ranges.push([from, to]);
  }
  return ranges;
}
