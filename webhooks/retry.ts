// When a failed delivery is tried again: billing.yaml webhooks.retrySchedule, one delay per retry
// (each roughly 2-6 times the previous: exponential backoff), plus up to 20 % random jitter so
// deliveries that failed together (an endpoint's outage) do not all come back at the same second.
// Jitter only lengthens a delay, so the schedule's window (≥ 3 days by default) never shrinks.
import { randomInt } from 'node:crypto';

export const RETRY_JITTER = 0.2;

/**
 * The time of the next attempt after attempt number `attempt` (1-based) failed at `now`, or null
 * when the schedule is used up (the delivery has failed for good). `random` in [0, 1).
 */
export function nextAttemptAt(schedule: readonly number[], attempt: number, now: Date, random: () => number = uniformRandom): Date | null {
  const delay = schedule[attempt - 1];
  if (delay === undefined) return null;
  return new Date(now.getTime() + Math.round(delay * (1 + RETRY_JITTER * random())));
}

/** The whole retry window: the sum of the schedule, in ms. */
export function retryWindowMs(schedule: readonly number[]): number {
  return schedule.reduce((sum, delay) => sum + delay, 0);
}

/** A uniform number in [0, 1) from the crypto generator (Math.random is refused by the linter). */
function uniformRandom(): number {
  return randomInt(0, 1_000_000) / 1_000_000;
}
