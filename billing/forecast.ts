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
   * The longest wait (seconds) of a charge due in this hour between its due time and when it is
   * sent, with every earlier charge sent first (the charges queue is served in due order); null
   * when none is due.
   */
  maxLatenessSeconds: number | null;
  /** When the last charge due in this hour is sent (the last of the hour's charges to go); null when none is due. */
  lastChargeSentAt: Date | null;
}

/** A run of hours in which charges wait for the quota: from its first due charge until the queue is empty. */
export interface ForecastPeak {
  /** The due time of its first charge. */
  startsAt: Date;
  /** When its last charge is sent (the queue empties). */
  finishesAt: Date;
  charges: number;
  /** The longest wait (seconds) of any of its charges after its own due time. */
  maxLatenessSeconds: number;
  /** The latest due time among its charges. */
  lastDueAt: Date;
}

export interface Forecast {
  from: Date;
  until: Date;
  ratePerSecond: number;
  hours: ForecastHour[];
  /** Busy periods whose longest wait is at least `minPeakLatenessSeconds`, and that end at or after `from`. */
  peaks: ForecastPeak[];
  /** The lateness (seconds) from which a busy period is a peak. */
  minPeakLatenessSeconds: number;
  /** Charges due in [from, until) (with the overdue ones when `simulateFrom` is `from`). */
  totalDue: number;
}

export interface ForecastInput {
  /**
   * Due instants (epoch milliseconds), one per charge, any order. They are sorted once (a typed
   * array sort) and charges due at the same instant are simulated as one batch: the model's cost
   * follows the distinct instants, not the charges.
   */
  dueAtMs: readonly number[];
  /** Start of the reported window. */
  from: Date;
  until: Date;
  /**
   * Where the queue is simulated from (default `from`; at most `from`): charges due before it
   * are overdue and count as due at it; charges due in [simulateFrom, from) are not reported but
   * leave the backlog they would at `from`. A window in the future is simulated from now.
   */
  simulateFrom?: Date;
  /** Create Charge calls per second the whole deployment sends when charges wait (> 0): the quota, or the daemon's capacity when lower. */
  ratePerSecond: number;
  /** Calls that may go at once after an idle period (a token bucket's size); default: one second's worth. */
  burst?: number;
  /** A busy period is reported as a peak when one of its charges is at least this late (default 60 s). */
  minPeakLatenessSeconds?: number;
  /**
   * Seconds from a charge's due time before the deployment can send it even with nothing waiting
   * (timer fired, workflow task, activity dispatch): the queue serves no charge before due + this
   * (default 0; billing/capacity.ts learns it from the ledger's last peak).
   */
  wakeUpSeconds?: number;
}

/** The default `minPeakLatenessSeconds`: a busy period whose charges wait less than a minute is no peak. */
export const DEFAULT_MIN_PEAK_LATENESS_SECONDS = 60;

const HOUR_MS = 3_600_000;

/**
 * Charges due at each distinct instant (ascending), and how the token bucket sends them: one
 * entry per instant in parallel typed arrays (a per-second plan has ~600,000 instants a week;
 * objects per instant cost more in allocation than the model itself).
 */
interface Batches {
  length: number;
  dueMs: Float64Array;
  count: Float64Array;
  /** When the bucket starts on them (their due time, or when the previous batch is done). */
  atMs: Float64Array;
  /** How many go at `atMs` at once (tokens in hand). */
  immediate: Float64Array;
  /** Tokens left after the immediate ones (0 ≤ x < 1 when any wait). */
  tokensLeft: Float64Array;
  firstSentMs: Float64Array;
  lastSentMs: Float64Array;
}

/**
 * Computes the forecast. The model is a token bucket served in due order: a charge is sent at
 * its due time plus the wake-up delay, or when the quota next allows, whichever is later — how the Temporal server
 * paces the charges queue (maxTaskQueueActivitiesPerSecond). Charges due at the same instant are
 * handled as one batch: after one sort of the instants, the cost is O(distinct due instants + hours).
 * Throws RangeError for a rate ≤ 0, an empty window or `simulateFrom` after `from`.
 */
