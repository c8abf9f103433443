import { SIMULATOR_MERCHANT_ID, SIMULATOR_STORE_ID } from '../../devstack/sandbox-credentials.js';
import { TEST_WORKER_TUNING } from './constants.js';
import { generateKeyPairSync, randomInt } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { createAmazonPayClient, type AmazonPayClient } from '../../amazonpay/client.js';
import { parseAmazonPayConfig } from '../../amazonpay/config.js';
import type { SubscriptionSpec } from '../../billing/types.js';
import { createBillingClient, type BillingClient } from '../../client/index.js';
import { launchSubscription, type LaunchContext } from '../../client/launch.js';
import { DEFAULT_BILLING_POLICY } from '../../config/policy.js';
import { createWorkers, runWorkers } from '../../daemon/workers.js';
import { createSimulatorControl, type SimulatorControl } from '../../simulator/control-client.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/server.js';
import type { BillingPolicy } from '../../workflows/types.js';
import { ActivityFaults } from './activity-faults.js';
import { connectTestTemporal, createTestDatabase, uniqueTaskQueue, type TestDatabase, type TestTemporal } from './integration.js';

/** Test policy: the default shape with every wait shrunk to seconds. */
export const FAST_POLICY: BillingPolicy = {
  ...DEFAULT_BILLING_POLICY,
  dunningRetryDelaysMs: [500, 500, 500, 500],
  paymentMethodGraceMs: 60_000,
  paymentMethodCheckIntervalMs: 1_000,
  pendingPollInitialMs: 500,
  pendingPollMaxMs: 2_000,
  pendingMaxWaitMs: 60_000,
  chargeRetryWindowMs: 10 * 60_000,
  chargeAttemptTimeoutMs: 15_000,
  monthlyCapRetryMarginMs: 500,
};

export function randomPublicKeyId(): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return `SANDBOX-${Array.from({ length: 24 }, () => alphabet[randomInt(alphabet.length)]).join('')}`;
}

