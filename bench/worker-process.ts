// The daemon under test runs as its own process — the production entry worker.ts, configured
// through the environment and a temporal.yaml written here — so its CPU and memory can be
// measured apart from the benchmark, and so the fault suite can SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort } from '../devstack/ports.js';
import { parse, stringify } from 'yaml';
import type { MerchantKey } from './merchant-key.js';
import type { BenchStack } from './stack.js';

export interface WorkerTuning {
  taskQueues: { workflows: string; charges: string; amazonReads: string };
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  /** worker.stickyQueueScheduleToStartTimeoutMs; absent: the temporal.yaml default. */
  stickyQueueScheduleToStartTimeoutMs?: number;
  createChargePerSecond: number;
  amazonReadsPerSecond: number;
}

export interface WorkerSpawnOptions {
  workDir: string;
  temporalAddress: () => string;
  databaseUrl: string;
  simulatorUrl: string;
  key: MerchantKey;
  /** The simulator's IPN signing key (bench/daemon-entry.ts trusts it). */
  ipnPublicKeyPem: string;
  /** Where the daemon's IPN endpoint and operations port listen (free ports, kept across restarts). */
  ports: { ipn: number; operations: number };
  tuning: WorkerTuning;
  /** Which of several daemon replicas this is (1, 2, …): its own config files; absent: the only one. */
  replica?: number;
  poolSize?: number;
  /** billing.yaml `webhooks` keys to override (e.g. a retry schedule of seconds for a fault run). */
  webhooks?: Record<string, unknown>;
  /** Receives the worker's stderr/stdout lines (warnings and errors only: LOG_LEVEL=warn). */
  onOutput?: (line: string) => void;
}

/** The options every daemon process of a bench stack shares: its Temporal, simulator, key and free ports. */
export async function stackWorkerOptions(
  stack: Pick<BenchStack, 'workDir' | 'temporal' | 'simulator' | 'key'>,
  databaseUrl: string,
  tuning: WorkerTuning,
): Promise<Omit<WorkerSpawnOptions, 'onOutput' | 'replica' | 'webhooks' | 'poolSize'>> {
  return {
    workDir: stack.workDir,
    temporalAddress: () => stack.temporal.address,
    databaseUrl,
    simulatorUrl: stack.simulator.url,
    key: stack.key,
    ipnPublicKeyPem: stack.simulator.ipnSigningPublicKeyPem,
    ports: { ipn: await freePort(), operations: await freePort() },
    tuning,
  };
}

export interface WorkerProcess {
  readonly pid: number | undefined;
  readonly ipnUrl: string;
  /** Resolves once the worker polls all three task queues (bounded). */
  ready(timeoutMs?: number): Promise<number>;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: boolean;
  /** After an exit: its code or signal and the last lines it printed. */
  readonly exitDescription: string;
}

export async function writeTemporalYaml(dir: string, name: string, tuning: WorkerTuning): Promise<string> {
  const path = join(dir, `${name}.temporal.yaml`);
  const doc = {
    connection: { address: null, namespace: 'default' },
    taskQueues: tuning.taskQueues,
    worker: {
      maxCachedWorkflows: tuning.maxCachedWorkflows,
      maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions,
      maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions,
      shutdownGraceTimeMs: 5_000,
      ...(tuning.stickyQueueScheduleToStartTimeoutMs === undefined ? {} : { stickyQueueScheduleToStartTimeoutMs: tuning.stickyQueueScheduleToStartTimeoutMs }),
    },
    rateLimits: { createChargePerSecond: tuning.createChargePerSecond, amazonReadsPerSecond: tuning.amazonReadsPerSecond },
  };
  await writeFile(path, `# written by bench/worker-process.ts\n${stringify(doc)}`);
  return path;
}

/**
 * billing.yaml of the project with the IPN and operations ports moved to free ones, and the HTTP
 * API's too (no bench talks to it, but on its default port it collides with any other daemon here).
 */
export async function writeBillingYaml(
  dir: string,
  name: string,
  ports: { ipn: number; operations: number },
  webhooks?: Record<string, unknown>,
): Promise<string> {
  const doc = parse(await readFile('billing.yaml', 'utf8')) as {
    ipn?: Record<string, unknown>;
    operations?: Record<string, unknown>;
    api?: Record<string, unknown>;
    webhooks?: Record<string, unknown>;
  };
  if (webhooks) doc.webhooks = { ...doc.webhooks, ...webhooks };
  doc.ipn = { ...doc.ipn, host: '127.0.0.1', port: ports.ipn };
  doc.operations = { ...doc.operations, host: '127.0.0.1', port: ports.operations };
  doc.api = { ...doc.api, host: '127.0.0.1', port: await freePort() };
  const path = join(dir, `${name}.billing.yaml`);
  await writeFile(path, `# written by bench/worker-process.ts from billing.yaml\n${stringify(doc)}`);
  return path;
}

