import type postgres from 'postgres';

/** First key of every housekeeping advisory lock (the second is hashtext(job)): keeps them apart from other users of advisory locks. */
const LOCK_CLASS = 0x6b6565; // 'kee'

export type LockedRun<T> = { ran: true; result: T } | { ran: false; reason: 'locked' | 'tick already run' };

/**
 * Runs `job` for one cron tick on exactly one replica: a transaction-level advisory lock
 * (released by commit, rollback or a dropped connection) keeps runs of a job from
 * overlapping, and the (job, tick) row makes a tick that one replica already ran a no-op for
 * the others, however late they fire. A failing job is recorded and rethrown.
 */
export async function runOncePerTick<T>(sql: postgres.Sql, job: string, tick: Date, replica: string, run: () => Promise<T>): Promise<LockedRun<T>> {
  let failure: unknown;
  // drizzle's postgres.js client serializes timestamps as text: pass the ISO form explicitly.
  const at = tick.toISOString();
  const outcome = await sql.begin(async (tx): Promise<LockedRun<T>> => {
    const [lock] = await tx<{ locked: boolean }[]>`select pg_try_advisory_xact_lock(${LOCK_CLASS}, hashtext(${job})) as locked`;
    if (!lock?.locked) return { ran: false, reason: 'locked' };
    const claimed =
      await tx`insert into housekeeping_runs (job, tick, replica) values (${job}, ${at}::timestamptz, ${replica}) on conflict do nothing returning job`;
    if (claimed.length === 0) return { ran: false, reason: 'tick already run' };
    try {
      const result = await run();
      await tx`update housekeeping_runs set finished_at = now(), result = ${JSON.stringify(result ?? null)}::jsonb where job = ${job} and tick = ${at}::timestamptz`;
      return { ran: true, result };
    } catch (error) {
      failure = error;
      await tx`update housekeeping_runs set finished_at = now(), error = ${String((error as Error)?.message ?? error).slice(0, 500)} where job = ${job} and tick = ${at}::timestamptz`;
      return { ran: false, reason: 'locked' };
    }
  });
  if (failure !== undefined) throw failure;
  return outcome;
}
