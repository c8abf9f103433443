// Runs the `billing` CLI against a billing harness: the harness's database, Temporal, simulator
// (with a signing key of our own) and task queues. By default in this process, through runCli —
// the CLI's whole path from argv to exit code and output, with the harness's environment — since
// a process per command costs about 2.5 s of CPU to load the CLI, and the suite runs hundreds.
// `mode: 'process'` (or BILLING_TEST_CLI=process for every harness) runs node client/bin.js as a
// user would; cli-bad-input, cli-import-export, webhooks-cli and forecast run the real binary.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../client/cli.js';
import { createBillingClient, type BillingClient } from '../../client/index.js';
import { SIMULATOR_MERCHANT_ID, SIMULATOR_STORE_ID } from '../../devstack/sandbox-credentials.js';
import type { BillingClientDeps } from '../../client/deps.js';
import { afterAll, beforeAll } from 'vitest';
import { FAST_POLICY, randomPublicKeyId, startBillingHarness, type BillingHarness } from './billing-harness.js';

const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  env: NodeJS.ProcessEnv;
  /** Runs `billing <args>` and resolves with its exit code and output. */
  run(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<CliRun>;
  /** Runs it with --json and parses stdout; fails the test when the command failed. */
  json<T>(args: string[]): Promise<T>;
  /** The library, wired like the CLI (same harness services), for checks where a process adds nothing. */
  library: BillingClient;
  /** What `library` is built from, for a test that changes one dependency. */
  deps: BillingClientDeps;
  dir: string;
  close(): Promise<void>;
}

export async function startCliHarness(h: BillingHarness, options: { mode?: 'process' | 'in-process' } = {}): Promise<CliHarness> {
  const mode = process.env.BILLING_TEST_CLI === 'process' ? 'process' : (options.mode ?? 'in-process');
  const dir = await mkdtemp(join(tmpdir(), 'billing-cli-'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyId = randomPublicKeyId();
  await h.control.registerPublicKey(publicKeyId, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const queues = h.launchContext.taskQueues;
  const temporalYaml = join(dir, 'temporal.yaml');
  await writeFile(temporalYaml, `taskQueues:\n  workflows: ${queues.workflows}\n  charges: ${queues.charges}\n  amazonReads: ${queues.amazonReads}\n`);
  // The CLI's subscriptions get the harness's fast policy (seconds, not days) through billing.yaml.
  const billingYaml = join(dir, 'billing.yaml');
  await writeFile(billingYaml, `policy:\n  dunningRetryDelays: ["500ms", "500ms"]\n  paymentMethodCheckInterval: 1s\n  paymentMethodGrace: 60s\n`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: h.database.url,
    TEMPORAL_ADDRESS: h.temporal.address,
    TEMPORAL_NAMESPACE: h.temporal.namespace,
    BILLING_TEMPORAL_CONFIG: temporalYaml,
    BILLING_CONFIG: billingYaml,
    BILLING_DATA_DIR: join(dir, 'data'),
    AMAZON_PAY_ENDPOINT: h.simulator.url,
    AMAZON_PAY_PUBLIC_KEY_ID: publicKeyId,
    AMAZON_PAY_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    AMAZON_PAY_ENVIRONMENT: 'sandbox',
    AMAZON_PAY_REGION: 'na',
    AMAZON_PAY_STORE_ID: SIMULATOR_STORE_ID,
    AMAZON_PAY_MERCHANT_ID: SIMULATOR_MERCHANT_ID,
    LOG_LEVEL: 'warn',
  };
  const runInProcess = async (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, {
      out: (text) => void (stdout += text),
      err: (text) => void (stderr += text),
      stdoutIsTTY: false,
      stderrIsTTY: false,
      env: { ...env, ...options.env },
      cwd: options.cwd ?? PROJECT_ROOT,
    });
    return { code, stdout, stderr };
  };
  const runProcess = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> =>
    new Promise((resolvePromise, reject) => {
      const child = spawn(process.execPath, [join(PROJECT_ROOT, 'client/bin.js'), ...args], {
        cwd: options.cwd ?? PROJECT_ROOT,
        env: { ...env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code: code ?? -1, stdout, stderr });
      });
    });
  const run = mode === 'process' ? runProcess : runInProcess;
  const deps: BillingClientDeps = {
    db: h.database.db,
    temporal: async () => h.temporal.client,
    amazonPay: () => h.amazonPay,
    environment: 'sandbox',
    taskQueues: queues,
    policy: FAST_POLICY,
    now: () => new Date(),
  };
  return {
    env,
    run,
    async json<T>(args: string[]): Promise<T> {
      const result = await run([...args, '--json']);
      if (result.code !== 0) throw new Error(`billing ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    library: createBillingClient(deps),
    deps,
    dir,
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A billing harness and a CLI harness on it for one test file (started before all, closed after all). */
export function useCliHarness(): { readonly h: BillingHarness; readonly cli: CliHarness } {
  const state: { h?: BillingHarness; cli?: CliHarness } = {};
  beforeAll(async () => {
    state.h = await startBillingHarness();
    state.cli = await startCliHarness(state.h);
  });
  afterAll(async () => {
    await state.cli?.close();
    await state.h?.close();
  });
  return {
    get h() {
      return state.h!;
    },
    get cli() {
      return state.cli!;
    },
  };
}