/**
 * Starts `node --import tsx bench/daemon-entry.ts` (no npx in between, so the pid is the
 * daemon's own): the production daemon, trusting the simulator's IPN signing key.
 */
export async function spawnWorker(options: WorkerSpawnOptions): Promise<WorkerProcess> {
  const name = `worker-${options.tuning.taskQueues.workflows}${options.replica === undefined ? '' : `-r${options.replica}`}`;
  const yamlPath = await writeTemporalYaml(options.workDir, name, options.tuning);
  const billingPath = await writeBillingYaml(options.workDir, name, options.ports, options.webhooks);
  const env = daemonEnv(options, yamlPath, billingPath);
  // BENCH_WORKER_NODE_ARGS adds Node flags to the daemon only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'bench/daemon-entry.ts'], {
    cwd: process.cwd(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  let exitDescription = '';
  // The last lines it printed: why a worker exited by itself is in them.
  const lastLines: string[] = [];
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitDescription = `worker ${child.pid} exited with ${signal ?? `code ${code}`}; last output:\n${lastLines.join('\n')}`;
      resolve();
    }),
  );
  const forward = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      lastLines.push(line.slice(0, 400));
      if (lastLines.length > 12) lastLines.shift();
      options.onOutput?.(line);
    }
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const started = Date.now();

  return {
    pid: child.pid,
    ipnUrl: `http://127.0.0.1:${options.ports.ipn}/ipn`,
    get exited() {
      return exited;
    },
    get exitDescription() {
      return exitDescription;
    },
    async ready(timeoutMs = 90_000) {
      const queues = Object.values(options.tuning.taskQueues);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (exited) throw new Error(`worker process ${child.pid} exited during start-up`);
        if (await allPolled(options.temporalAddress(), queues, child.pid)) return Date.now() - started;
        if (Date.now() > deadline) throw new Error(`worker ${child.pid} did not poll ${queues.join(', ')} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async kill(signal) {
      if (exited) return;
      child.kill(signal);
      await exit;
    },
    async stop(graceMs = 20_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The environment the daemon (and the admin CLI) read their configuration from. */
export function daemonEnv(options: WorkerSpawnOptions, temporalYamlPath: string, billingYamlPath: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: options.databaseUrl,
    DATABASE_POOL_SIZE: String(options.poolSize ?? 20),
    TEMPORAL_ADDRESS: options.temporalAddress(),
    BILLING_TEMPORAL_CONFIG: temporalYamlPath,
    BILLING_CONFIG: billingYamlPath,
    BENCH_IPN_PUBLIC_KEY_PEM: options.ipnPublicKeyPem,
    AMAZON_PAY_PUBLIC_KEY_ID: options.key.publicKeyId,
    AMAZON_PAY_PRIVATE_KEY: options.key.privateKeyPem,
    AMAZON_PAY_REGION: 'na',
    AMAZON_PAY_ENVIRONMENT: 'sandbox',
    AMAZON_PAY_ENDPOINT: options.simulatorUrl,
    AMAZON_PAY_TIMEOUT_MS: '10000',
  };
}

/**
 * `billing import <csv>` (the admin CLI) with the daemon's configuration; resolves with its
 * wall time, exit code and last output line (the JSON summary).
 */
export async function runBillingImport(
  options: WorkerSpawnOptions,
  csvPath: string,
  concurrency: number,
): Promise<{ wallMs: number; exitCode: number | null; output: string }> {
  const name = `cli-${options.tuning.taskQueues.workflows}`;
  const env = daemonEnv(options, await writeTemporalYaml(options.workDir, name, options.tuning), await writeBillingYaml(options.workDir, name, options.ports));
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli.ts', 'import', csvPath, '--concurrency', String(concurrency), '--json'], {
    cwd: process.cwd(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { wallMs: Date.now() - started, exitCode, output: output.trim().slice(-1500) };
}

/**
 * True when a poller with this process's identity (the SDK's default `pid@host`) is on every
 * queue; a killed predecessor stays listed for a while, hence the pid match.
 */
async function allPolled(address: string, queues: string[], pid: number | undefined): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    for (const [i, name] of queues.entries()) {
      // Workflow queue: workflow pollers; the other two: activity pollers (TaskQueueType 1 / 2).
      const taskQueueType = i === 0 ? 1 : 2;
      const response = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name }, taskQueueType });
      if (!(response.pollers ?? []).some((p) => p.identity?.startsWith(`${pid}@`))) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}
