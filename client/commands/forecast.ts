import { intOption, JSON_OPTION_HELP, str, type Command } from '../cli/command.js';
import { table, toJson } from '../cli/format.js';
import { collectProblems } from '../cli/problems.js';
import { InvalidInputError } from '../errors.js';
import { parseDuration } from '../../config/durations.js';
import { describeChargeRate, perSecond } from '../../billing/capacity.js';
import type { BillingForecast } from '../subscriptions/forecast.js';
import { isIsoInstant } from '../../billing/plan-rules.js';
import { rateLimitsWithinQuota } from '../../devstack/quota-rates.js';
import { THROTTLE_TABLES } from '../../simulator/throttle.js';

export const forecastCommand: Command = {
  name: 'forecast',
  summary: 'charges due per hour for the coming days against what the daemon can send (quota or its measured throughput), and the peaks that will run late',
  positionals: [0, 0],
  options: {
    days: { type: 'string' },
    'warn-after': { type: 'string' },
    from: { type: 'string' },
  },
  help: `Usage: billing forecast [--days n] [--from <ISO instant>] [--warn-after <duration>] [--json]

The billing forecast: for each hour with charges due, how many are due, what the deployment
can send in an hour, the backlog left from earlier hours and the worst lateness of the hour's
charges (the longest wait of one between its due time and when it is sent). Peaks (busy
periods in which a charge waits at least a minute, or --warn-after when that is less) with a
charge sent later than --warn-after after its due time are named, with what helps. Counted:
each active or trialing subscription's next billing date and its later cycles in the window
(on its current schedule, after a plan change too), and past_due subscriptions' scheduled
dunning retries (the cycles that come due meanwhile at the retry); payment_method_required,
needs_attention, unpaid, paused, stopped and finished subscriptions ask for none (nothing is
charged until the buyer or an operator acts); one stopping at period end asks for none after
its last paid cycle.
The rate is the lower of the Create Charge quota (temporal.yaml rateLimits.createChargePerSecond)
— times the share of it the deployment sent on the ledger's last peak the quota held back — and
the daemon's own throughput, measured on the ledger's peaks of the last
billing.yaml forecast.capacityLookback (35 days); where no peak measured it,
forecast.capacityPerSecond when set, else the quota alone. Each charge counts from its due time
plus the wake-up delay measured on that peak. The line "Limit:" says which and why.

Options:
  --days <n>                   days ahead, 1-31 (default 7)
  --from <ISO instant>         start of the window, with Z or an offset (default: now), from
                               1970 to 366 days ahead. A past --from reads the ledger's evidence
                               as it stood then and counts from then what is due now (each
                               subscription's current next billing date; cycles charged since
                               are not replayed). A future --from counts the cycles due in the
                               window, plus the backlog the ones before it really leave
  --warn-after <duration>      warn when a charge of a peak is this late, more than 0: 90s,
                               15m, 2h (default: billing.yaml forecast.warnAfter, 30m)
${JSON_OPTION_HELP}

Examples:
  billing forecast
  billing forecast --days 2 --warn-after 10m
  billing forecast --from 2026-12-01T00:00:00Z --days 1
  billing forecast --json
`,
  async run(ctx, values) {
    const c = collectProblems();
    const days = c.attempt(() => intOption(values, 'days', 1, 31));
    const warnAfterText = str(values, 'warn-after');
    const warnAfterMs = c.attempt(() => {
      if (warnAfterText === undefined) return undefined;
      const ms = parseDuration(warnAfterText);
      if (ms === null) throw InvalidInputError.of('warn-after', `must be a duration such as 90s, 15m or 2h, got ${JSON.stringify(warnAfterText)}`);
      if (ms <= 0) throw InvalidInputError.of('warn-after', `must be more than 0 (a duration such as 90s, 15m or 2h), got ${JSON.stringify(warnAfterText)}`);
      return ms;
    });
    const fromText = str(values, 'from');
    const from = c.attempt(() => {
      if (fromText === undefined) return undefined;
      if (!isIsoInstant(fromText))
        throw InvalidInputError.of('from', `must be an ISO-8601 instant with Z or an offset (2026-12-01T00:00:00Z), got ${JSON.stringify(fromText)}`);
      return new Date(fromText);
    });
    c.throwIfAny();
    const connected = await ctx.connect();
    const { forecastCharges, isLatePeak, minPeakLatenessFor } = await import('../subscriptions/forecast.js');
    // The rate the daemon runs at: `npm run dev` against its simulator lowers temporal.yaml's rate to
    // the simulator's sandbox quota (devstack/quota-rates.ts), and the forecast must use the same one.
    const configured = connected.config.temporal.rateLimits;
    const quotaPerSecond = connected.endpoints.simulator
      ? rateLimitsWithinQuota(configured, THROTTLE_TABLES.sandbox).createChargePerSecond
      : configured.createChargePerSecond;
    const settings = connected.config.billing.forecast;
    const warnAfter = warnAfterMs ?? settings.warnAfter;
    const clock = connected.deps.now();
    const forecast = await forecastCharges(connected.deps.db, {
      ...(days === undefined ? {} : { days }),
      quotaPerSecond,
      capacityPerSecond: settings.capacityPerSecond,
      capacityLookbackMs: settings.capacityLookback,
      now: from ?? clock,
      clock,
      minPeakLatenessSeconds: minPeakLatenessFor(warnAfter),
      // The ledger as it stood at --from when that is past; as it stands now for a day ahead.
      evidenceUntil: new Date(Math.min((from ?? clock).getTime(), clock.getTime())),
    });
    const late = forecast.peaks.filter((p) => isLatePeak(p, warnAfter));
    if (ctx.json) {
      ctx.io.out(toJson({ ...forecast, limit: describeChargeRate(forecast.rate), warnAfterSeconds: warnAfter / 1000, latePeaks: late }));
      return 0;
    }
    ctx.io.out(renderForecast(forecast));
    for (const peak of late) ctx.io.err(`warning: ${describeLatePeak(peak, forecast)}\n`);
    return 0;
  },
};