export interface BillingHarness {
  readonly database: TestDatabase;
  readonly temporal: TestTemporal;
  readonly simulator: Simulator;
  readonly control: SimulatorControl;
  readonly amazonPay: AmazonPayClient;
  readonly launchContext: LaunchContext;
  readonly taskQueues: LaunchContext['taskQueues'];
  /** Makes a named activity of one workflow fail (test/support/activity-faults.ts). */
  readonly activityFaults: ActivityFaults;
  /** The sandbox key the simulator trusts: for workers in another process (test/support/worker-process.ts). */
  readonly credentials: { publicKeyId: string; privateKeyPem: string };
  /** The clock activities, the Amazon Pay client and the simulator share (real time + clockOffsetMs). */
  readonly now: () => Date;
  /** Moves that shared clock (e.g. to just before a month boundary); Temporal timers stay on real time. */
  setClockOffsetMs(offsetMs: number): void;
  /** Puts the daemon's host clock (activities, Amazon Pay client) this far ahead of the simulator's (Amazon's). */
  setHostClockAheadMs(aheadMs: number): void;
  /** `permission.expiresAt`: the Charge Permission's expirationTimestamp, as start passes it on from Get Charge Permission. */
  launch(spec: SubscriptionSpec, policy?: Partial<BillingPolicy>, permission?: { expiresAt?: Date | null }): ReturnType<typeof launchSubscription>;
  /** Starts (or restarts after stopWorkers) the three workers. */
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Real Temporal dev server + real PostgreSQL (own database) + the Amazon Pay simulator, with
 * the product's own workers on task queues no other test file uses.
 */
export interface BillingHarnessOptions {
  simulator?: SimulatorOptions;
  createChargePerSecond?: number;
  /** Shifts "now" for activities, the Amazon Pay client and the simulator (not for Temporal timers). */
  clockOffsetMs?: number;
  /** The daemon's host clock (activities, Amazon Pay client) this far ahead of Amazon's (the simulator's). */
  hostClockAheadMs?: number;
  /** false: start no workers in this process (e.g. they run in a child process). Default true. */
  workers?: boolean;
  /** Waits for a Create Charge slot before each send, as the daemon's call spacer does (activities/call-spacer.ts). Default: none. */
  spaceCalls?: () => Promise<void>;
  /** Changes the product's activities before the workers get them (e.g. a slower one, to open a race window). */
  wrapActivities?: (activities: ReturnType<typeof createActivities>) => ReturnType<typeof createActivities>;
  /** A database and Temporal connection made by the caller (scripts outside vitest, e.g. test/replay/record.ts). */
  resources?: { database: TestDatabase; temporal: TestTemporal };
}

export async function startBillingHarness(options: BillingHarnessOptions = {}): Promise<BillingHarness> {
  const [database, temporal] = options.resources
    ? [options.resources.database, options.resources.temporal]
    : await Promise.all([createTestDatabase(), connectTestTemporal()]);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyId = randomPublicKeyId();
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let offsetMs = options.clockOffsetMs ?? 0;
  const now = (): Date => new Date(Date.now() + offsetMs);
  let hostAheadMs = options.hostClockAheadMs ?? 0;
  const hostNow = (): Date => new Date(now().getTime() + hostAheadMs);
  const simulator = await startSimulator({
    clock: now,
    publicKeys: { [publicKeyId]: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    throttle: { table: 'off' },
    pendingDelayMs: 60 * 60_000,
    ...options.simulator,
  });
  const amazonPay = createAmazonPayClient(
    parseAmazonPayConfig({
      publicKeyId,
      privateKey: privateKeyPem,
      region: 'na',
      endpoint: simulator.url,
      timeoutMs: 5_000,
      storeId: SIMULATOR_STORE_ID,
      merchantId: SIMULATOR_MERCHANT_ID,
    }),
    { now: hostNow },
  );
  const taskQueues = { workflows: uniqueTaskQueue('billing'), charges: uniqueTaskQueue('charges'), amazonReads: uniqueTaskQueue('amazon') };
  const launchContext: LaunchContext = { db: database.db, client: temporal.client, environment: 'sandbox', taskQueues, policy: FAST_POLICY };

  const activityFaults = new ActivityFaults();
  let workers: Worker[] = [];
  let running: Promise<void> = Promise.resolve();
  const startWorkers = async () => {
    workers = await createWorkers({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      temporal: {
        taskQueues,
        worker: TEST_WORKER_TUNING,
        rateLimits: { createChargePerSecond: options.createChargePerSecond ?? 100, amazonReadsPerSecond: 100 },
      },
      // The Temporal client lets the IPN handler's reaction signal subscriptions (test/replay scenarios).
      activities: activityFaults.wrap(
        (options.wrapActivities ?? ((a) => a))(
          createActivities({
            db: database.db,
            amazonPay,
            now: hostNow,
            temporal: temporal.client,
            spaceCalls: options.spaceCalls,
            createChargePerSecond: options.createChargePerSecond ?? 100,
          }),
        ),
      ),
    });
    running = runWorkers(workers);
  };
  const stopWorkers = async () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running;
  };
  if (options.workers !== false) await startWorkers();

  return {
    database,
    temporal,
    simulator,
    control: createSimulatorControl(simulator.url),
    amazonPay,
    launchContext,
    taskQueues,
    activityFaults,
    credentials: { publicKeyId, privateKeyPem },
    now,
    setClockOffsetMs(ms) {
      offsetMs = ms;
    },
    setHostClockAheadMs(ms) {
      hostAheadMs = ms;
    },
    launch: (spec, policy, permission) => launchSubscription(launchContext, spec, policy, permission),
    startWorkers,
    stopWorkers,
    async close() {
      await stopWorkers().catch(() => {});
      amazonPay.close();
      await simulator.close();
      await temporal.close();
      await database.drop();
    },
  };
}

/** Wall time in UTC `secondsFromNow` ahead, as a billing anchor ('YYYY-MM-DDTHH:mm:ss'). */
export function anchorSecondsFromNow(secondsFromNow: number): { localDateTime: string; zone: string } {
  const at = new Date(Math.ceil((Date.now() + secondsFromNow * 1000) / 1000) * 1000);
  return { localDateTime: at.toISOString().slice(0, 19), zone: 'UTC' };
}

/** Polls `read` until `done` holds or the bound passes (then fails with the last value). */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 60_000, intervalMs = 250, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await read();
  }
  return last;
}

/** The admin library on the harness's database, Temporal and workers (`amazonPay`: another merchant client, e.g. in another region). */
/**
 * Another Amazon Pay client on the harness's merchant key and simulator, naming `region` (x-amz-pay-region):
 * e.g. eu, where the simulator applies the EU/UK (PSD2) rules. The caller closes it.
 */
export function amazonPayInRegion(h: BillingHarness, region: 'na' | 'eu' | 'jp'): AmazonPayClient {
  return createAmazonPayClient(
    parseAmazonPayConfig({
      publicKeyId: h.credentials.publicKeyId,
      privateKey: h.credentials.privateKeyPem,
      region,
      endpoint: h.simulator.url,
      timeoutMs: 5_000,
      storeId: SIMULATOR_STORE_ID,
      merchantId: SIMULATOR_MERCHANT_ID,
    }),
  );
}

export function billingClientOf(h: BillingHarness, amazonPay: AmazonPayClient = h.amazonPay): BillingClient {
  return createBillingClient({
    db: h.database.db,
    temporal: async () => h.temporal.client,
    amazonPay: () => amazonPay,
    environment: 'sandbox',
    taskQueues: h.launchContext.taskQueues,
    policy: h.launchContext.policy,
    now: () => new Date(),
  });
}
