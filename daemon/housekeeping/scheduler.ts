import { hostname } from 'node:os';
import type postgres from 'postgres';
import type { Logger } from 'pino';
import type { HousekeepingJobName, HousekeepingJobs } from './jobs.js';
import { runOncePerTick, type LockedRun } from './lock.js';
import { scheduleUtc, type UtcCronTask } from './utc-cron.js';

export interface HousekeepingScheduler {
  /** Runs a job for one tick as the cron trigger does (advisory lock, once per tick). */
  trigger(job: HousekeepingJobName, tick: Date): Promise<LockedRun<unknown>>;
  /** Stops the cron triggers and waits for runs in progress. */
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  sql: postgres.Sql;
  jobs: HousekeepingJobs;
  /** node-cron expressions from billing.yaml, read in UTC (utc-cron.ts); null: not scheduled (still triggerable). */
  crons: Partial<Record<HousekeepingJobName, string | null>>;
  logger: Logger;
  replica?: string;
  onRun?: (job: HousekeepingJobName, result: 'ran' | 'skipped' | 'failed') => void;
}

export function startHousekeeping(options: SchedulerOptions): HousekeepingScheduler {
  const replica = options.replica ?? `${hostname()}:${process.pid}`;
  const running = new Set<Promise<unknown>>();
  const tasks: UtcCronTask[] = [];
  let stopped = false;

  async function trigger(job: HousekeepingJobName, tick: Date): Promise<LockedRun<unknown>> {
    const log = options.logger.child({ job, tick: tick.toISOString() });
    try {
      const outcome = await runOncePerTick<unknown>(options.sql, job, tick, replica, () => options.jobs[job]());
      options.onRun?.(job, outcome.ran ? 'ran' : 'skipped');
      if (!outcome.ran) log.debug({ reason: outcome.reason }, 'housekeeping skipped on this replica');
      return outcome;
    } catch (error) {
      options.onRun?.(job, 'failed');
      log.error({ err: (error as Error).message }, 'housekeeping job failed');
      throw error;
    }
  }

  for (const [job, expression] of Object.entries(options.crons) as Array<[HousekeepingJobName, string | null | undefined]>) {
    if (!expression) continue;
    const task = scheduleUtc(expression, `housekeeping-${job}-${replica}`, (tick) => {
      if (stopped) return;
      const run = trigger(job, tick).catch(() => {});
      running.add(run);
      void run.finally(() => running.delete(run));
    });
    tasks.push(task);
  }

  return {
    trigger,
    async stop() {
      stopped = true;
      for (const task of tasks) task.stop();
      await Promise.allSettled([...running]);
    },
  };
}
