// Spawns test/support/worker-process.ts for a billing harness and waits until it polls.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BillingHarness } from './billing-harness.js';
import type { WorkerProcessSpec } from './worker-process.js';

const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export interface ChildWorkers {
  readonly pid: number;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function spawnChildWorkers(h: BillingHarness, { readyTimeoutMs = 90_000 } = {}): Promise<ChildWorkers> {
  const spec: WorkerProcessSpec = {
    temporalAddress: h.temporal.address,
    namespace: h.temporal.namespace,
    taskQueues: h.taskQueues,
    databaseUrl: h.database.url,
    simulatorUrl: h.simulator.url,
    publicKeyId: h.credentials.publicKeyId,
  };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    env: { ...process.env, BILLING_WORKER_SPEC: JSON.stringify(spec), AMAZON_PAY_PRIVATE_KEY: h.credentials.privateKeyPem },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker process not ready after ${readyTimeoutMs} ms: ${stderr}`)), readyTimeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('worker-ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return {
    pid: child.pid ?? -1,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