export function forecastBillingDays(input: ForecastInput): Forecast {
  const { from, until, ratePerSecond } = input;
  if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
  if (until.getTime() <= from.getTime()) throw new RangeError('the forecast window is empty');
  const simulateFromMs = input.simulateFrom?.getTime() ?? from.getTime();
  if (simulateFromMs > from.getTime()) throw new RangeError('simulateFrom must not be after from');
  const burst = Math.max(1, input.burst ?? ratePerSecond);
  const minPeak = input.minPeakLatenessSeconds ?? DEFAULT_MIN_PEAK_LATENESS_SECONDS;
  const spacingMs = 1000 / ratePerSecond;
  const fromMs = from.getTime();
  const untilMs = until.getTime();
  const wakeUpMs = Math.max(0, input.wakeUpSeconds ?? 0) * 1000;
  const batches = sendBatches(countsByInstant(input.dueAtMs, simulateFromMs, untilMs), burst, spacingMs, wakeUpMs);

  // Hours on the clock (UTC): the first is the hour `from` falls in.
  const originMs = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
  const hourCount = Math.ceil((untilMs - originMs) / HOUR_MS);
  const hours: ForecastHour[] = Array.from({ length: hourCount }, (_, i) => ({
    hourStart: new Date(originMs + i * HOUR_MS),
    due: 0,
    capacity: Math.floor(ratePerSecond * 3600),
    backlogAtStart: 0,
    maxLatenessSeconds: null,
    lastChargeSentAt: null,
  }));
  let totalDue = 0;
  const lastSentMs = new Float64Array(hourCount).fill(Number.NaN);
  for (let i = 0; i < batches.length; i++) {
    const dueMs = batches.dueMs[i]!;
    if (dueMs < fromMs) continue;
    const h = Math.floor((dueMs - originMs) / HOUR_MS);
    const hour = hours[h]!;
    hour.due += batches.count[i]!;
    hour.maxLatenessSeconds = Math.max(hour.maxLatenessSeconds ?? 0, (batches.lastSentMs[i]! - dueMs) / 1000);
    lastSentMs[h] = batches.lastSentMs[i]!;
    totalDue += batches.count[i]!;
  }
  hours.forEach((hour, h) => (hour.lastChargeSentAt = Number.isNaN(lastSentMs[h]) ? null : new Date(lastSentMs[h]!)));
  backlogs(hours, batches, spacingMs);
  const peaks = busyPeriods(batches, spacingMs, minPeak, wakeUpMs).filter((p) => p.finishesAt.getTime() >= fromMs);
  return { from, until, ratePerSecond, hours, peaks, minPeakLatenessSeconds: minPeak, totalDue };
}

/**
 * When the last of `dueAtMs` (epoch ms, any order, at least one) is sent by the forecast's token
 * bucket at `ratePerSecond` with `burst` (default one second's worth) and no wake-up delay: the
 * model's finish, against which billing/capacity.ts measures a real peak's wake-up delay.
 */
export function modelledLastSendMs(dueAtMs: readonly number[], ratePerSecond: number, burst = ratePerSecond): number {
  if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
  const batches = sendBatches(countsByInstant(dueAtMs, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY), Math.max(1, burst), 1000 / ratePerSecond, 0);
  return batches.lastSentMs[batches.length - 1] ?? Number.NaN;
}

/** The distinct due instants before `untilMs` (ascending) with their counts; overdue ones moved to `startMs`. */
function countsByInstant(due: readonly number[], startMs: number, untilMs: number): { dueMs: Float64Array; count: Float64Array } {
  const sorted = new Float64Array(due.length);
  let n = 0;
  for (const ms of due) if (ms < untilMs) sorted[n++] = Math.max(ms, startMs);
  const kept = sorted.subarray(0, n).sort();
  const dueMs = new Float64Array(n);
  const count = new Float64Array(n);
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    if (distinct > 0 && dueMs[distinct - 1] === kept[i]) count[distinct - 1]! += 1;
    else {
      dueMs[distinct] = kept[i]!;
      count[distinct++] = 1;
    }
  }
  return { dueMs: dueMs.subarray(0, distinct), count: count.subarray(0, distinct) };
}

/**
 * The token bucket over batches: `tokens` calls may go at `clock` without waiting; one token
 * comes back per spacing. Of a batch of k, the first ⌊tokens⌋ go at once, the rest one spacing
 * apart once a whole token is back: the j-th waiting one at at + (j − tokensLeft)·spacing.
 */
