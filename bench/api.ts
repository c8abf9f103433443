// `npm run bench:api`: requests/s and latency of the HTTP API next to the same calls through the
// library (client/), on one machine: GET /v1/subscriptions/{id} vs getSubscription, and
// POST /v1/subscriptions (with an Idempotency-Key) vs startSubscription. Its own stack (Temporal
// dev server in memory, embedded PostgreSQL, simulator) and the real daemon (startDaemon) in this
// process; the HTTP client is in the same process too, so both sides share one event loop, as
// the library calls do. Prints the figures; nothing is asserted.
import { cpus, loadavg } from 'node:os';
import { parseCommandLine } from '../config/command-line.js';
import { Client, Connection } from '@temporalio/client';
import { createAmazonPayClient } from '../amazonpay/client.js';
import { parseAmazonPayConfig } from '../amazonpay/config.js';
import { createApiKey } from '../client/api-keys.js';
import type { BillingClientDeps } from '../client/deps.js';
import { createBillingClient, UpstreamError } from '../client/index.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../config/logger.js';
import { createDb } from '../db/client.js';
import { startDaemon } from '../daemon/run.js';
import { installTemporalRuntime } from '../daemon/runtime.js';
import { startBenchStack } from './stack.js';
import { asUsage, exitWithFailure, UsageError } from './usage.js';

const HELP = `Usage: npm run bench:api -- [--requests n] [--starts n] [--concurrency n]

  --requests n     GETs per side (default 2000)
  --starts n       subscription starts per side (default 200)
  --concurrency n  requests in flight (default 16)
`;

