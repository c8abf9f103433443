// Spawns test/support/worker-process.ts for a billing harness and waits until it polls.
import { fileURLToPath } from 'node:url';
import type { BillingHarness } from './billing-harness.js';
import type { WorkerProcessSpec } from './worker-process.js';
import { spawnReadyChild, type ReadyChild } from './ready-child.js';

const SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

export type ChildWorkers = ReadyChild;

export async function spawnChildWorkers(h: BillingHarness, { readyTimeoutMs = 90_000 } = {}): Promise<ChildWorkers> {
  const spec: WorkerProcessSpec = {
    temporalAddress: h.temporal.address,
    namespace: h.temporal.namespace,
    taskQueues: h.taskQueues,
    databaseUrl: h.database.url,
    simulatorUrl: h.simulator.url,
    publicKeyId: h.credentials.publicKeyId,
  };
  return spawnReadyChild(SCRIPT, {
    env: { ...process.env, BILLING_WORKER_SPEC: JSON.stringify(spec), AMAZON_PAY_PRIVATE_KEY: h.credentials.privateKeyPem },
    readyLine: 'worker-ready',
    what: 'worker process',
    readyTimeoutMs,
  });
}
