// Shared by the ipn-* and daemon-* integration tests: the real daemon (startDaemon) on a test
// database, the shared dev server and a simulator, with ports chosen by the kernel.
import { SIMULATOR_MERCHANT_ID, SIMULATOR_STORE_ID } from '../../devstack/sandbox-credentials.js';
import { generateKeyPairSync } from 'node:crypto';
import type { Logger } from 'pino';
import { inject } from 'vitest';
import { parseAmazonPayConfig, type AmazonPayConfig } from '../../amazonpay/config.js';
import type { SubscriptionSpec } from '../../billing/types.js';
import { launchSubscription, type LaunchContext } from '../../client/launch.js';
import { loadConfig, type Config } from '../../config/index.js';
import { createLogger } from '../../config/logger.js';
import { startDaemon, type Daemon } from '../../daemon/run.js';
import type { SignatureVerification } from '../../ipn/signature.js';
import type { BillingPolicy } from '../../workflows/types.js';
import { createSimulatorControl, type SimulatorControl } from '../../simulator/control-client.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.js';
import { FAST_POLICY, randomPublicKeyId } from '../support/billing-harness.js';
import { connectTestTemporal, createTestDatabase, uniqueTaskQueue, type TestDatabase, type TestTemporal } from '../support/integration.js';

export interface TaskQueues {
  workflows: string;
  charges: string;
  amazonReads: string;
}

export function uniqueTaskQueues(): TaskQueues {
  return { workflows: uniqueTaskQueue('billing'), charges: uniqueTaskQueue('charges'), amazonReads: uniqueTaskQueue('amazon') };
}

export interface SimulatorWithKeys {
  simulator: Simulator;
  control: SimulatorControl;
  amazonPay: AmazonPayConfig;
}

export async function startTestSimulator(options: SimulatorOptions = {}): Promise<SimulatorWithKeys> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyId = randomPublicKeyId();
  const simulator = await startSimulator({
    publicKeys: { [publicKeyId]: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    throttle: { table: 'off' },
    pendingDelayMs: 60 * 60_000,
    ...options,
  });
  const amazonPay = parseAmazonPayConfig({
    publicKeyId,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    region: 'na',
    endpoint: simulator.url,
    timeoutMs: 5_000,
    storeId: SIMULATOR_STORE_ID,
    merchantId: SIMULATOR_MERCHANT_ID,
  });
  return { simulator, control: createSimulatorControl(simulator.url), amazonPay };
}

/** The product's Config with test ports (0), small pools and the given task queues. */
export function testConfig(databaseUrl: string, taskQueues: TaskQueues, overrides: { maxBodyBytes?: number; shutdownGraceMs?: number } = {}): Config {
  const base = loadConfig({}, process.cwd());
  return {
    ...base,
    temporal: {
      ...base.temporal,
      connection: { ...base.temporal.connection, namespace: inject('temporalNamespace') },
      taskQueues,
      worker: {
        ...base.temporal.worker,
        maxCachedWorkflows: 50,
        maxConcurrentWorkflowTaskExecutions: 10,
        maxConcurrentActivityTaskExecutions: 20,
        shutdownGraceTimeMs: 2_000,
      },
      rateLimits: { ...base.temporal.rateLimits, createChargePerSecond: 100, amazonReadsPerSecond: 100 },
    },
    billing: {
      ...base.billing,
      ipn: { ...base.billing.ipn, host: '127.0.0.1', port: 0, path: '/ipn', maxBodyBytes: overrides.maxBodyBytes ?? 64 * 1024 },
      operations: { host: '127.0.0.1', port: 0, temporalMetricsPort: null },
      api: { ...base.billing.api, host: '127.0.0.1', port: 0, maxBodyBytes: 64 * 1024, referencePage: false },
      shutdownGrace: overrides.shutdownGraceMs ?? 15_000,
    },
    database: { url: databaseUrl, poolSize: 5 },
  };
}

export async function startTestDaemon(input: {
  database: TestDatabase;
  taskQueues: TaskQueues;
  amazonPay: AmazonPayConfig;
  signature: SignatureVerification;
  replica?: string;
  scheduleHousekeeping?: boolean;
  housekeeping?: Partial<Config['billing']['housekeeping']>;
  /** billing.yaml `webhooks` overrides (ms): e.g. a retry schedule of seconds for a test. */
  webhooks?: Partial<Config['billing']['webhooks']>;
  /** temporal.yaml webUiUrl: where the dashboard links workflows. */
  webUiUrl?: string;
  /** Default: the product's logger at LOG_LEVEL (warn), named after the replica. */
  logger?: Logger;
}): Promise<Daemon> {
  const config = testConfig(input.database.url, input.taskQueues);
  return startDaemon({
    config: {
      ...config,
      temporal: { ...config.temporal, webUiUrl: input.webUiUrl ?? null },
      billing: {
        ...config.billing,
        housekeeping: { ...config.billing.housekeeping, ...input.housekeeping },
        webhooks: { ...config.billing.webhooks, ...input.webhooks },
      },
    },
    databaseUrl: input.database.url,
    temporalAddress: inject('temporalAddress'),
    amazonPay: input.amazonPay,
    logger: input.logger ?? createLogger(process.env.LOG_LEVEL ?? 'warn', input.replica ?? 'daemon'),
    ipnSignature: input.signature,
    scheduleHousekeeping: input.scheduleHousekeeping ?? false,
    ...(input.replica ? { replica: input.replica } : {}),
  });
}

export function launcher(database: TestDatabase, temporal: TestTemporal, taskQueues: TaskQueues) {
  const ctx: LaunchContext = { db: database.db, client: temporal.client, environment: 'sandbox', taskQueues, policy: FAST_POLICY };
  return (spec: SubscriptionSpec, policy?: Partial<BillingPolicy>) => launchSubscription(ctx, spec, policy);
}

export { connectTestTemporal };

/** A subscription that will not bill during the test (far anchor): only IPNs can end it. */
export function idleSpec(id: string, chargePermissionId: string): SubscriptionSpec {
  return {
    id,
    chargePermissionId,
    plan: { amountMinor: '1000', currency: 'USD', interval: { unit: 'month', count: 1 } },
    anchor: { localDateTime: '2099-01-15T09:00:00', zone: 'UTC' },
  };
}

/** A test database, the dev server, a simulator and the daemon on them, the simulator's IPNs sent to the daemon. */
export interface DaemonStack {
  database: TestDatabase;
  temporal: TestTemporal;
  sim: SimulatorWithKeys;
  daemon: Daemon;
  close(): Promise<void>;
}

export async function startDaemonStack(): Promise<DaemonStack> {
  const [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
  const sim = await startTestSimulator();
  const daemon = await startTestDaemon({
    database,
    taskQueues: uniqueTaskQueues(),
    amazonPay: sim.amazonPay,
    signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
  });
  await sim.control.setIpn({ url: daemon.ipnUrl, retryScheduleMs: [500, 1_000, 2_000] });
  return {
    database,
    temporal,
    sim,
    daemon,
    async close() {
      await daemon.shutdown();
      await sim.simulator.close();
      await temporal.close();
      await database.drop();
    },
  };
}
