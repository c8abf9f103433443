// What a merchant might write instead of the daemon: a node-cron job that scans PostgreSQL for due
// subscriptions and calls Create Charge with a concurrency limit and the retries the official Node
// SDK *intends* (3 retries after 2, 4 and 8 s on 408/425/429/5xx, the identical request with the
// same idempotency key; the SDK 2.3.4 really sends one request and never retries, see
// docs/amazon-pay-client.md). Like the SDK README, every run of the job uses a fresh UUID key per
// charge, so a charge whose retries ran out is tried again on the next tick under a new key.
import { randomBytes, randomUUID } from 'node:crypto';
import cron from 'node-cron';
import postgres from 'postgres';
import { createAmazonPayClient, type AmazonPayClient } from '../amazonpay/client.js';
import { parseAmazonPayConfig } from '../amazonpay/config.js';
import type { AmazonPayOutcome } from '../amazonpay/outcome-types.js';
import type { Charge } from '../amazonpay/types.js';
import { NO_FAULTS, type FaultConfig } from '../simulator/faults.js';
import type { Quota } from './billing-day.js';
import { checkBillingDay, summariseAttempts, type BillingDayCheck } from './ledger-check.js';
import pMap from 'p-map';
import { createPermissions } from './launch.js';
import { round } from './proc-stats.js';
import type { BenchStack } from './stack.js';

export const SDK_INTENDED_RETRY_DELAYS_MS = [2_000, 4_000, 8_000];
const RETRYABLE_STATUS = new Set([408, 425, 429]);

export interface BaselineOptions {
  subscriptions: number;
  quota: Quota;
  faults?: Partial<FaultConfig>;
  concurrency: number;
  /** SDK_INTENDED_RETRY_DELAYS_MS, or [] for what the SDK 2.3.4 really does. */
  retryDelaysMs?: number[];
  say: (line: string) => void;
}

export interface BaselineResult {
  scenario: 'baseline-cron';
  subscriptions: number;
  quota: Quota;
  faults: Partial<FaultConfig>;
  concurrency: number;
  retryDelaysMs: number[];
  cronTicks: number;
  idealSeconds: number;
  fractionOfIdeal: number | null;
  ledger: BillingDayCheck;
  createChargeAttempts: { total: number; throttled429: number; byOutcome: Record<string, number> };
  /** Calls whose retries ran out (left due for the next tick, new key). */
  gaveUp: number;
  finishedWithinDeadline: boolean;
}

