import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { sharedCallSpacer } from '../activities/call-spacer.js';
import { createActivities } from '../activities/index.js';
import { createAmazonPayClient } from '../amazonpay/client.js';
import type { AmazonPayConfig } from '../amazonpay/config.js';
import type { Config } from '../config/index.js';
import { createDb } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { startApiServer, type ApiServer } from '../api/server.js';
import type { BillingClientDeps } from '../client/deps.js';
import { createIpnDispatcher } from '../ipn/dispatcher.js';
import { startIpnServer, type IpnServer } from '../ipn/server.js';
import type { SignatureVerification } from '../ipn/signature.js';
import { createHousekeepingJobs, type HousekeepingJobs } from './housekeeping/jobs.js';
import { startHousekeeping, type HousekeepingScheduler } from './housekeeping/scheduler.js';
import { BillingMetrics } from './metrics.js';
import { startOperationsServer, type OperationsServer } from './operations.js';
import { temporalConnectionOptions } from './temporal-connection.js';
import { temporalWebUi } from '../config/temporal.js';
import { createWorkers, runWorkers } from './workers.js';
import { hostname } from 'node:os';
import { startWebhookDispatcher, type WebhookDispatcher } from '../webhooks/dispatcher.js';

export interface DaemonOptions {
  config: Config;
  databaseUrl: string;
  temporalAddress: string;
  amazonPay: AmazonPayConfig;
  logger: Logger;
  /**
   * How IPN signatures are checked. Default 'sns' (production: the certificate at an
   * sns.<region>.amazonaws.com URL). The dev stack passes the simulator's key ('trusted-key').
   */
  ipnSignature?: SignatureVerification;
  /**
   * Topics whose IPNs are accepted besides billing.yaml's ipn.allowedTopicArns: the simulator's,
   * when it stands in for Amazon Pay (devstack/simulator-ipn.ts).
   */
  ipnTopicArns?: readonly string[];
  /** Name in housekeeping_runs; default host:pid. */
  replica?: string;
  /** false: housekeeping jobs are not put on their cron schedules (tests trigger them directly). */
  scheduleHousekeeping?: boolean;
  /** Serve the API reference page at /v1/docs whatever billing.yaml says (npm run dev). */
  apiReferencePage?: boolean;
}

export interface Daemon {
  /** Resolves when the daemon has stopped; rejects if a worker failed. */
  readonly done: Promise<void>;
  /** Where the IPN endpoint listens, e.g. http://127.0.0.1:8787/ipn. */
  readonly ipnUrl: string;
  /** Base URL of /healthz, /readyz, /metrics. */
  readonly operationsUrl: string;
  /** Base URL of the HTTP API (routes under /v1). */
  readonly apiUrl: string;
  readonly housekeeping: HousekeepingScheduler;
  readonly jobs: HousekeepingJobs;
  readonly metrics: BillingMetrics;
  /** Delivers events to webhook endpoints (webhooks/); every replica runs one. */
  readonly webhooks: WebhookDispatcher;
  shutdown(): Promise<void>;
}

