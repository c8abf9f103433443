// Runs the housekeeping cron expressions (billing.yaml) in UTC, whatever the host's zone (TZ).
//
// node-cron 4.6.0 reads the expressions (validation, next match, in UTC), but its timer loop is
// not used: it depends on the host zone even with `timezone: 'UTC'`. Its heartbeat takes "now"
// from `date.setMilliseconds(0)`, which converts through local time, and in the repeated autumn
// hour local → UTC picks the first occurrence, so "now" reads an hour early. The heartbeat then
// re-arms a timer with delay 0 over and over for that hour and runs nothing (issue 13 §5: every-
// minute sweep 15 runs in 135 min, reconcile and drift silent, millions of 1 ms timers in
// Europe/Berlin). Without a zone it also reads the expressions in host time ("30 3 * * *" ran at
// 01:30 UTC on a Berlin host in summer). Both measured with test/unit/daemon/housekeeping-dst.test.ts,
// which drives this module across spring and autumn changes in several host zones.
//
// The loop below only ever compares epoch milliseconds (Date.now()), which no zone touches.
import { createTask, type ScheduledTask } from 'node-cron';

/** The zone every housekeeping cron expression is read in. */
export const HOUSEKEEPING_CRON_ZONE = 'UTC';

/** Longest single wait: a stepped host clock (NTP) is noticed within this much. */
const MAX_WAIT_MS = 60 * 60_000;

export interface UtcCronTask {
  /** The next tick (UTC instant), or null once stopped. */
  nextTick(): Date | null;
  stop(): void;
}

/**
 * Calls `onTick(tick)` at each match of `expression` read in UTC (5 fields, or 6 with seconds
 * first). `tick` is the scheduled instant (whole second), the same on every replica whatever its
 * delay, so it can key a once-per-tick lock. A tick is called once, possibly late (event loop
 * blocked, host suspended); ticks missed meanwhile are skipped, not run in a burst. Throws
 * node-cron's error on a bad expression (config/billing.ts validates them at start-up).
 */
export function scheduleUtc(expression: string, name: string, onTick: (tick: Date) => void): UtcCronTask {
  // An unstarted node-cron task: only its matcher is used (getNextRuns counts from Date.now()).
  const matcher: ScheduledTask = createTask(expression, () => {}, { name, timezone: HOUSEKEEPING_CRON_ZONE });
  let timer: NodeJS.Timeout | undefined;
  let next: number | undefined;
  let stopped = false;

  const arm = (): void => {
    if (stopped) return;
    // The first match strictly after the current second, so the tick just run is never run again;
    // recomputed on every wake, so a host clock stepped either way is followed.
    next = matcher.getNextRuns(1)[0]!.getTime();
    timer = setTimeout(wake, Math.min(Math.max(next - Date.now(), 0), MAX_WAIT_MS));
  };
  const wake = (): void => {
    if (stopped || next === undefined) return;
    const due = next;
    // Woken before the tick (a capped wait, a host clock stepped back, timers a hair early): wait again.
    if (Date.now() < due) return arm();
    next = undefined;
    try {
      onTick(new Date(due));
    } finally {
      arm();
    }
  };
  arm();

  return {
    nextTick: () => (stopped || next === undefined ? null : new Date(next)),
    stop() {
      stopped = true;
      clearTimeout(timer);
      void matcher.destroy();
    },
  };
}
