// The billing forecast from the database: every charge the subscriptions will ask for in the
// coming days, fed to billing/forecast.ts at the rate the deployment can send: the lower of the
// Create Charge quota and the daemon's own throughput measured on the ledger (billing/capacity.ts).
import { sql } from 'drizzle-orm';
import { chargeRate, type ChargeRate } from '../../billing/capacity.js';
import { DEFAULT_MIN_PEAK_LATENESS_SECONDS, forecastBillingDays, type Forecast, type ForecastPeak } from '../../billing/forecast.js';
import type { Database } from '../../db/client.js';
import { InvalidInputError } from '../errors.js';
import { ledgerCapacityEvidence } from './capacity-evidence.js';
import { addRowCharges, type DueCharges, type DueRow } from './forecast-cycles.js';

export { AVERAGE_UNIT_MS } from './forecast-cycles.js';

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
  /**
   * The clock's time (default `now`). A window that starts later (a planned day ahead) is
   * simulated from the clock, so it holds only the cycles due in it plus the backlog the cycles
   * before it really leave; cycles overdue at the clock count as due then.
   */
  clock?: Date;
  /** The ledger's evidence is read up to this instant (default `now`; the clock's time when `now` is a planned day ahead). */
  evidenceUntil?: Date;
  /** A busy period is a peak when one of its charges is at least this late (seconds, default 60; see minPeakLatenessFor). */
  minPeakLatenessSeconds?: number;
}

/** The forecast with the rate it ran at and why (quota or the daemon's measured capacity). */
export interface BillingForecast extends Forecast {
  rate: ChargeRate;
}

/**
 * Whether a peak holds a charge that goes out more than `warnAfterMs` after it is due: what
 * `billing forecast` warns about and the dashboard marks (billing.yaml forecast.warnAfter, default 30 min).
 */
export function isLatePeak(peak: Pick<ForecastPeak, 'maxLatenessSeconds'>, warnAfterMs: number): boolean {
  return peak.maxLatenessSeconds * 1000 > warnAfterMs;
}

/**
 * The lateness (seconds) from which a busy period is a peak, for a warning threshold of
 * `warnAfterMs`: a minute, or less when the warning threshold is lower — a peak the warning
 * would name is never dropped before the warning sees it.
 */
export function minPeakLatenessFor(warnAfterMs: number): number {
  return Math.min(DEFAULT_MIN_PEAK_LATENESS_SECONDS, warnAfterMs / 1000);
}

export const MAX_FORECAST_DAYS = 31;
/** How far after the clock a forecast window may start: a year ahead (it is simulated from the clock). */
export const MAX_FORECAST_AHEAD_DAYS = 366;
export const DEFAULT_CAPACITY_LOOKBACK_MS = 35 * 86_400_000;

/**
 * Charges due in [now, now + days) (client/subscriptions/forecast-cycles.ts addRowCharges):
 * each active or trialing subscription's current cycle and its later cycles on its current
 * schedule segment, before its end; a past_due subscription's scheduled retry (and the cycles
 * that come due meanwhile at it, later ones at their time) and nothing before it. Statuses in
 * which the workflow charges nothing until a person acts — payment_method_required (the buyer),
 * needs_attention and unpaid (an operator's resume) — and paused, final and stop-requested
 * subscriptions ask for nothing; one stopping at period end asks for none after its last paid cycle. A window after `clock` is simulated from the clock (cycles due
 * before the window only leave the backlog they really would). They are sent at the lower of
 * the quota and the daemon's capacity (billing/capacity.ts chargeRate) — measured on the
 * ledger's peaks of the lookback before `evidenceUntil`, else `capacityPerSecond` when set.
 * Throws InvalidInputError for days outside 1–31, or a window that starts more than
 * MAX_FORECAST_AHEAD_DAYS after the clock or before 1970.
 */
export async function forecastCharges(db: Database, options: ForecastOptions): Promise<BillingForecast> {
  const days = options.days ?? 7;
  if (!Number.isInteger(days) || days < 1 || days > MAX_FORECAST_DAYS)
    throw InvalidInputError.of('days', `must be a whole number from 1 to ${MAX_FORECAST_DAYS}, got ${String(days)}`);
  const from = options.now;
  const clock = options.clock ?? from;
  const latest = clock.getTime() + MAX_FORECAST_AHEAD_DAYS * 86_400_000;
  if (!(from.getTime() >= 0 && from.getTime() <= latest))
    throw InvalidInputError.of(
      'from',
      `must be an instant from 1970-01-01T00:00:00Z to ${MAX_FORECAST_AHEAD_DAYS} days after now (${new Date(latest).toISOString()}), got ${Number.isFinite(from.getTime()) ? from.toISOString() : 'an invalid date'}`,
    );
  const simulateFrom = new Date(Math.min(clock.getTime(), from.getTime()));
  const until = new Date(from.getTime() + days * 86_400_000);
  const evidenceUntil = options.evidenceUntil ?? from;
  const evidenceWindow = { from: new Date(evidenceUntil.getTime() - (options.capacityLookbackMs ?? DEFAULT_CAPACITY_LOOKBACK_MS)), until: evidenceUntil };
  const rate = chargeRate({
    quotaPerSecond: options.quotaPerSecond,
    evidence: await ledgerCapacityEvidence(db, evidenceWindow),
    configuredCapacityPerSecond: options.capacityPerSecond ?? null,
    evidenceWindow,
  });
  // past_due: the workflow sleeps until the nextRetryAt of its latest dunning step or monthly-cap
  // wait; later past_due events without one (a resume after a pause, a failed call's recovery) keep it.
  const rows = await db.execute<DueRow>(sql`
    select s.status, s.next_billing_at, s.anchor_local, s.anchor_zone, s.anchor_day_of_month, s.interval_unit, s.interval_count, s.end_after_cycles, s.end_at, s.period_end_stop_after_cycle, s.current_cycle, s.trial, s.first_charge_id,
      case when s.status = 'past_due' then (
        select e.detail->>'nextRetryAt' from subscription_events e
        where e.subscription_id = s.id and e.to_status = 'past_due' and e.detail ? 'nextRetryAt'
        order by e.id desc limit 1
      ) end as retry_at,
      exists (select 1 from subscription_events e where e.subscription_id = s.id and e.reason_code = 'plan_changed' and e.detail ? 'interval') as interval_changed
    from subscriptions s
    where s.status in ('active', 'trialing', 'past_due')
      and s.stop_requested_at is null
      and (s.next_billing_at < ${until.toISOString()}::timestamptz or s.next_billing_at is null or s.status = 'past_due')`);
  const dueAt: DueCharges = [];
  const memo = new Map();
  for (const row of rows) addRowCharges(row, until.getTime(), dueAt, memo);
  const forecast = forecastBillingDays({
    dueAtMs: dueAt,
    from,
    until,
    simulateFrom,
    ratePerSecond: rate.ratePerSecond,
    wakeUpSeconds: rate.wakeUpSeconds,
    ...(options.minPeakLatenessSeconds === undefined ? {} : { minPeakLatenessSeconds: options.minPeakLatenessSeconds }),
  });
  return { ...forecast, rate };
}