/**
 * The long-running daemon: database (migrated) → Temporal connections → workers on the three
 * task queues → IPN endpoint, housekeeping cron jobs and the operations endpoint.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  const { billing } = config;
  logger.info('applying database migrations');
  await migrateDatabase(options.databaseUrl);
  const database = createDb(options.databaseUrl, { max: config.database.poolSize });
  const amazonPay = createAmazonPayClient(options.amazonPay);
  const connectionOptions = temporalConnectionOptions(config.temporal, options.temporalAddress);
  const connection = await NativeConnection.connect(connectionOptions);
  const clientConnection = await Connection.connect(connectionOptions);
  const namespace = config.temporal.connection.namespace;
  const client = new Client({ connection: clientConnection, namespace });
  const metrics = new BillingMetrics(database.db);
  metrics.watchAmazonClockOffset(() => amazonPay.clockOffsetMs());
  const taskQueues = config.temporal.taskQueues;
  // One clock for every part of the daemon that stamps or decides by time.
  const now = (): Date => new Date();

  const workers: Worker[] = await createWorkers({
    connection,
    namespace,
    temporal: config.temporal,
    activities: createActivities({
      db: database.db,
      amazonPay,
      now,
      temporal: client,
      logger,
      metrics,
      region: options.amazonPay.region,
      spaceCalls: sharedCallSpacer(database.db, { operation: 'createCharge', perSecond: config.temporal.rateLimits.createChargePerSecond }),
      createChargePerSecond: config.temporal.rateLimits.createChargePerSecond,
    }),
  });
  const running = runWorkers(workers);
  logger.info({ taskQueues, namespace }, 'workers polling');

  const dispatcher = createIpnDispatcher({ db: database.db, client, taskQueues, now, logger: logger.child({ component: 'ipn' }) });
  const jobs = createHousekeepingJobs({
    db: database.db,
    amazonPay,
    temporal: client,
    dispatcher,
    workflowsTaskQueue: taskQueues.workflows,
    reconcileBudget: billing.housekeeping.reconcileBudget,
    pruneAfterMs: billing.housekeeping.pruneAfter,
    idempotencyRetentionMs: billing.api.idempotencyRetention,
    now,
    logger: logger.child({ component: 'housekeeping' }),
    metrics,
    // Reconciliation reads Amazon Pay outside the amazon-reads queue, whose server-side cap
    // cannot see it: it takes at most a quarter of that rate and stops at the first 429.
    reconcileReadsPerSecond: config.temporal.rateLimits.amazonReadsPerSecond / 4,
    trialWillEndBeforeMs: billing.housekeeping.trialWillEndBefore,
    permissionWillExpireBeforeMs: billing.housekeeping.permissionWillExpireBefore,
  });
  const { inboxRetry, reconcile, drift, prune, trialWillEnd, permissionWillExpire } = billing.housekeeping;
  const crons = { inboxRetry, reconcile, drift, prune, trialWillEnd, permissionWillExpire };
  // The run locks on connections of their own (one per job): a job holds its lock's connection for
  // its whole run and queries through the billing pool, which a small DATABASE_POOL_SIZE would
  // otherwise exhaust (a job waiting for a connection its own lock holds).
  const housekeepingLocks = createDb(options.databaseUrl, { max: Object.keys(crons).length });
  const housekeeping = startHousekeeping({
    sql: housekeepingLocks.sql,
    jobs,
    crons: options.scheduleHousekeeping === false ? {} : crons,
    logger: logger.child({ component: 'housekeeping' }),
    ...(options.replica ? { replica: options.replica } : {}),
    onRun: (job, result) => metrics.onHousekeeping(job, result),
  });

  // Webhook delivery on a pool of its own: a slow endpoint or a backlog never takes billing's connections.
  const webhookDatabase = createDb(options.databaseUrl, { max: Math.min(10, Math.max(3, Math.ceil(billing.webhooks.concurrency / 4))) });
  const webhooks = await startWebhookDispatcher({
    db: webhookDatabase.db,
    sql: webhookDatabase.sql,
    settings: billing.webhooks,
    logger: logger.child({ component: 'webhooks' }),
    replica: options.replica ?? `${hostname()}:${process.pid}`,
    metrics,
    now,
  });

  let ipn: IpnServer | undefined;
  let operations: OperationsServer | undefined;
  let api: ApiServer | undefined;
  // The HTTP API drives the same library as the CLI, on this daemon's connections.
  const apiDeps: BillingClientDeps = {
    db: database.db,
    temporal: async () => client,
    amazonPay: () => amazonPay,
    environment: options.amazonPay.environment,
    region: options.amazonPay.region,
    taskQueues,
    policy: billing.policy,
    now,
  };
  try {
    ipn = await startIpnServer({
      ...billing.ipn,
      allowedTopicArns: [...billing.ipn.allowedTopicArns, ...(options.ipnTopicArns ?? [])],
      db: database.db,
      dispatcher,
      signature: options.ipnSignature ?? { mode: 'sns' },
      logger: logger.child({ component: 'ipn' }),
      onReceived: (result) => metrics.onIpnReceived(result),
    });
    api = await startApiServer({
      host: billing.api.host,
      port: billing.api.port,
      bodyLimit: billing.api.maxBodyBytes,
      idempotencyRetentionMs: billing.api.idempotencyRetention,
      webhookSecretGraceMs: billing.webhooks.secretGracePeriod,
      referencePage: options.apiReferencePage ?? billing.api.referencePage,
      deps: apiDeps,
      logger: logger.child({ component: 'api' }),
      dashboard: {
        forecast: {
          quotaPerSecond: config.temporal.rateLimits.createChargePerSecond,
          capacityPerSecond: billing.forecast.capacityPerSecond,
          capacityLookbackMs: billing.forecast.capacityLookback,
          warnAfterMs: billing.forecast.warnAfter,
        },
        temporalUi: temporalWebUi(config.temporal),
      },
    });
    operations = await startOperationsServer({
      ...billing.operations,
      registry: metrics.registry,
      logger,
      checks: {
        database: async () => (await database.sql`select 1 as ok`).length === 1,
        temporal: async () => {
          await clientConnection.healthService.check({});
          return true;
        },
        workers: async () => workers.every((w) => w.getState() === 'RUNNING'),
      },
    });
  } catch (error) {
    await ipn?.close();
    await api?.close();
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.allSettled([running, housekeeping.stop(), webhooks.stop()]);
    await Promise.allSettled([connection.close(), clientConnection.close(), database.close(), webhookDatabase.close(), housekeepingLocks.close()]);
    amazonPay.close();
    throw error;
  }
  logger.info({ ipn: ipn.url, api: api.url, operations: operations.url }, 'ipn, api and operations endpoints listening');
  const apiServer = api;

  let stopping: Promise<void> | undefined;
  let workerFailure: unknown;
  let finished!: () => void;
  const allClosed = new Promise<void>((resolve) => (finished = resolve));
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('shutting down: no new IPNs, finishing in-flight work');
      operations.markStopping();
      // In-flight IPN requests are stored and answered; new connections are refused, so SNS retries them.
      await Promise.all([ipn.close(), apiServer.close()]);
      await dispatcher.drain();
      jobs.stop();
      // Attempts in flight finish (each bounded by webhooks.requestTimeout); an unfinished one is taken over after its lease.
      await Promise.all([housekeeping.stop(), webhooks.stop()]);
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), billing.shutdownGrace).unref());
      const stopped = await Promise.race([
        running.then(
          () => 'stopped' as const,
          () => 'stopped' as const,
        ),
        grace,
      ]);
      if (stopped === 'timeout') logger.warn({ graceMs: billing.shutdownGrace }, 'workers did not stop within the shutdown grace; closing anyway');
      await operations.close();
      await Promise.allSettled([connection.close(), clientConnection.close()]);
      amazonPay.close();
      await Promise.all([database.close().catch(() => {}), webhookDatabase.close().catch(() => {}), housekeepingLocks.close().catch(() => {})]);
      logger.info('stopped');
      finished();
    })();
    return stopping;
  };
  // A worker that fails on its own takes the whole daemon down cleanly, and done rejects.
  running.catch((error: unknown) => {
    workerFailure = error;
    logger.error({ err: (error as Error)?.message }, 'a worker failed; shutting down');
    void shutdown();
  });
  const done = allClosed.then(() => {
    if (workerFailure !== undefined) throw workerFailure;
  });

  return { done, ipnUrl: ipn.url, operationsUrl: operations.url, apiUrl: api.url, housekeeping, jobs, metrics, webhooks, shutdown };
}
