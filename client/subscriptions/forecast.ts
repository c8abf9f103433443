// The billing forecast from the database: every charge the subscriptions will ask for in the
// coming days, fed to billing/forecast.ts at the rate the deployment can send: the lower of the
// Create Charge quota and the daemon's own throughput measured on the ledger (billing/capacity.ts).
import { sql } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { chargeRate, type ChargeRate } from '../../billing/capacity.js';
import { forecastBillingDays, type Forecast, type ForecastPeak } from '../../billing/forecast.js';
import { billingInstant, firstBillingAnchor } from '../../billing/schedule.js';
import type { BillingInterval, IntervalUnit } from '../../billing/types.js';
import type { Database } from '../../db/client.js';
import { InvalidInputError } from '../errors.js';
import { ledgerCapacityEvidence } from './capacity-evidence.js';

export interface ForecastOptions {
  /** Days ahead, 1–31 (default 7). */
  days?: number;
  /** The Create Charge quota: calls per second of the whole deployment (temporal.yaml rateLimits.createChargePerSecond, as the daemon runs it). */
  quotaPerSecond: number;
  /** billing.yaml forecast.capacityPerSecond: the daemon's charges/s where the ledger measured none (default null: the quota alone). */
  capacityPerSecond?: number | null;
  /** billing.yaml forecast.capacityLookback: how far back the ledger's peaks count (ms, default 35 days). */
  capacityLookbackMs?: number;
  /** Start of the window. */
  now: Date;
  /** The ledger's evidence is read up to this instant (default `now`; the clock's time when `now` is a planned day ahead). */
  evidenceUntil?: Date;
  /** A busy period is a peak when its last charge is at least this late (seconds, default 60). */
  minPeakLatenessSeconds?: number;
}

/** The forecast with the rate it ran at and why (quota or the daemon's measured capacity). */
export interface BillingForecast extends Forecast {
  rate: ChargeRate;
}

/**
 * Whether a peak's last charge goes out more than `warnAfterMs` after it is due: what `billing
 * forecast` warns about and the dashboard marks (billing.yaml forecast.warnAfter, default 30 min).
 */
export function isLatePeak(peak: Pick<ForecastPeak, 'lastChargeLatenessSeconds'>, warnAfterMs: number): boolean {
  return peak.lastChargeLatenessSeconds * 1000 > warnAfterMs;
}

export const MAX_FORECAST_DAYS = 31;
export const DEFAULT_CAPACITY_LOOKBACK_MS = 35 * 86_400_000;

interface DueRow extends Record<string, unknown> {
  status: string;
  next_billing_at: string | null;
  retry_at: string | null;
  anchor_local: string;
  anchor_zone: string;
  interval_unit: string;
  interval_count: number;
  end_after_cycles: number | null;
  end_at: string | null;
  current_cycle: number;
  trial: BillingInterval | null;
  first_charge_id: string | null;
}

/**
 * The average length of one unit (ms): a month is 365.2425 / 12 days. Used to guess a cycle number
 * before the exact schedule corrects it, and by the dashboard to normalise plans to a month.
 */
export const AVERAGE_UNIT_MS: Readonly<Record<IntervalUnit, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
  month: 2_629_746_000,
  year: 31_556_952_000,
};

/**
 * Charges due in [now, now + days): each billing subscription's next billing date, its later
 * cycles inside the window (computed from the stored anchor, never chained from a date), and a
 * past_due subscription's scheduled dunning retry. Paused, final and stop-requested
 * subscriptions ask for nothing. A subscription whose interval changed since its anchor
 * contributes its next billing date exactly and later cycles from the current interval.
 * They are sent at the lower of the quota and the daemon's capacity (billing/capacity.ts
 * chargeRate) — measured on the ledger's peaks of the lookback before `evidenceUntil`, else
 * `capacityPerSecond` when set. Throws InvalidInputError for days outside 1–31.
 */
