// `billing import` of a CSV with good and bad rows, then `billing export` of what it made.
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORTED_CURRENCIES } from '../../billing/money.js';
import type { SubscriptionView } from '../../client/subscriptions/views.js';
import { SUBSCRIPTION_COLUMNS } from '../../client/commands/export.js';
import { listCharges } from '../../db/queries/charges.js';
import { subscriptions } from '../../db/schema/index.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { startCliHarness, type CliHarness } from '../support/cli-harness.js';

describe('billing CLI: import and export', () => {
  let h: BillingHarness;
  let cli: CliHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
    cli = await startCliHarness(h);
  });
  afterAll(async () => {
    await cli?.close();
    await h?.close();
  });

  it('starts the good rows of a CSV, reports each bad row with its line and reason, and is idempotent', async () => {
    const cps = await Promise.all([1, 2, 3, 4].map(() => h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })));
    const [a, b, c, closed] = cps.map((x) => x.chargePermission.chargePermissionId);
    await h.control.closeChargePermission(closed!, 'buyer');
    const csv = [
      'id,charge_permission_id,amount,currency,interval,anchor,zone',
      `imp-1,${a},14.00,USD,month,2099-01-31T09:00,America/New_York`,
      `imp-bad-cp,S01-12,14.00,USD,month,2099-01-31T09:00,UTC`,
      `imp-2,${b},9.50,USD,2 weeks,2099-02-01T00:00,`,
      `imp-negative,${c},-1.00,USD,month,2099-01-31T09:00,UTC`,
      `imp-closed,${closed},14.00,USD,month,2099-01-31T09:00,UTC`,
      `imp-3,${c},120.00,USD,year,2099-03-01T12:00,Europe/London`,
      `imp-currency,${c},14.00,XYZ,month,2099-01-31T09:00,UTC`,
    ].join('\n');
    const file = join(cli.dir, 'customers.csv');
    await writeFile(file, csv);

    const result = await cli.run(['import', file, '--concurrency', '3']);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Imported ${file}: 7 rows, 3 started, 0 already there, 4 rejected`);
    expect(lines.slice(1)).toEqual([
      '  line 3 (imp-bad-cp): charge_permission_id must look like "S01-1234567-1234567" (letter, 2 digits, 7 digits, 7 digits), got "S01-12"',
      '  line 5 (imp-negative): amount must be a positive amount in USD such as "14.00" (no sign, no thousands separators, at most the currency\'s decimals), got "-1.00"',
      `  line 6 (imp-closed): Charge Permission ${closed} cannot be billed: it is Closed (BuyerClosed); only a Chargeable permission can start a subscription`,
      `  line 8 (imp-currency): currency must be one of ${SUPPORTED_CURRENCIES.join(', ')} (ISO 4217; letter case is ignored), got "XYZ"`,
    ]);
    // Not a terminal: plain progress lines, ending with the total.
    expect(result.stderr.trim().split('\n').at(-1)).toBe('importing: 7/7 (4 rejected)');
    const rows = await h.database.db.select().from(subscriptions);
    expect(rows.map((r) => [r.id, r.amountMinor, r.intervalUnit, r.intervalCount, r.anchorZone]).sort()).toEqual([
      ['imp-1', 1400n, 'month', 1, 'America/New_York'],
      ['imp-2', 950n, 'week', 2, 'UTC'],
      ['imp-3', 12000n, 'year', 1, 'Europe/London'],
    ]);

    // Again: nothing starts twice, the same rows are rejected.
    const rerun = await cli.run(['import', file, '--json']);
    expect(rerun.code).toBe(1);
    expect(JSON.parse(rerun.stdout).summary).toEqual({ rows: 7, started: 0, unchanged: 3, rejected: 4 });
    expect(await h.database.db.select().from(subscriptions)).toHaveLength(3);
  });

  it('exports subscriptions as CSV to stdout and the ledger as JSON to a file', async () => {
    const { chargePermission } = await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    await cli.library.startSubscription({
      id: 'exp-billed',
      chargePermissionId: chargePermission.chargePermissionId,
      // 744 hourly cycles in a 31-day month must fit the permission's 1,000.00 USD monthly cap.
      plan: { amountMinor: '125', currency: 'USD', interval: { unit: 'hour', count: 1 } },
    });
    await eventually(
      () => listCharges(h.database.db, 'exp-billed'),
      (r) => r.some((c) => c.state === 'Captured'),
      { what: 'a charge in the ledger' },
    );

    const csv = await cli.run(['export', 'subscriptions']);
    expect(csv.code).toBe(0);
    const records = parse(csv.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(records.map((r) => [r.id, r.amount, r.amount_minor, r.interval])).toEqual([
      ['exp-billed', '1.25 USD', '125', '1 hour'],
      ['imp-1', '14.00 USD', '1400', '1 month'],
      ['imp-2', '9.50 USD', '950', '2 week'],
      ['imp-3', '120.00 USD', '12000', '1 year'],
    ]);
    // The columns after ended_at carry what the JSON export has (flattened), empty where it is null.
    await cli.library.stopSubscription('imp-2', { reason: 'moved to another plan' });
    await eventually(
      async () => (await cli.library.getSubscription('imp-2')).subscription.status,
      (status) => status === 'canceled',
      { what: 'imp-2 canceled' },
    );
    const after = parse((await cli.run(['export', 'subscriptions'])).stdout, { columns: true }) as Array<Record<string, string>>;
    const asJson = JSON.parse((await cli.run(['export', 'subscriptions', '--format', 'json'])).stdout) as SubscriptionView[];
    expect(Object.keys(after[0]!)).toEqual([...SUBSCRIPTION_COLUMNS]);
    for (const [i, view] of asJson.entries()) {
      expect(after[i]).toMatchObject({
        id: view.id,
        environment: 'sandbox',
        trial: '',
        end_after_cycles: '',
        end_at: '',
        first_charge_id: view.firstChargeId ?? '',
        stop_requested_at: view.stopRequested?.at ?? '',
        stop_requested_reason: view.stopRequested?.reason ?? '',
        permission_expires_at: view.permissionExpiresAt ?? '',
      });
    }
    expect(after.find((r) => r.id === 'imp-2')).toMatchObject({ status: 'canceled', stop_requested_reason: 'moved to another plan' });
    expect(after.find((r) => r.id === 'imp-2')?.stop_requested_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    // A reader that stops at once (as `| head -5` does early) is not a failure: no stack trace, exit 0.
    for (const args of [['export', 'ledger'], ['export', 'subscriptions'], ['list']]) {
      const piped = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" client/bin.js ${args.join(' ')} | true`], {
          cwd: fileURLToPath(new URL('../../', import.meta.url)),
          env: cli.env,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(piped, args.join(' ')).toEqual({ code: 0, stderr: '' });
    }

    const out = join(cli.dir, 'ledger.json');
    const json = await cli.run(['export', 'ledger', '--format', 'json', '--output', out]);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe(`Exported 1 ledger rows to ${out}\n`);
    expect((await readdir(cli.dir)).filter((name) => name.includes('.partial-'))).toEqual([]);
    const ledger = JSON.parse(await readFile(out, 'utf8')) as Array<Record<string, unknown>>;
    const stored = await listCharges(h.database.db, 'exp-billed');
    expect(ledger).toEqual(
      stored.map((r) =>
        expect.objectContaining({ subscriptionId: 'exp-billed', cycle: r.cycle, chargeId: r.chargeId, amountMinor: '125', currency: 'USD', state: r.state }),
      ),
    );
  });

  it('demo --no-wait creates four scripted buyers and their minute-long subscriptions in the sandbox', async () => {
    const result = await cli.run(['demo', '--no-wait', '--cycles', '3', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { subscriptions: created } = JSON.parse(result.stdout) as { subscriptions: Array<{ id: string; chargePermissionId: string }> };
    expect(created.map((c) => c.id.replace(/^demo-\d{6}-/, ''))).toEqual(['clean', 'soft', 'closes', 'hard']);
    const soft = created[1]!;
    // The soft-decline buyer's script is set before billing starts (its first charge may already have used one entry).
    const { script } = await h.control.getChargePermission(soft.chargePermissionId);
    expect(script.next.length).toBeGreaterThanOrEqual(1);
    expect(script.next.every((entry) => entry === 'SoftDeclined')).toBe(true);
    for (const c of created) {
      const details = await cli.library.getSubscription(c.id);
      expect(details.subscription.plan).toEqual({ amountMinor: '1400', currency: 'USD', interval: { unit: 'minute', count: 1 } });
      expect(details.workflow.status).toBe('RUNNING');
      await h.temporal.client.workflow.getHandle(details.workflow.workflowId).terminate('test cleanup');
    }
  });

  // Last: these leave subscriptions the export cases above would count.
  it('a row Amazon Pay throttles (429) or answers 503 is tried again with backoff, not rejected', async () => {
    const [a, b] = await Promise.all(
      [1, 2].map(async () => (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId),
    );
    await h.control.setInjectedErrors([
      { operation: 'getChargePermission', id: a!, status: 429, reasonCode: 'TooManyRequests', message: 'injected', times: 2 },
      { operation: 'getChargePermission', id: b!, status: 503, reasonCode: 'ServiceUnavailable', message: 'injected', times: 1 },
    ]);
    const file = join(cli.dir, 'throttled.csv');
    await writeFile(
      file,
      [
        'id,charge_permission_id,amount,currency,interval,anchor,zone',
        `imp-429,${a},5.00,USD,month,2099-01-31T09:00,UTC`,
        `imp-503,${b},5.00,USD,month,2099-01-31T09:00,UTC`,
      ].join('\n'),
    );
    try {
      const result = await cli.run(['import', file]);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toMatch(/: 2 rows, 2 started, 0 already there, 0 rejected\n$/);
    } finally {
      await h.control.setInjectedErrors([]);
    }
  }, 60_000);

  it('pauses while more workflow tasks wait than --max-backlog (the workers are away), and goes on when they take them', async () => {
    const rows = 150;
    const cps = await Promise.all(Array.from({ length: rows }, () => h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })));
    const file = join(cli.dir, 'backlog.csv');
    await writeFile(
      file,
      [
        'id,charge_permission_id,amount,currency,interval,anchor,zone',
        ...cps.map((cp, i) => `imp-wait-${i},${cp.chargePermission.chargePermissionId},5.00,USD,month,2099-01-31T09:00,UTC`),
      ].join('\n'),
    );
    const started = async () => (await h.database.db.select().from(subscriptions)).filter((r) => r.id.startsWith('imp-wait-')).length;
    await h.stopWorkers();
    // 100 ms per Amazon Pay call: the import takes 15 s or more, longer than the 5 s the server caches its statistics.
    await h.control.setFaults({ latencyFixedMs: 100 });
    let restarted = false;
    try {
      const importing = cli.run(['import', file, '--concurrency', '1', '--max-backlog', '2']);
      // First workflow tasks wait with no worker to take them; once the server's statistics (refreshed
      // every few seconds) count two, the import stops starting.
      const paused = await eventually(
        async () => {
          const before = await started();
          await new Promise((r) => setTimeout(r, 3_000));
          return { before, after: await started() };
        },
        ({ before, after }) => before >= 2 && after === before,
        { what: 'the import paused', timeoutMs: 40_000 },
      );
      expect(paused.after).toBeLessThan(rows);
      await h.startWorkers();
      restarted = true;
      const result = await importing;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`: ${rows} rows, ${rows} started, 0 already there, 0 rejected\\n$`));
      expect(result.stderr).toMatch(/^waiting for the workers: \d+ workflow tasks queued \(--max-backlog 2\); going on at 1$/m);
      expect(result.stderr).toMatch(/^going on after \d+ s$/m);
    } finally {
      await h.control.setFaults({ latencyFixedMs: 0 });
      if (!restarted) await h.startWorkers();
    }
    expect(await started()).toBe(rows);
    const bad = await cli.run(['import', file, '--max-backlog', 'lots']);
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toBe('error: --max-backlog must be a whole number from 0 to 1000000, got "lots"\n');
  }, 120_000);
});
