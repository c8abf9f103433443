// `billing forecast` and client/subscriptions/forecast.ts on PostgreSQL: which subscriptions ask
// for charges in the window, later cycles from the anchor, dunning retries, the rate learned from
// the ledger's peaks, and the CLI's output.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forecastCharges } from '../../client/subscriptions/forecast.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';

const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
const now = new Date('2026-12-01T00:00:00Z');

describe('billing forecast', () => {
  let database: TestDatabase;
  let dir: string;
  const subscription = (
    id: string,
    fields: {
      status?: string;
      next: string | null;
      unit?: string;
      count?: number;
      anchor?: string;
      zone?: string;
      endAfter?: number;
      stop?: boolean;
      trial?: object;
    },
  ) => database.sql`
    insert into subscriptions (id, workflow_id, charge_permission_id, environment, status, amount_minor, currency, interval_unit, interval_count,
      anchor_local, anchor_zone, next_billing_at, end_after_cycles, stop_requested_at, trial)
    values (${id}, ${`subscription-${id}`}, 'S01-0000001-0000001', 'sandbox', ${fields.status ?? 'active'}, 1400, 'USD', ${fields.unit ?? 'month'},
      ${fields.count ?? 1}, ${fields.anchor ?? '2026-01-01T09:00:00'}, ${fields.zone ?? 'UTC'}, ${fields.next}, ${fields.endAfter ?? null},
      ${fields.stop ? now.toISOString() : null}, ${fields.trial ? JSON.stringify(fields.trial) : null}::jsonb)`;

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'billing-forecast-'));
    // Monthly on the 1st at 09:00 UTC: one charge in the week.
    await subscription('monthly', { next: '2026-12-01T09:00:00Z' });
    // Daily at 02:30 New York (07:30 UTC in December): 7 charges, computed from the anchor.
    await subscription('daily', { next: '2026-12-01T07:30:00Z', unit: 'day', anchor: '2026-03-01T02:30:00', zone: 'America/New_York' });
    // Daily but ending after cycle 276 (due 2026-12-02): 2 charges.
    await subscription('daily-ending', { next: '2026-12-01T07:30:00Z', unit: 'day', anchor: '2026-03-01T02:30:00', zone: 'America/New_York', endAfter: 277 });
    // A 7-day trial, then weekly: cycle 0 at the trial's end (2026-11-24 10:00), cycle 1 on 2026-12-01 10:00, cycle 2 on 12-08 (outside).
    await subscription('trial-weekly', { next: '2026-12-01T10:00:00Z', unit: 'week', anchor: '2026-11-17T10:00:00', trial: { unit: 'day', count: 7 } });
    // past_due with a retry on 2026-12-02 12:00 and its next cycle next month.
    await subscription('past-due', { status: 'past_due', next: '2027-01-01T09:00:00Z' });
    await database.sql`insert into subscription_events (subscription_id, from_status, to_status, reason_code, cycle, detail)
      values ('past-due', 'active', 'past_due', 'SoftDeclined', 3, ${JSON.stringify({ nextRetryAt: '2026-12-02T12:00:00.000Z' })}::jsonb)`;
    // A later event without a retry time (a failed call that recovered) leaves the retry as it was.
    await database.sql`insert into subscription_events (subscription_id, from_status, to_status, reason_code, cycle, detail)
      values ('past-due', 'past_due', 'past_due', 'SoftDeclined', 3, ${JSON.stringify({ recoveredFrom: 'recordStatus' })}::jsonb)`;
    // None of these ask for a charge: paused, canceled, stop requested, due after the window.
    await subscription('paused', { status: 'paused', next: '2026-12-01T09:00:00Z' });
    await subscription('canceled', { status: 'canceled', next: '2026-12-01T09:00:00Z' });
    await subscription('stopping', { next: '2026-12-01T09:00:00Z', stop: true });
    await subscription('later', { next: '2026-12-20T09:00:00Z' });
    // In dunning as the workflow writes it: next_billing_at is the declined cycle's (2026-11-30 08:00,
    // daily cycle 333), the retry 12-02 10:00 charges it and the cycles of 12-01 and 12-02 08:00; then 12-03…12-07 at 08:00.
    await subscription('dunning-daily', { status: 'past_due', next: '2026-11-30T08:00:00Z', unit: 'day', anchor: '2026-01-01T08:00:00' });
    await database.sql`update subscriptions set current_cycle = 333 where id = 'dunning-daily'`;
    await database.sql`insert into subscription_events (subscription_id, from_status, to_status, reason_code, cycle, detail)
      values ('dunning-daily', 'active', 'past_due', 'SoftDeclined', 333, ${JSON.stringify({ nextRetryAt: '2026-12-02T10:00:00.000Z', dunningStep: 1 })}::jsonb)`;
    // Monthly from 2026-01-28 (a Wednesday) 11:00, changed to weekly from cycle 10 (2026-11-28, a Saturday):
    // the workflow bills 12-05 and 12-12 11:00, not the Wednesdays of the original anchor.
    await subscription('changed', { next: '2026-12-05T11:00:00Z', unit: 'week', anchor: '2026-01-28T11:00:00' });
    await database.sql`update subscriptions set current_cycle = 11 where id = 'changed'`;
    await database.sql`insert into subscription_events (subscription_id, from_status, to_status, reason_code, cycle, detail)
      values ('changed', 'active', 'active', 'plan_changed', 10, ${JSON.stringify({ interval: { unit: 'week', count: 1 } })}::jsonb)`;
    // Waiting for a person: the workflow charges nothing until the buyer fixes the payment method or an operator resumes.
    await subscription('pm-required', { status: 'payment_method_required', next: '2026-11-28T09:00:00Z' });
    await subscription('attention', { status: 'needs_attention', next: '2026-11-28T09:00:00Z' });
    await subscription('unpaid', { status: 'unpaid', next: '2026-11-28T09:00:00Z' });
    // Stopping at period end (subscriptions.period_end_stop_after_cycle): the daily one bills cycles
    // 275 (12-01) and 276 (12-02) and ends; the monthly one waits for cycle 11, which it will not bill.
    await subscription('daily-stopping', { next: '2026-12-01T07:30:00Z', unit: 'day', anchor: '2026-03-01T02:30:00', zone: 'America/New_York' });
    await database.sql`update subscriptions set current_cycle = 275, period_end_stop_requested_at = ${now.toISOString()}, period_end_stop_after_cycle = 276 where id = 'daily-stopping'`;
    await subscription('monthly-stopping', { next: '2026-12-01T09:00:00Z' });
    await database.sql`update subscriptions set current_cycle = 11, period_end_stop_requested_at = ${now.toISOString()}, period_end_stop_after_cycle = 10 where id = 'monthly-stopping'`;
    // Just started: its workflow has not written a next billing date yet; due at cycle 0 from its anchor.
    await subscription('starting', { next: null, anchor: '2026-12-04T18:00:00' });
  });
  afterAll(async () => {
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts next billing dates, later cycles from the anchor (DST-proof), ends, stops at period end, trials and dunning retries; nothing else', async () => {
    const f = await forecastCharges(database.db, { quotaPerSecond: 1, now });
    const dueHours = f.hours.filter((h) => h.due > 0).map((h) => `${h.hourStart.toISOString().slice(5, 13)}×${h.due}`);
    expect(dueHours).toEqual([
      '12-01T07×3', // daily + daily-ending + daily-stopping
      '12-01T09×1', // monthly
      '12-01T10×1', // trial-weekly cycle 1
      '12-02T07×3', // daily + daily-ending's and daily-stopping's last cycles
      '12-02T10×3', // dunning-daily's retry: the declined cycle and the two due meanwhile
      '12-02T12×1', // past-due retry
      '12-03T07×1',
      '12-03T08×1', // dunning-daily
      '12-04T07×1',
      '12-04T08×1',
      '12-04T18×1', // starting, from its anchor
      '12-05T07×1',
      '12-05T08×1',
      '12-05T11×1', // changed: its current cycle (not 12-02 or 12-09, the original anchor's Wednesdays)
      '12-06T07×1',
      '12-06T08×1',
      '12-07T07×1',
      '12-07T08×1',
    ]);
    expect(f.totalDue).toBe(24);
    const fortnight = await forecastCharges(database.db, { quotaPerSecond: 1, now, days: 14 });
    expect(fortnight.hours.filter((h) => h.hourStart.getUTCHours() === 11 && h.due > 0).map((h) => h.hourStart.toISOString().slice(5, 10))).toEqual([
      '12-05',
      '12-12',
    ]);
    await expect(forecastCharges(database.db, { quotaPerSecond: 1, now, days: 0 })).rejects.toThrow(/days must be a whole number from 1 to 31, got 0/);
  });

  it('a window that starts days ahead holds only the cycles due in it, not every cycle from now to its start piled up at its start', async () => {
    const ahead = await forecastCharges(database.db, { quotaPerSecond: 1, now: new Date('2026-12-05T00:00:00Z'), clock: now, days: 1 });
    const dueHours = ahead.hours.filter((h) => h.due > 0).map((h) => `${h.hourStart.toISOString().slice(5, 13)}×${h.due}`);
    expect(dueHours).toEqual(['12-05T07×1', '12-05T08×1', '12-05T11×1']); // daily, dunning-daily, changed: the cycles of 12-01 to 12-04 were charged on time
    expect(ahead.hours[0]!.backlogAtStart).toBe(0);
    expect(ahead.peaks).toEqual([]);
    await expect(forecastCharges(database.db, { quotaPerSecond: 1, now: new Date('2028-12-05T00:00:00Z'), clock: now })).rejects.toThrow(
      /^from must be an instant from 1970-01-01T00:00:00Z to 366 days after now \(2027-12-02T00:00:00.000Z\), got 2028-12-05T00:00:00.000Z$/,
    );
  });

  it('the CLI prints the table, names a late peak with what helps, and refuses bad options in one line', async () => {
    // 2,000 charges due at once at 2/s: the last waits (2000 - 2) / 2 s ≈ 17 min.
    await database.sql`insert into subscriptions (id, workflow_id, charge_permission_id, environment, status, amount_minor, currency, interval_unit, interval_count, anchor_local, anchor_zone, next_billing_at)
      select 'bulk-' || g, 'subscription-bulk-' || g, 'S01-0000001-0000001', 'sandbox', 'active', 1400, 'USD', 'month', 1, '2026-01-03T09:00:00', 'UTC', '2026-12-03T09:00:00Z'
      from generate_series(1, 2000) g`;
    const temporalYaml = join(dir, 'temporal.yaml');
    await writeFile(temporalYaml, 'rateLimits:\n  createChargePerSecond: 2\n');
    const base = { DATABASE_URL: database.url, BILLING_TEMPORAL_CONFIG: temporalYaml, BILLING_DATA_DIR: join(dir, 'data') };
    // A real Amazon Pay account's settings: temporal.yaml's rate as it is.
    const run = (args: string[]) => cli([...args, '--from', now.toISOString()], { ...base, AMAZON_PAY_REGION: 'na', AMAZON_PAY_ENVIRONMENT: 'sandbox' });
    const [text, quiet, json, bad, devStack, farFrom, zeroWarn] = await Promise.all([
      run(['forecast', '--warn-after', '10m']),
      run(['forecast', '--warn-after', '1h']),
      run(['forecast', '--json', '--days', '3']),
      run(['forecast', '--days', '40', '--warn-after', 'soon']),
      // No AMAZON_PAY_*: the dev stack's simulator, whose sandbox quota (1/s) `npm run dev` caps the daemon at.
      cli(['forecast', '--from', now.toISOString()], base),
      cli(['forecast', '--from', '9999-12-31T00:00:00Z', '--days', '31'], base),
      cli(['forecast', '--warn-after', '0s'], base),
    ]);
    expect(farFrom.code).toBe(2);
    expect(farFrom.stderr).toMatch(
      /^error: --from must be an instant from 1970-01-01T00:00:00Z to 366 days after now \(\d{4}-[^)]*\), got 9999-12-31T00:00:00.000Z\n$/,
    );
    expect(zeroWarn.code).toBe(2);
    expect(zeroWarn.stderr).toBe('error: --warn-after must be more than 0 (a duration such as 90s, 15m or 2h), got "0s"\n');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^2024 charge\(s\) due from 2026-/);
    expect(text.stdout).toMatch(/2026-12-03 09:00\s+2000\s+7200\s+0\s+17 min/);
    expect(text.stderr).toMatch(
      /^warning: 2000 charge\(s\) from 2026-12-03T09:00:00 UTC finish at 2026-12-03T09:16:39 UTC, the latest 17 min after it is due \(quota 2\/s\)\. What helps: /,
    );
    expect(quiet.stderr).toBe('');
    const parsed = JSON.parse(json.stdout) as { totalDue: number; peaks: unknown[]; latePeaks: unknown[]; warnAfterSeconds: number };
    expect(parsed.totalDue).toBe(2014); // 3 days: daily ×3, daily-ending ×2, daily-stopping ×2, monthly, trial-weekly, the retry, dunning-daily ×4 (retry ×3 + 12-03), the bulk (not 'starting')
    expect(parsed.peaks).toHaveLength(1);
    expect(parsed.warnAfterSeconds).toBe(1800);
    expect(devStack.stdout).toContain('quota 1/s (3600/hour)');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(
      /^error: --days must be a whole number from 1 to 31, got "40"; --warn-after must be a duration such as 90s, 15m or 2h, got "soon"/,
    );
  });

  it('a peak in the ledger that the daemon held back to 25/s under a quota of 50/s: the forecast runs at 25/s and says so', async () => {
    // Last month's billing day: 1,500 monthly subscriptions due 2026-11-03 09:00 UTC (cycle 1 of
    // their anchor), sent one every 40 ms from 200 ms after they were due, under a rate limit of 50/s.
    await database.sql`insert into subscriptions (id, workflow_id, charge_permission_id, environment, status, amount_minor, currency, interval_unit, interval_count, anchor_local, anchor_zone, next_billing_at)
      select 'peak-' || g, 'subscription-peak-' || g, 'S01-0000001-0000001', 'sandbox', 'canceled', 1400, 'USD', 'month', 1, '2026-10-03T09:00:00', 'UTC', null
      from generate_series(1, 1500) g`;
    await database.sql`insert into charges (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, charge_id, state, outcome, requested_at, completed_at, rate_limit_per_second)
      select 'peak-' || g, 1, 1, 'key-peak-' || g, 1400, 'USD', 'S01-0000001-0000001-C' || lpad(g::text, 6, '0'), 'Captured', 'ok',
        '2026-11-03T09:00:00Z'::timestamptz + make_interval(secs => 0.2 + (g - 1) * 0.04),
        '2026-11-03T09:00:00Z'::timestamptz + make_interval(secs => 0.5 + (g - 1) * 0.04), 50
      from generate_series(1, 1500) g`;
    // This month's launch: 2,500 due at once on 2026-12-05 12:00 UTC.
    await database.sql`insert into subscriptions (id, workflow_id, charge_permission_id, environment, status, amount_minor, currency, interval_unit, interval_count, anchor_local, anchor_zone, next_billing_at)
      select 'launch-' || g, 'subscription-launch-' || g, 'S01-0000001-0000001', 'sandbox', 'active', 1400, 'USD', 'month', 1, '2026-01-05T12:00:00', 'UTC', '2026-12-05T12:00:00Z'
      from generate_series(1, 2500) g`;
    const launchHour = (f: Awaited<ReturnType<typeof forecastCharges>>) => f.hours.find((h) => h.hourStart.toISOString() === '2026-12-05T12:00:00.000Z')!;

    const learned = await forecastCharges(database.db, { quotaPerSecond: 50, now });
    expect(learned.rate).toMatchObject({ quotaPerSecond: 50, capacitySource: 'ledger', limitedBy: 'capacity' });
    expect(learned.rate.evidence).toMatchObject({ limitedBy: 'daemon', rateLimitPerSecond: 50, startsAt: new Date('2026-11-03T09:00:05Z') });
    expect(learned.ratePerSecond).toBeCloseTo(25, 0);
    expect(launchHour(learned)).toMatchObject({ due: 2500, capacity: Math.floor(learned.ratePerSecond * 3600) });
    // The peak's first send 0.2 s after due and no burst, against the model's one second's worth at
    // once: it finished about 1.2 s after the model, which every charge now counts from.
    expect(learned.rate.wakeUpSeconds).toBeGreaterThan(0.9);
    expect(learned.rate.wakeUpSeconds).toBeLessThan(1.4);
    expect(launchHour(learned).maxLatenessSeconds).toBeCloseTo(learned.rate.wakeUpSeconds + (2500 - learned.ratePerSecond) / learned.ratePerSecond, 3); // ≈ 100 s, not 49 s at the quota

    // A quota below what the daemon sustained: the quota is the limit.
    expect((await forecastCharges(database.db, { quotaPerSecond: 4, now })).rate).toMatchObject({
      ratePerSecond: 4,
      limitedBy: 'quota',
      capacitySource: 'ledger',
    });
    // The peak older than the lookback: no evidence, the quota alone (or the configured capacity).
    const lookback = { quotaPerSecond: 50, now, capacityLookbackMs: 86_400_000 };
    expect((await forecastCharges(database.db, lookback)).rate).toMatchObject({ ratePerSecond: 50, evidence: null, limitedBy: 'quota' });
    expect((await forecastCharges(database.db, { ...lookback, capacityPerSecond: 10 })).rate).toMatchObject({
      ratePerSecond: 10,
      capacitySource: 'configured',
    });

    // The CLI says which limit applied and from what evidence, and what helps against it.
    const temporalYaml = join(dir, 'temporal-50.yaml');
    await writeFile(temporalYaml, 'rateLimits:\n  createChargePerSecond: 50\n');
    const billingYaml = join(dir, 'billing-capacity.yaml');
    await writeFile(billingYaml, 'forecast:\n  capacityPerSecond: 10\n  capacityLookback: 1h\n');
    const env = {
      DATABASE_URL: database.url,
      BILLING_TEMPORAL_CONFIG: temporalYaml,
      BILLING_DATA_DIR: join(dir, 'data'),
      AMAZON_PAY_REGION: 'na',
      AMAZON_PAY_ENVIRONMENT: 'sandbox',
    };
    const args = ['forecast', '--from', now.toISOString(), '--days', '7', '--warn-after', '1m'];
    const [text, json, configured] = await Promise.all([cli(args, env), cli([...args, '--json'], env), cli(args, { ...env, BILLING_CONFIG: billingYaml })]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/; the daemon's throughput 25\/s \(90000\/hour\)\n/);
    expect(text.stdout).toContain(
      "Limit: the daemon's own throughput, 25 charges/s, measured: 25 charges/s over 55 s from 2026-11-03T09:00:05Z (1375 charges, its quota then 50/s); the quota is 50/s.",
    );
    expect(text.stdout).toMatch(/2026-12-05 12:00\s+2500\s+90000\s+0\s+100 s/); // 100 s: seconds below 2 min, as the dashboard writes it
    expect(text.stderr).toMatch(
      /^warning: 2500 charge\(s\) from 2026-12-05T12:00:00 UTC finish at 2026-12-05T12:01:40 UTC, .*What helps: .*give the daemon more room/m,
    );
    const parsed = JSON.parse(json.stdout) as { ratePerSecond: number; rate: { limitedBy: string; evidence: { charges: number } }; limit: string };
    expect(parsed.rate).toMatchObject({ limitedBy: 'capacity', evidence: { charges: 1375 } });
    expect(parsed.limit).toMatch(/^Limit: the daemon's own throughput/);
    expect(configured.stdout).toContain(
      "Limit: the daemon's throughput as configured, 10 charges/s (billing.yaml forecast.capacityPerSecond); no peak in the ledger's last 0 days measured",
    );
  });

  function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [join(PROJECT_ROOT, 'client/bin.js'), ...args], {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    });
  }
});