export async function forecastCharges(db: Database, options: ForecastOptions): Promise<BillingForecast> {
  const days = options.days ?? 7;
  if (!Number.isInteger(days) || days < 1 || days > MAX_FORECAST_DAYS)
    throw InvalidInputError.of('days', `must be a whole number from 1 to ${MAX_FORECAST_DAYS}, got ${String(days)}`);
  const from = options.now;
  const until = new Date(from.getTime() + days * 86_400_000);
  const evidenceUntil = options.evidenceUntil ?? from;
  const evidenceWindow = { from: new Date(evidenceUntil.getTime() - (options.capacityLookbackMs ?? DEFAULT_CAPACITY_LOOKBACK_MS)), until: evidenceUntil };
  const rate = chargeRate({
    quotaPerSecond: options.quotaPerSecond,
    evidence: await ledgerCapacityEvidence(db, evidenceWindow),
    configuredCapacityPerSecond: options.capacityPerSecond ?? null,
    evidenceWindow,
  });
  const rows = await db.execute<DueRow>(sql`
    select s.status, s.next_billing_at, s.anchor_local, s.anchor_zone, s.interval_unit, s.interval_count, s.end_after_cycles, s.end_at, s.current_cycle, s.trial, s.first_charge_id,
      case when s.status = 'past_due' then (
        select e.detail->>'nextRetryAt' from subscription_events e where e.subscription_id = s.id order by e.id desc limit 1
      ) end as retry_at
    from subscriptions s
    where s.status in ('active', 'trialing', 'past_due')
      and s.stop_requested_at is null
      and (s.next_billing_at < ${until.toISOString()}::timestamptz or s.next_billing_at is null or s.status = 'past_due')`);
  const dueAtMs: number[] = [];
  for (const row of rows) {
    const retry = row.retry_at ? Date.parse(row.retry_at) : NaN;
    if (Number.isFinite(retry) && retry < until.getTime()) dueAtMs.push(retry);
    // A subscription whose workflow has not written its next billing date yet (just started, or
    // started by an import a moment ago) is due at its current cycle, from its anchor.
    const next = row.next_billing_at ? new Date(row.next_billing_at).getTime() : firstDueFromAnchor(row);
    if (!Number.isFinite(next) || next >= until.getTime()) continue;
    for (const at of cyclesFrom(row, next, until.getTime())) dueAtMs.push(at);
  }
  const forecast = forecastBillingDays({
    dueAtMs,
    from,
    until,
    ratePerSecond: rate.ratePerSecond,
    ...(options.minPeakLatenessSeconds === undefined ? {} : { minPeakLatenessSeconds: options.minPeakLatenessSeconds }),
  });
  return { ...forecast, rate };
}

function firstDueFromAnchor(row: DueRow): number {
  if (row.status === 'past_due') return NaN;
  const cycle = row.first_charge_id && row.current_cycle === 0 ? 1 : row.current_cycle;
  if (row.end_after_cycles !== null && cycle >= row.end_after_cycles) return NaN;
  const anchor = firstBillingAnchor({ anchor: { localDateTime: row.anchor_local, zone: row.anchor_zone }, ...(row.trial ? { trial: row.trial } : {}) });
  return billingInstant(anchor, { unit: row.interval_unit as IntervalUnit, count: row.interval_count }, cycle).toMillis();
}

/** The next billing date, then the anchor's later cycles before `untilMs` (and before the subscription's end). */
function cyclesFrom(row: DueRow, nextMs: number, untilMs: number): number[] {
  const out = [nextMs];
  const interval: BillingInterval = { unit: row.interval_unit as IntervalUnit, count: row.interval_count };
  const step = AVERAGE_UNIT_MS[interval.unit] * interval.count;
  if (nextMs + step * 0.5 >= untilMs) return out;
  // Cycle 0 is due at the trial's end when there is a trial (billing/schedule.ts).
  const anchor = firstBillingAnchor({ anchor: { localDateTime: row.anchor_local, zone: row.anchor_zone }, ...(row.trial ? { trial: row.trial } : {}) });
  const anchorMs = DateTime.fromISO(anchor.localDateTime, { zone: anchor.zone }).toMillis();
  const at = (n: number): number => billingInstant(anchor, interval, n).toMillis();
  // The first cycle after the next billing date, guessed from the elapsed time and corrected.
  let n = Math.max(1, Math.floor((nextMs - anchorMs) / step));
  while (n > 1 && at(n - 1) > nextMs) n--;
  while (at(n) <= nextMs) n++;
  const endAt = row.end_at ? new Date(row.end_at).getTime() : Number.POSITIVE_INFINITY;
  for (; ; n++) {
    if (row.end_after_cycles !== null && n >= row.end_after_cycles) break;
    const due = at(n);
    if (due >= untilMs || due >= endAt) break;
    out.push(due);
  }
  return out;
}