export async function runBaselineBillingDay(stack: BenchStack, options: BaselineOptions): Promise<BaselineResult> {
  const { say, quota } = options;
  const n = options.subscriptions;
  const retryDelaysMs = options.retryDelaysMs ?? SDK_INTENDED_RETRY_DELAYS_MS;
  await stack.control.setThrottle({ table: 'off', overrides: { createCharge: quota } });
  await stack.control.setFaults({ ...NO_FAULTS, ...options.faults });
  const dbName = `baseline_${randomBytes(3).toString('hex')}`;
  const url = await stack.createDatabase(dbName);
  const sql = postgres(url, { max: options.concurrency + 2, onnotice: () => {} });
  const amazonPay = createAmazonPayClient(
    parseAmazonPayConfig({
      publicKeyId: stack.key.publicKeyId,
      privateKey: stack.key.privateKeyPem,
      region: 'na',
      endpoint: stack.simulator.url,
      timeoutMs: 10_000,
    }),
  );
  say(`[baseline] creating ${n} Charge Permissions`);
  const permissions = await createPermissions(stack.control, n);
  await sql`create table merchant_subscriptions (id text primary key, charge_permission_id text not null, amount text not null, next_billing_at timestamptz not null, last_charge_id text, status text not null default 'active')`;
  await sql`create index on merchant_subscriptions (next_billing_at) where status = 'active'`;
  const t0Ms = Math.ceil((Date.now() + 5_000) / 1000) * 1000;
  const rows = permissions.map((cp, i) => ({ id: `m-${i}`, charge_permission_id: cp, amount: '10.00', next_billing_at: new Date(t0Ms) }));
  for (let i = 0; i < rows.length; i += 1000) await sql`insert into merchant_subscriptions ${sql(rows.slice(i, i + 1000))}`;

  let gaveUp = 0;
  let ticks = 0;
  const job = async (): Promise<void> => {
    ticks += 1;
    const due = await sql<{ id: string; charge_permission_id: string; amount: string }[]>`
      select id, charge_permission_id, amount from merchant_subscriptions
      where status = 'active' and next_billing_at <= now() order by next_billing_at limit 2000`;
    await pMap(
      due,
      async (sub) => {
        const outcome = await createChargeWithRetries(amazonPay, sub.charge_permission_id, sub.amount, randomUUID().replace(/-/g, ''), retryDelaysMs);
        if (outcome.kind === 'ok') {
          await sql`update merchant_subscriptions set next_billing_at = next_billing_at + interval '1 year', last_charge_id = ${outcome.body.chargeId} where id = ${sub.id}`;
        } else if (outcome.kind === 'throttled' || outcome.kind === 'transient') {
          gaveUp += 1; // still due: the next tick tries again (new key)
        } else {
          await sql`update merchant_subscriptions set status = 'failed' where id = ${sub.id}`;
        }
      },
      { concurrency: options.concurrency },
    );
  };
  // noOverlap: a tick that finds the previous run still going is skipped (without it, two runs
  // would charge the same due rows at once).
  // Skipped overlapping ticks are the expected steady state here; node-cron warns about each one.
  const quiet = { info() {}, warn() {}, debug() {}, error: (m: string | Error) => say(`[baseline] cron error: ${String(m)}`) };
  const task = cron.schedule('* * * * * *', job, { noOverlap: true, name: 'merchant-billing', logger: quiet });
  const idealSeconds = Math.max(0, (n - quota.burst) / quota.ratePerSecond);
  // The same bound as the daemon's run (bench/billing-day.ts).
  const deadlineMs = t0Ms + 1000 * Math.max(300, 3 * idealSeconds + 120);
  let remaining = n;
  let lastReport = 0;
  try {
    while (Date.now() < deadlineMs) {
      const left = await sql<
        { n: number }[]
      >`select count(*)::int as n from merchant_subscriptions where status = 'active' and next_billing_at <= ${new Date(t0Ms)}`;
      remaining = left[0]?.n ?? 0;
      if (remaining === 0 && Date.now() > t0Ms) break;
      if (Date.now() - lastReport > 10_000 && Date.now() > t0Ms) {
        lastReport = Date.now();
        say(`[baseline]   ${n - remaining}/${n} charged, T0 + ${round((Date.now() - t0Ms) / 1000, 0)} s`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await task.stop();
    await task.destroy();
    // Let an in-flight run finish so its charges are counted (bounded by the retry schedule).
    const until = Date.now() + 30_000;
    while (task.isBusy() && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  }
  say(`[baseline] done; ${remaining} still due`);
  const dueSet = new Set(permissions);
  const ledger = (await stack.control.charges()).filter((c) => dueSet.has(c.chargePermissionId));
  const check = checkBillingDay(ledger, permissions, t0Ms);
  const counts: Record<string, number> = {};
  for (const a of (await stack.control.attempts()).attempts) {
    if (a.chargePermissionId && dueSet.has(a.chargePermissionId)) counts[a.outcome] = (counts[a.outcome] ?? 0) + 1;
  }
  amazonPay.close();
  await sql.end({ timeout: 5 });
  return {
    scenario: 'baseline-cron',
    subscriptions: n,
    quota,
    faults: options.faults ?? {},
    concurrency: options.concurrency,
    retryDelaysMs,
    cronTicks: ticks,
    idealSeconds: round(idealSeconds, 1),
    fractionOfIdeal: check.lastChargeAfterT0Seconds > 0 ? round(idealSeconds / check.lastChargeAfterT0Seconds, 3) : null,
    ledger: check,
    createChargeAttempts: summariseAttempts(counts),
    gaveUp,
    finishedWithinDeadline: remaining === 0,
  };
}

/** The SDK's intended retry loop: the same request (same key) again after each delay on 408/425/429/5xx. */
async function createChargeWithRetries(
  client: AmazonPayClient,
  chargePermissionId: string,
  amount: string,
  idempotencyKey: string,
  delaysMs: number[],
): Promise<AmazonPayOutcome<Charge>> {
  for (let retry = 0; ; retry++) {
    const outcome = await client.createCharge(
      { chargePermissionId, chargeAmount: { amount, currencyCode: 'USD' }, captureNow: true, canHandlePendingAuthorization: false },
      { idempotencyKey },
    );
    const status = 'status' in outcome ? outcome.status : undefined;
    // Like the SDK, a network error (no status) is not retried.
    const retryable = status !== undefined && (RETRYABLE_STATUS.has(status) || status >= 500);
    const delay = delaysMs[retry];
    if (!retryable || delay === undefined) return outcome;
    await new Promise((r) => setTimeout(r, delay));
  }
}
