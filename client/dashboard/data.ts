// What the billing dashboard shows, read from PostgreSQL in one call: subscriptions by status and
// the ones that need a person, money by currency, charge outcomes and billing lag by hour, the
// billing forecast, and the backlogs (IPN inbox, webhook deliveries). Amounts are exact minor
// units (strings) with their currency; the page formats them.
import { sql } from 'drizzle-orm';
import type { BillingInterval, IntervalUnit } from '../../billing/types.js';
import { PAID_CHARGE_STATES } from '../../billing/vocabulary.js';
import type { Database } from '../../db/client.js';
import { AVERAGE_UNIT_MS, forecastCharges, type BillingForecast, type ForecastOptions } from '../subscriptions/forecast.js';
import { LEDGER_SCHEDULE_COLUMNS, ledgerDueTimes, type LedgerScheduleRow } from '../subscriptions/ledger-due.js';

/** The forecast's settings: the quota (temporal.yaml), billing.yaml forecast.capacityPerSecond and capacityLookback, and the lateness from which a busy period is a peak. */
export type ForecastSettings = Pick<ForecastOptions, 'quotaPerSecond' | 'capacityPerSecond' | 'capacityLookbackMs' | 'minPeakLatenessSeconds'>;

/** Statuses that need a person: the dashboard lists these subscriptions one by one. */
export const ATTENTION_STATUSES = ['needs_attention', 'payment_method_required', 'unpaid', 'past_due'] as const;

export interface DashboardOptions {
  now: Date;
  /** The forecast's quota and capacity settings, as `billing forecast` takes them (client/subscriptions/forecast.ts). */
  forecast: ForecastSettings;
  /** The Temporal Web UI and namespace, for links to a subscription's workflow; null: no links. */
  temporalUi: { url: string; namespace: string } | null;
  /** Hours of charge outcomes and lag (default 48). */
  historyHours?: number;
  /** Days of forecast (default 7). */
  forecastDays?: number;
}

export interface AttentionItem {
  subscriptionId: string;
  status: string;
  reason: string | null;
  /** When it entered this status (its latest status event), ISO. */
  since: string;
  ageSeconds: number;
  workflowUrl: string | null;
}

export interface MoneyByCurrency {
  /** The Amazon Pay environment of the subscriptions the row sums (live or sandbox): sandbox money is shown apart, never as revenue. */
  environment: string;
  currency: string;
  /** Minor units, decimal strings: captured since 00:00 UTC today, and since the 1st of this month (UTC). */
  capturedToday: string;
  capturedThisMonth: string;
  refundedThisMonth: string;
  /**
   * Monthly recurring revenue: each active or past_due subscription's amount normalised to a month
   * (30.436875 days), rounded to minor units. One asked to stop at period end still counts until
   * it ends (its period is paid; stopAtPeriodEnd on the subscription says when it ends).
   */
  mrr: string;
}

export interface OutcomeHour {
  hourStart: string;
  captured: number;
  declinedSoft: number;
  declinedHard: number;
  pending: number;
  throttled: number;
  failed: number;
}

export interface LagHour {
  hourStart: string;
  charges: number;
  /** Seconds from the cycle's due time to the first Create Charge attempt's ledger row. */
  averageSeconds: number;
  maxSeconds: number;
}

export interface DashboardData {
  generatedAt: string;
  statuses: Array<{ status: string; count: number }>;
  attention: AttentionItem[];
  money: MoneyByCurrency[];
  outcomes: OutcomeHour[];
  lag: LagHour[];
  forecast: BillingForecast;
  backlogs: {
    ipnInbox: { pending: number; failed: number; oldestPendingSeconds: number | null };
    webhookDeliveries: { pending: number; failed: number; oldestPendingSeconds: number | null };
  };
}

/** Reads everything the dashboard shows. Read-only; about ten queries. */
export async function dashboardData(db: Database, options: DashboardOptions): Promise<DashboardData> {
  const now = options.now;
  const historyHours = options.historyHours ?? 48;
  const [statuses, attention, money, outcomes, lag, forecast, backlogs] = await Promise.all([
    statusCounts(db),
    attentionList(db, options),
    moneyByCurrency(db, now),
    outcomesByHour(db, now, historyHours),
    lagByHour(db, now, historyHours),
    forecastCharges(db, { ...options.forecast, now, days: options.forecastDays ?? 7 }),
    backlogFigures(db, now),
  ]);
  return { generatedAt: now.toISOString(), statuses, attention, money, outcomes, lag, forecast, backlogs };
}

async function statusCounts(db: Database) {
  const rows = await db.execute<{ status: string; count: number }>(
    sql`select status, count(*)::int as count from subscriptions group by status order by status`,
  );
  return rows.map((r) => ({ status: r.status, count: r.count }));
}