function sendBatches(due: { dueMs: Float64Array; count: Float64Array }, burst: number, spacingMs: number, wakeUpMs: number): Batches {
  const length = due.dueMs.length;
  const b: Batches = {
    length,
    ...due,
    atMs: new Float64Array(length),
    immediate: new Float64Array(length),
    tokensLeft: new Float64Array(length),
    firstSentMs: new Float64Array(length),
    lastSentMs: new Float64Array(length),
  };
  let tokens = burst;
  let clock = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < length; i++) {
    const count = b.count[i]!;
    const atMs = Math.max(b.dueMs[i]! + wakeUpMs, clock);
    tokens = Math.min(burst, tokens + (atMs - clock) / spacingMs);
    const immediate = Math.min(count, Math.floor(tokens));
    const tokensLeft = tokens - immediate;
    const waiting = count - immediate;
    b.atMs[i] = atMs;
    b.immediate[i] = immediate;
    b.tokensLeft[i] = tokensLeft;
    b.firstSentMs[i] = immediate > 0 ? atMs : atMs + (1 - tokensLeft) * spacingMs;
    b.lastSentMs[i] = clock = waiting > 0 ? atMs + (waiting - tokensLeft) * spacingMs : atMs;
    tokens = waiting > 0 ? 0 : tokensLeft;
  }
  return b;
}

/** How many of batch i's charges are sent before `ms`. */
function sentBefore(b: Batches, i: number, ms: number, spacingMs: number): number {
  if (b.lastSentMs[i]! < ms) return b.count[i]!;
  if (b.atMs[i]! >= ms) return 0;
  // Waiting charge j (1-based) goes at atMs + (j − tokensLeft)·spacing < ms.
  const waitingSent = Math.ceil((ms - b.atMs[i]!) / spacingMs + b.tokensLeft[i]! - 1e-9) - 1;
  return b.immediate[i]! + Math.min(b.count[i]! - b.immediate[i]!, Math.max(0, waitingSent));
}

/** Backlog at each hour's start: charges due before it, sent at or after it (sent in due order, so one batch at most straddles it). */
function backlogs(hours: ForecastHour[], b: Batches, spacingMs: number): void {
  let dueIndex = 0;
  let dueBefore = 0;
  let doneIndex = 0;
  let doneBefore = 0;
  for (const hour of hours) {
    const start = hour.hourStart.getTime();
    for (; dueIndex < b.length && b.dueMs[dueIndex]! < start; dueIndex++) dueBefore += b.count[dueIndex]!;
    for (; doneIndex < b.length && b.lastSentMs[doneIndex]! < start; doneIndex++) doneBefore += b.count[doneIndex]!;
    const partial = doneIndex < dueIndex ? sentBefore(b, doneIndex, start, spacingMs) : 0;
    hour.backlogAtStart = dueBefore - doneBefore - partial;
  }
}

/**
 * Groups batches into busy periods (each starts within one spacing of the last being sent, or
 * waits) and keeps those whose longest wait is at least `minPeakSeconds`. A batch's longest wait
 * is its last charge's: its charges share one due time.
 */
function busyPeriods(b: Batches, spacingMs: number, minPeakSeconds: number, wakeUpMs: number): ForecastPeak[] {
  const peaks: ForecastPeak[] = [];
  let start = 0;
  let charges = 0;
  let worst = 0;
  for (let i = 0; i <= b.length; i++) {
    const continues = i < b.length && i > start && (b.dueMs[i]! + wakeUpMs <= b.lastSentMs[i - 1]! + spacingMs || b.firstSentMs[i]! > b.dueMs[i]! + wakeUpMs);
    if (!continues && i > start) {
      if (worst >= minPeakSeconds) {
        peaks.push({
          startsAt: new Date(b.dueMs[start]!),
          finishesAt: new Date(b.lastSentMs[i - 1]!),
          charges,
          maxLatenessSeconds: worst,
          lastDueAt: new Date(b.dueMs[i - 1]!),
        });
      }
      start = i;
      charges = 0;
      worst = 0;
    }
    if (i === b.length) break;
    charges += b.count[i]!;
    worst = Math.max(worst, (b.lastSentMs[i]! - b.dueMs[i]!) / 1000);
  }
  return peaks;
}
