// `npm run dev` as a newcomer runs it (devstack/dev.ts, the shipped temporal.yaml and billing.yaml),
// pointed at the shared test Temporal server and a test database so that only the simulator and
// the daemon start. Its Create Charge rate must fit the simulator's sandbox quota (1/s, burst 2:
// at temporal.yaml's 4/s the demo throttled itself), a 429 that is handled as designed must not
// be a warning, and no log line — at trace level, where the SDK logs the most — may carry a
// Temporal task token.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { launchSubscription, type LaunchContext } from '../../client/launch.js';
import { freePort } from '../../devstack/ports.js';
import { createSimulatorControl, type SimulatorControl } from '../../simulator/control-client.js';
import { eventually, FAST_POLICY } from '../support/billing-harness.js';
import { connectTestTemporal, createTestDatabase, uniqueTaskQueue, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { shortSpec } from '../support/subscriptions.js';

const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

interface DevProcess {
  lines: string[];
  operationsUrl: string;
  stop(): Promise<void>;
}

async function startDev(env: NodeJS.ProcessEnv): Promise<DevProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'devstack/dev.ts'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let pending = '';
  const collect = (chunk: Buffer): void => {
    const parts = (pending + chunk.toString()).split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line.trim() !== ''));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await eventually(async () => lines.some((line) => line.includes('billing daemon running')) || child.exitCode !== null, Boolean, {
    timeoutMs: 200_000,
    what: 'npm run dev to start',
  });
  if (child.exitCode !== null) throw new Error(`npm run dev exited: ${lines.join('\n')}`);
  await eventually(async () => lines.find((line) => line.includes('Operations ')), Boolean, { timeoutMs: 5_000, what: 'the operations line' });
  const operationsUrl = /(http:\/\/\S+)\/healthz/.exec(lines.find((line) => line.includes('Operations ')) ?? '')?.[1] ?? '';
  return {
    lines,
    operationsUrl,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('npm run dev against its own simulator', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let dir: string;
  let dev: DevProcess | undefined;
  let control: SimulatorControl;
  let launchContext: LaunchContext;
  let sdkMetricsPort: number;

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    dir = await mkdtemp(join(tmpdir(), 'billing-dev-'));
    const taskQueues = { workflows: uniqueTaskQueue('billing'), charges: uniqueTaskQueue('charges'), amazonReads: uniqueTaskQueue('amazon') };
    // The shipped settings files, with this file's own task queues and kernel-chosen ports.
    const temporalYaml = parse(await readFile(join(PROJECT_ROOT, 'temporal.yaml'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'temporal.yaml'), stringify({ ...temporalYaml, taskQueues }));
    sdkMetricsPort = await freePort();
    const billingYaml = parse(await readFile(join(PROJECT_ROOT, 'billing.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
    await writeFile(
      join(dir, 'billing.yaml'),
      stringify({
        ...billingYaml,
        ipn: { ...billingYaml.ipn, port: 0 },
        operations: { ...billingYaml.operations, port: 0, temporalMetricsPort: sdkMetricsPort },
      }),
    );
    const sandboxPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      BILLING_TEMPORAL_CONFIG: join(dir, 'temporal.yaml'),
      BILLING_CONFIG: join(dir, 'billing.yaml'),
      BILLING_DATA_DIR: join(dir, 'data'),
      SANDBOX_PORT: String(sandboxPort),
      LOG_LEVEL: 'trace',
    };
    dev = await startDev(env);
    control = createSimulatorControl(`http://127.0.0.1:${sandboxPort}`);
    launchContext = { db: database.db, client: temporal.client, environment: 'sandbox', taskQueues, policy: FAST_POLICY };
  }, 240_000); // tsx start-up and the workflow bundle take minutes on a loaded 2-core machine

  afterAll(async () => {
    await dev?.stop();
    await temporal?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function billAtOnce(prefix: string, count: number): Promise<void> {
    const permissions = await Promise.all(
      Array.from(
        { length: count },
        async () => (await control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId,
      ),
    );
    await Promise.all(
      permissions.map((cp, i) => launchSubscription(launchContext, shortSpec(`${prefix}-${i}`, cp, { seconds: 3600, firstInSeconds: 3, cycles: 1 }))),
    );
    await eventually(
      async () => (await control.charges()).filter((c) => permissions.includes(c.chargePermissionId) && c.state === 'Captured').length,
      (n) => n === count,
      {
        timeoutMs: 90_000,
        what: `${count} captured charges`,
      },
    );
  }

  async function throttledCount(): Promise<number> {
    const metrics = await (await fetch(`${dev!.operationsUrl}/metrics`)).text();
    return [...metrics.matchAll(/^billing_amazon_throttled_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  }

  const warnings = (): string[] => dev!.lines.filter((line) => line.startsWith('{') && (JSON.parse(line) as { level: number }).level >= 40);

  it('says where its data stays: the simulator it started, not the external PostgreSQL and Temporal', () => {
    expect(dev!.lines).toContain(`[dev] Ctrl-C stops everything; data stays: the Amazon Pay simulator in ${join(dir, 'data', 'sandbox')}`);
  });

  it('caps Create Charge at the sandbox quota: eight charges due at once, not one 429', { timeout: 120_000 }, async () => {
    expect(dev!.lines.join('\n')).toContain('Create Charge capped at 1/s, other Amazon Pay calls at 1/s (Amazon Pay sandbox quotas)');
    await billAtOnce('quota', 8);
    expect(await throttledCount()).toBe(0);
    expect(warnings()).toEqual([]);
  });

  it('a 429 handled as designed is no warning, and no log line carries a task token', { timeout: 120_000 }, async () => {
    // A quota tighter than the daemon's cap, so Create Charge does get 429s and retries them.
    await control.setThrottle({ table: 'sandbox', overrides: { createCharge: { burst: 1, ratePerSecond: 0.5 } } });
    await billAtOnce('throttled', 4);
    expect(await throttledCount()).toBeGreaterThan(0);
    expect(dev!.lines.some((line) => line.includes('"Activity failed"'))).toBe(true); // logged, at debug level
    expect(dev!.lines.filter((line) => /task_?token|TaskToken\(/i.test(line))).toEqual([]);
    expect(warnings()).toEqual([]);
  });

  it('exports every metric the shipped Grafana dashboard queries (docs/grafana/billing-daemon.json), billing and Temporal SDK alike', async () => {
    const exported = new Set<string>();
    for (const url of [`${dev!.operationsUrl}/metrics`, `http://127.0.0.1:${sdkMetricsPort}/metrics`]) {
      const text = await (await fetch(url)).text();
      // Declared series count even before their first sample (a counter with labels has none until then).
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        exported.add(name!);
        if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(`${name}${suffix}`);
      }
      for (const match of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )/gm)) exported.add(match[1]!);
    }
    const dashboard = JSON.parse(await readFile(join(PROJECT_ROOT, 'docs/grafana/billing-daemon.json'), 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }>; fieldConfig?: { defaults?: { unit?: string } } }>;
    };
    const queried = new Set<string>();
    for (const panel of dashboard.panels)
      for (const target of panel.targets ?? []) for (const name of target.expr.matchAll(/\b((?:billing|temporal)_[a-z0-9_]+)\b/g)) queried.add(name[1]!);
    expect(queried.size).toBeGreaterThan(12);
    // A quantile panel's unit is its histogram's: the SDK's latencies are in milliseconds (its
    // buckets run 1…60,000), billing's in seconds (`_seconds`): a wrong unit shows 50 ms as 50 s.
    const bucketBounds = new Map<string, number[]>();
    for (const url of [`${dev!.operationsUrl}/metrics`, `http://127.0.0.1:${sdkMetricsPort}/metrics`]) {
      const text = await (await fetch(url)).text();
      for (const [, name, le] of text.matchAll(/^([a-z0-9_]+)_bucket\{[^}]*le="([0-9.e+]+)"/gm))
        bucketBounds.set(name!, [...(bucketBounds.get(name!) ?? []), Number(le)]);
    }
    const quantilePanels = dashboard.panels.filter((p) => p.targets?.some((t) => t.expr.includes('histogram_quantile')));
    expect(quantilePanels.length).toBeGreaterThanOrEqual(3);
    for (const panel of quantilePanels) {
      const histogram = panel.targets![0]!.expr.match(/\b([a-z0-9_]+)_bucket\b/)![1]!;
      const bounds = bucketBounds.get(histogram) ?? [];
      const unit = histogram.endsWith('_seconds') ? 's' : Math.max(...bounds) >= 10_000 ? 'ms' : 'unknown';
      expect(panel.fieldConfig?.defaults?.unit, `${panel.title}: ${histogram} buckets ${bounds.join(',')}`).toBe(unit);
    }
    expect(
      [...queried].filter((name) => !exported.has(name)),
      `exported: ${[...exported].filter((n) => n.startsWith('temporal_')).join(' ')}`,
    ).toEqual([]);
  });
});