async function attentionList(db: Database, options: DashboardOptions): Promise<AttentionItem[]> {
  const rows = await db.execute<{ id: string; workflow_id: string; status: string; status_reason: string | null; since: string }>(sql`
    select s.id, s.workflow_id, s.status, s.status_reason,
      coalesce((select max(e.at) from subscription_events e where e.subscription_id = s.id and e.to_status = s.status), s.updated_at) as since
    from subscriptions s
    where s.status in (${sql.join(
      ATTENTION_STATUSES.map((st) => sql`${st}`),
      sql`, `,
    )})
    order by since asc limit 200`);
  return rows.map((r) => {
    const since = new Date(r.since);
    return {
      subscriptionId: r.id,
      status: r.status,
      reason: r.status_reason,
      since: since.toISOString(),
      ageSeconds: Math.max(0, Math.round((options.now.getTime() - since.getTime()) / 1000)),
      workflowUrl: options.temporalUi
        ? `${options.temporalUi.url.replace(/\/$/, '')}/namespaces/${encodeURIComponent(options.temporalUi.namespace)}/workflows/${encodeURIComponent(r.workflow_id)}`
        : null,
    };
  });
}

const paidStates = sql.raw(`(${PAID_CHARGE_STATES.map((s) => `'${s}'`).join(', ')})`);

async function moneyByCurrency(db: Database, now: Date): Promise<MoneyByCurrency[]> {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  // Each sum per Amazon Pay environment of its subscription: sandbox money is not revenue.
  const captured = await db.execute<{ environment: string; currency: string; today: string; month: string }>(sql`
    select s.environment, c.currency,
      coalesce(sum(c.amount_minor) filter (where c.completed_at >= ${day}::timestamptz), 0)::text as today,
      coalesce(sum(c.amount_minor), 0)::text as month
    from charges c join subscriptions s on s.id = c.subscription_id
    where c.state = 'Captured' and c.completed_at >= ${month}::timestamptz group by s.environment, c.currency`);
  const refunded = await db.execute<{ environment: string; currency: string; month: string }>(sql`
    select s.environment, r.currency, coalesce(sum(r.amount_minor), 0)::text as month
    from refunds r join subscriptions s on s.id = r.subscription_id
    where r.state = 'Refunded' and coalesce(r.resolved_at, r.updated_at) >= ${month}::timestamptz group by s.environment, r.currency`);
  const plans = await db.execute<{ environment: string; currency: string; amount_minor: string; interval_unit: string; interval_count: number }>(sql`
    select environment, currency, amount_minor::text, interval_unit, interval_count from subscriptions where status in ('active', 'past_due')`);
  const rows = new Map<string, MoneyByCurrency>();
  const entry = (environment: string, currency: string): MoneyByCurrency => {
    const key = `${environment} ${currency.trim()}`;
    let e = rows.get(key);
    if (!e) rows.set(key, (e = { environment, currency: currency.trim(), capturedToday: '0', capturedThisMonth: '0', refundedThisMonth: '0', mrr: '0' }));
    return e;
  };
  for (const r of captured) Object.assign(entry(r.environment, r.currency), { capturedToday: r.today, capturedThisMonth: r.month });
  for (const r of refunded) entry(r.environment, r.currency).refundedThisMonth = r.month;
  const plansOf = new Map<MoneyByCurrency, Array<{ amountMinor: bigint; interval: BillingInterval }>>();
  for (const p of plans) {
    const e = entry(p.environment, p.currency);
    plansOf.set(e, [
      ...(plansOf.get(e) ?? []),
      { amountMinor: BigInt(p.amount_minor), interval: { unit: p.interval_unit as IntervalUnit, count: p.interval_count } },
    ]);
  }
  for (const [e, of] of plansOf) e.mrr = monthlyRecurringMinor(of).toString();
  // Live money first, then sandbox; by currency within each.
  return [...rows.values()].sort((a, b) => environmentOrder(a.environment) - environmentOrder(b.environment) || a.currency.localeCompare(b.currency));
}

const environmentOrder = (environment: string): number => (environment === 'live' ? 0 : 1);

/** A non-negative fraction of minor units. */
interface Fraction {
  num: bigint;
  den: bigint;
}

/** An amount billed every `interval`, as an exact monthly amount (an average month: 365.2425 / 12 days) in minor units. */
function monthlyFraction(amountMinor: bigint, interval: BillingInterval): Fraction {
  return { num: amountMinor * BigInt(AVERAGE_UNIT_MS.month), den: BigInt(AVERAGE_UNIT_MS[interval.unit]) * BigInt(interval.count) };
}