function renderForecast(forecast: BillingForecast): string {
  const busy = forecast.hours.filter((h) => h.due > 0 || h.backlogAtStart > 0);
  const head =
    `${forecast.totalDue} charge(s) due from ${iso(forecast.from)} to ${iso(forecast.until)}; ${sendRate(forecast)} ` +
    `(${Math.floor(forecast.ratePerSecond * 3600)}/hour)\n${describeChargeRate(forecast.rate)}\n`;
  if (busy.length === 0) return `${head}No charges due.\n`;
  const rows = busy.map((h) => [
    iso(h.hourStart).slice(0, 16).replace('T', ' '),
    String(h.due),
    String(h.capacity),
    String(h.backlogAtStart),
    h.maxLatenessSeconds === null ? '—' : showSeconds(h.maxLatenessSeconds),
  ]);
  const peaks =
    forecast.peaks.length === 0
      ? `No peak: every charge is sent within ${showSeconds(forecast.minPeakLatenessSeconds)} of its due time.\n`
      : `Peaks (the ${forecast.rate.limitedBy === 'quota' ? 'quota holds' : "daemon's throughput holds"} charges back):\n${table(
          ['starts (UTC)', 'charges', 'last sent (UTC)', 'worst lateness'],
          forecast.peaks.map((p) => [iso(p.startsAt).slice(0, 19), String(p.charges), iso(p.finishesAt).slice(0, 19), showSeconds(p.maxLatenessSeconds)]),
        )}`;
  return `${head}${table(['hour (UTC)', 'due', 'sendable/hour', 'backlog', 'worst lateness'], rows)}${peaks}`;
}

/** "quota 2/s", or "the daemon's throughput 26.2/s" when that is the limit. */
function sendRate(forecast: BillingForecast): string {
  return `${forecast.rate.limitedBy === 'quota' ? 'quota' : "the daemon's throughput"} ${perSecond(forecast.ratePerSecond)}/s`;
}

function describeLatePeak(peak: BillingForecast['peaks'][number], forecast: BillingForecast): string {
  const helps =
    forecast.rate.limitedBy === 'quota'
      ? 'ask Amazon Pay for a higher Create Charge quota, or split subscriptions across merchant accounts'
      : 'give the daemon more room (CPU for the worker, Temporal and PostgreSQL; worker replicas; the billing-day tuning in temporal.yaml)';
  return (
    `${peak.charges} charge(s) from ${iso(peak.startsAt).slice(0, 19)} UTC finish at ${iso(peak.finishesAt).slice(0, 19)} UTC, the latest ` +
    `${showSeconds(peak.maxLatenessSeconds)} after it is due (${sendRate(forecast)}). What helps: spread new subscriptions' ` +
    `anchors over the day, or ${helps}.`
  );
}

const iso = (d: Date): string => d.toISOString();

/** A lateness as the dashboard shows it (api/dashboard/app.js age()): s below 2 min, min below 2 h, h below 2 days, then d. */
export function showSeconds(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}
