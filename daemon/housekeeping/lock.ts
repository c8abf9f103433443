import type postgres from 'postgres';

/** First key of every housekeeping advisory lock (the second is hashtext(job)): keeps them apart from other users of advisory locks. */
const LOCK_CLASS = 0x6b6565; // 'kee'

export type LockedRun<T> = { ran: true; result: T } | { ran: false; reason: 'locked' | 'tick already run' };

/**
 * Runs `job` for one cron tick on exactly one replica: a session-level advisory lock on a
 * connection reserved for the run (released by unlock, or by the connection dropping if this
 * process dies) keeps runs of a job from overlapping, and the (job, tick) row makes a tick that
 * one replica already ran a no-op for the others, however late they fire. An unfinished row
 * whose lock is free is a run that died: the tick is claimed again. A failing job is recorded
 * and rethrown.
 *
 * No transaction stays open while the job runs. One that holds a transaction id would hold back
 * every event written meanwhile, anywhere in the cluster, from the event feed and webhooks
 * (db/queries/events.ts reads only events older than every running transaction) for as long as
 * the job runs — minutes for a reconciliation paced by Amazon Pay's read quota.
 */
export async function runOncePerTick<T>(sql: postgres.Sql, job: string, tick: Date, replica: string, run: () => Promise<T>): Promise<LockedRun<T>> {
  // drizzle's postgres.js client serializes timestamps as text: pass the ISO form explicitly.
  const at = tick.toISOString();
  const connection = await sql.reserve();
  try {
    const [lock] = await connection<{ locked: boolean }[]>`select pg_try_advisory_lock(${LOCK_CLASS}, hashtext(${job})) as locked`;
    if (!lock?.locked) return { ran: false, reason: 'locked' };
    try {
      const claimed = await connection`
        insert into housekeeping_runs (job, tick, replica) values (${job}, ${at}::timestamptz, ${replica})
        on conflict (job, tick) do update set replica = excluded.replica, started_at = now(), error = null
          where housekeeping_runs.finished_at is null
        returning job`;
      if (claimed.length === 0) return { ran: false, reason: 'tick already run' };
      try {
        const result = await run();
        await connection`update housekeeping_runs set finished_at = now(), result = ${JSON.stringify(result ?? null)}::jsonb where job = ${job} and tick = ${at}::timestamptz`;
        return { ran: true, result };
      } catch (error) {
        await connection`update housekeeping_runs set finished_at = now(), error = ${String((error as Error)?.message ?? error).slice(0, 500)} where job = ${job} and tick = ${at}::timestamptz`;
        throw error;
      }
    } finally {
      await connection`select pg_advisory_unlock(${LOCK_CLASS}, hashtext(${job}))`;
    }
  } finally {
    connection.release();
  }
}