function addFractions(a: Fraction, b: Fraction): Fraction {
  const num = a.num * b.den + b.num * a.den;
  const den = a.den * b.den;
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

const roundHalfUp = (f: Fraction): bigint => (f.num * 2n + f.den) / (f.den * 2n);

/**
 * Monthly recurring revenue in minor units: each plan's amount normalised to an average month,
 * summed exactly and rounded half up once (rounding each plan would drift with their number).
 */
export function monthlyRecurringMinor(plans: ReadonlyArray<{ amountMinor: bigint; interval: BillingInterval }>): bigint {
  return roundHalfUp(plans.reduce<Fraction>((sum, p) => addFractions(sum, monthlyFraction(p.amountMinor, p.interval)), { num: 0n, den: 1n }));
}

async function outcomesByHour(db: Database, now: Date, hours: number): Promise<OutcomeHour[]> {
  const since = new Date(now.getTime() - hours * 3_600_000).toISOString();
  const rows = await db.execute<{ hour: string; captured: number; soft: number; hard: number; pending: number; throttled: number; failed: number }>(sql`
    select date_trunc('hour', requested_at) as hour,
      count(*) filter (where state in ${paidStates})::int as captured,
      count(*) filter (where outcome = 'soft_decline')::int as soft,
      count(*) filter (where outcome = 'hard_decline' or state = 'Declined')::int as hard,
      count(*) filter (where state in ('pending', 'AuthorizationInitiated') and outcome is distinct from 'throttled')::int as pending,
      count(*) filter (where outcome = 'throttled')::int as throttled,
      count(*) filter (where state in ('failed', 'Canceled') or (state = 'Refused' and outcome not in ('soft_decline', 'hard_decline')))::int as failed
    from charges where requested_at >= ${since}::timestamptz group by 1 order by 1`);
  return rows.map((r) => ({
    hourStart: new Date(r.hour).toISOString(),
    captured: r.captured,
    declinedSoft: r.soft,
    declinedHard: r.hard,
    pending: r.pending,
    throttled: r.throttled,
    failed: r.failed,
  }));
}

/**
 * Lag of each cycle's first attempt: its ledger row's time minus the cycle's due time, computed
 * from the subscription's anchor (client/subscriptions/ledger-due.ts; subscriptions whose plan
 * changed are left out).
 */
async function lagByHour(db: Database, now: Date, hours: number): Promise<LagHour[]> {
  const since = new Date(now.getTime() - hours * 3_600_000).toISOString();
  const rows = await db.execute<LedgerScheduleRow & { requested_at: string }>(sql`
    select c.requested_at, ${LEDGER_SCHEDULE_COLUMNS}
    from charges c join subscriptions s on s.id = c.subscription_id
    where c.requested_at >= ${since}::timestamptz and c.attempt = 1`);
  const dueOf = ledgerDueTimes();
  const buckets = new Map<string, { n: number; sum: number; max: number }>();
  for (const r of rows) {
    const due = dueOf(r);
    if (due === null) continue;
    const lag = Math.max(0, (new Date(r.requested_at).getTime() - due) / 1000);
    const hour = new Date(Math.floor(due / 3_600_000) * 3_600_000).toISOString();
    const b = buckets.get(hour) ?? { n: 0, sum: 0, max: 0 };
    b.n += 1;
    b.sum += lag;
    b.max = Math.max(b.max, lag);
    buckets.set(hour, b);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([hourStart, b]) => ({ hourStart, charges: b.n, averageSeconds: Math.round((b.sum / b.n) * 10) / 10, maxSeconds: Math.round(b.max * 10) / 10 }));
}

async function backlogFigures(db: Database, now: Date): Promise<DashboardData['backlogs']> {
  const [ipn] = await db.execute<{ pending: number; failed: number; oldest: string | null }>(sql`
    select count(*) filter (where status in ('pending', 'dispatched'))::int as pending, count(*) filter (where status = 'failed')::int as failed,
      min(received_at) filter (where status in ('pending', 'dispatched')) as oldest
    from ipn_inbox`);
  const [hooks] = await db.execute<{ pending: number; failed: number; oldest: string | null }>(sql`
    select count(*) filter (where status = 'pending')::int as pending, count(*) filter (where status = 'failed')::int as failed,
      min(created_at) filter (where status = 'pending') as oldest
    from webhook_deliveries`);
  const age = (oldest: string | null | undefined): number | null =>
    oldest ? Math.max(0, Math.round((now.getTime() - new Date(oldest).getTime()) / 1000)) : null;
  return {
    ipnInbox: { pending: ipn?.pending ?? 0, failed: ipn?.failed ?? 0, oldestPendingSeconds: age(ipn?.oldest) },
    webhookDeliveries: { pending: hooks?.pending ?? 0, failed: hooks?.failed ?? 0, oldestPendingSeconds: age(hooks?.oldest) },
  };
}
