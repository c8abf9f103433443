// The billing forecast: the charges due in each hour of the coming days, set against what the
// deployment can send in that hour, with the lateness a backlog causes. Pure: the caller reads
// the due instants (client/subscriptions/forecast.ts) and chooses the rate: the Create Charge
// quota (temporal.yaml rateLimits.createChargePerSecond, which the Temporal server enforces for
// the whole charges task queue), or the daemon's own throughput when that is lower
// (billing/capacity.ts).

/** One hour of the forecast. */
export interface ForecastHour {
  /** Start of the hour (UTC). */
  hourStart: Date;
  /** Charges due in this hour. */
  due: number;
  /** Charges the deployment can send in one hour (ratePerSecond × 3,600). */
  capacity: number;
  /** Charges still waiting from earlier hours when this hour starts. */
  backlogAtStart: number;
  /**
   * Seconds between the due time of the last charge due in this hour and when it is sent, with
   * every earlier charge sent first (the charges queue is served in due order); null when none is due.
   */
  lastChargeLatenessSeconds: number | null;
  /** When the last charge due in this hour is sent; null when none is due. */
  lastChargeSentAt: Date | null;
}

/** A run of hours in which charges wait for the quota: from its first due charge until the queue is empty. */
export interface ForecastPeak {
  /** The due time of its first charge. */
  startsAt: Date;
  /** When its last charge is sent (the queue empties). */
  finishesAt: Date;
  charges: number;
  /** Seconds its last charge waits after its own due time. */
  lastChargeLatenessSeconds: number;
  /** The latest due time among its charges. */
  lastDueAt: Date;
}

export interface Forecast {
  from: Date;
  until: Date;
  ratePerSecond: number;
  hours: ForecastHour[];
  /** Busy periods whose last charge is sent later than `minPeakLatenessSeconds` after its due time. */
  peaks: ForecastPeak[];
  totalDue: number;
}

export interface ForecastInput {
  /** Due instants (epoch milliseconds) of every charge in [from, until), any order. */
  dueAtMs: readonly number[];
  from: Date;
  until: Date;
  /** Create Charge calls per second the whole deployment sends when charges wait (> 0): the quota, or the daemon's capacity when lower. */
  ratePerSecond: number;
  /** Calls that may go at once after an idle period (a token bucket's size); default: one second's worth. */
  burst?: number;
  /** A busy period is reported as a peak when its last charge is at least this late (default 60 s). */
  minPeakLatenessSeconds?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Computes the forecast. The model is a token bucket served in due order: a charge is sent at
 * its due time or when the quota next allows, whichever is later — how the Temporal server
 * paces the charges queue (maxTaskQueueActivitiesPerSecond). Charges already overdue count as
 * due at `from`. Throws RangeError for a rate ≤ 0 or an empty window.
 */
export function forecastBillingDays(input: ForecastInput): Forecast {
  const { from, until, ratePerSecond } = input;
  if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
  if (until.getTime() <= from.getTime()) throw new RangeError('the forecast window is empty');
  const burst = Math.max(1, input.burst ?? ratePerSecond);
  const minPeak = input.minPeakLatenessSeconds ?? 60;
  const spacingMs = 1000 / ratePerSecond;
  const fromMs = from.getTime();
  const due = input.dueAtMs.filter((ms) => ms < until.getTime()).map((ms) => Math.max(ms, fromMs));
  due.sort((a, b) => a - b);

  // Hours on the clock (UTC): the first is the hour `from` falls in.
  const originMs = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
  const hourCount = Math.ceil((until.getTime() - originMs) / HOUR_MS);
  const hours: ForecastHour[] = Array.from({ length: hourCount }, (_, i) => ({
    hourStart: new Date(originMs + i * HOUR_MS),
    due: 0,
    capacity: Math.floor(ratePerSecond * 3600),
    backlogAtStart: 0,
    lastChargeLatenessSeconds: null,
    lastChargeSentAt: null,
  }));
  const sentAt = new Array<number>(due.length);
  // Token bucket: `tokens` calls may go at `clock` without waiting; one token comes back per spacing.
  let tokens = burst;
  let clock = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < due.length; i++) {
    const at = Math.max(due[i]!, clock);
    tokens = Math.min(burst, tokens + (at - clock) / spacingMs);
    if (tokens >= 1) {
      clock = at;
    } else {
      clock = at + (1 - tokens) * spacingMs;
      tokens = 1;
    }
    tokens -= 1;
    sentAt[i] = clock;
    const hour = hours[Math.floor((due[i]! - originMs) / HOUR_MS)]!;
    hour.due += 1;
    hour.lastChargeLatenessSeconds = (clock - due[i]!) / 1000;
    hour.lastChargeSentAt = new Date(clock);
  }
  // Backlog at each hour's start: due before it, sent at or after it.
  let dueIndex = 0;
  for (const hour of hours) {
    const start = hour.hourStart.getTime();
    while (dueIndex < due.length && due[dueIndex]! < start) dueIndex++;
    let waiting = 0;
    for (let j = dueIndex - 1; j >= 0 && sentAt[j]! >= start; j--) waiting++;
    hour.backlogAtStart = waiting;
  }
  return { from, until, ratePerSecond, hours, peaks: busyPeriods(due, sentAt, spacingMs, minPeak), totalDue: due.length };
}

/** Groups charges into busy periods (each sent within one spacing of the last, or waiting) and keeps the late ones. */
function busyPeriods(due: number[], sentAt: number[], spacingMs: number, minPeakSeconds: number): ForecastPeak[] {
  const peaks: ForecastPeak[] = [];
  let start = 0;
  for (let i = 1; i <= due.length; i++) {
    const continues = i < due.length && (due[i]! <= sentAt[i - 1]! + spacingMs || sentAt[i]! > due[i]!);
    if (continues) continue;
    if (i > start) {
      const last = i - 1;
      const lateness = (sentAt[last]! - due[last]!) / 1000;
      if (lateness >= minPeakSeconds) {
        peaks.push({
          startsAt: new Date(due[start]!),
          finishesAt: new Date(sentAt[last]!),
          charges: i - start,
          lastChargeLatenessSeconds: lateness,
          lastDueAt: new Date(due[last]!),
        });
      }
    }
    start = i;
  }
  return peaks;
}