interface Figures {
  what: string;
  n: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(what: string, n: number, concurrency: number, call: (i: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await call(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { what, n, perSecond: n / seconds, p50: at(0.5), p99: at(0.99) };
}

async function main(): Promise<void> {
  const { values } = asUsage(() =>
    parseCommandLine({
      options: { requests: { type: 'string' }, starts: { type: 'string' }, concurrency: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
    }),
  );
  if (values.help) {
    console.log(HELP);
    return;
  }
  const count = (name: 'requests' | 'starts' | 'concurrency', fallback: number): number => {
    const raw = values[name];
    const v = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(v) || v < 1 || v > 1_000_000) throw new UsageError(`--${name}: expected a whole number 1-1000000, got ${raw}`);
    return v;
  };
  const requests = count('requests', 2000);
  const starts = count('starts', 200);
  const concurrency = count('concurrency', 16);
  const say = (line: string): void => console.log(`[bench:api] ${line}`);
  const stack = await startBenchStack({ say, temporalInMemory: true });
  const logger = createLogger('warn');
  installTemporalRuntime(logger);
  try {
    const databaseUrl = await stack.createDatabase('api');
    const base = loadConfig({}, process.cwd());
    const config = {
      ...base,
      billing: {
        ...base.billing,
        ipn: { ...base.billing.ipn, port: 0 },
        operations: { host: '127.0.0.1', port: 0, temporalMetricsPort: null },
        api: { ...base.billing.api, port: 0 },
      },
      database: { url: databaseUrl, poolSize: 10 },
    };
    const amazonPayConfig = parseAmazonPayConfig({
      publicKeyId: stack.key.publicKeyId,
      privateKey: stack.key.privateKeyPem,
      region: 'na',
      endpoint: stack.simulator.url,
    });
    const daemon = await startDaemon({
      config,
      databaseUrl,
      temporalAddress: stack.temporal.address,
      amazonPay: amazonPayConfig,
      logger,
      ipnSignature: { mode: 'trusted-key', publicKeyPem: stack.simulator.ipnSigningPublicKeyPem },
    });

    // The library side: its own pool and connections, as a merchant's Node backend would have.
    const database = createDb(databaseUrl, { max: 10 });
    const connection = await Connection.connect({ address: stack.temporal.address });
    const temporal = new Client({ connection, namespace: 'default' });
    const amazonPay = createAmazonPayClient(amazonPayConfig);
    const deps: BillingClientDeps = {
      db: database.db,
      temporal: async () => temporal,
      amazonPay: () => amazonPay,
      environment: 'sandbox',
      taskQueues: config.temporal.taskQueues,
      policy: config.billing.policy,
      now: () => new Date(),
    };
    const library = createBillingClient(deps);
    const { secret } = await createApiKey(deps, { name: 'bench' });
    const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
    const plan = { amountMinor: '1400', currency: 'USD', interval: { unit: 'month' as const, count: 1 } };
    const anchor = { localDateTime: '2099-01-15T09:00:00', zone: 'UTC' };

    const permissions: string[] = [];
    for (let i = 0; i < starts * 2 + 1; i++)
      permissions.push((await stack.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId);
    await library.startSubscription({ id: 'bench-read', chargePermissionId: permissions[0]!, plan, anchor });
    say(`daemon API at ${daemon.apiUrl}; ${requests} GETs and ${starts} starts per side, ${concurrency} in flight`);
    // The figures depend on what else the machine does: say so next to them.
    const load = (): string =>
      loadavg()
        .map((l) => l.toFixed(1))
        .join(' ');
    say(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, load average ${load()} before the run`);

    const results: Figures[] = [];
    let retries = 0;
    // Warm-up of both paths (JIT, connection pools), not measured.
    await measure('warm-up', 200, concurrency, async () => {
      await (await fetch(`${daemon.apiUrl}/v1/subscriptions/bench-read`, { headers })).arrayBuffer();
      await library.getSubscription('bench-read');
    });
    results.push(
      await measure('GET /v1/subscriptions/{id} (HTTP API)', requests, concurrency, async () => {
        const res = await fetch(`${daemon.apiUrl}/v1/subscriptions/bench-read`, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
      }),
    );
    results.push(await measure('getSubscription (library)', requests, concurrency, async () => void (await library.getSubscription('bench-read'))));
    results.push(
      await measure('POST /v1/subscriptions (HTTP API, Idempotency-Key)', starts, concurrency, async (i) => {
        const body = JSON.stringify({
          id: `bench-api-${i}`,
          chargePermissionId: permissions[1 + i],
          plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month' } },
          anchor,
        });
        const res = await fetch(`${daemon.apiUrl}/v1/subscriptions`, { method: 'POST', headers: { ...headers, 'idempotency-key': `bench-${i}` }, body });
        await res.arrayBuffer();
        if (res.status === 503) {
          retries++;
          const again = await fetch(`${daemon.apiUrl}/v1/subscriptions`, { method: 'POST', headers: { ...headers, 'idempotency-key': `bench-${i}` }, body });
          await again.arrayBuffer();
          if (again.status !== 201) throw new Error(`POST answered ${again.status} after a retry`);
        } else if (res.status !== 201) throw new Error(`POST answered ${res.status}`);
      }),
    );
    results.push(
      await measure('startSubscription (library)', starts, concurrency, async (i) => {
        const input = { id: `bench-lib-${i}`, chargePermissionId: permissions[1 + starts + i]!, plan, anchor };
        // A retryable refusal (the simulator closed an idle keep-alive socket) is retried, as the API's caller would after its 503; counted below.
        await library.startSubscription(input).catch(async (error: unknown) => {
          if (!(error instanceof UpstreamError && error.retryable)) throw error;
          retries++;
          await library.startSubscription(input);
        });
      }),
    );
    console.log('');
    console.log('| call | requests | requests/s | p50 ms | p99 ms |');
    console.log('|---|---:|---:|---:|---:|');
    for (const r of results) console.log(`| ${r.what} | ${r.n} | ${r.perSecond.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`);
    console.log(`\nstarts retried after a retryable Amazon Pay refusal: ${retries}`);
    console.log(`load average after the run: ${load()} (1, 5, 15 min)`);

    amazonPay.close();
    await connection.close();
    await database.close();
    await daemon.shutdown();
  } finally {
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => exitWithFailure('bench:api', error, 1),
);
