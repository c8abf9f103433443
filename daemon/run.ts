import { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities } from '../activities/index.js';
import { createAmazonPayClient } from '../amazonpay/client.js';
import type { AmazonPayConfig } from '../amazonpay/config.js';
import type { Config } from '../config/index.js';
import { createDb } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { temporalConnectionOptions } from './temporal-connection.js';
import { createWorkers, runWorkers } from './workers.js';

export interface DaemonOptions {
  config: Config;
  databaseUrl: string;
  temporalAddress: string;
  amazonPay: AmazonPayConfig;
  logger: Logger;
}

export interface Daemon {
  /** Resolves when the daemon has stopped; rejects if a worker failed. */
  readonly done: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The long-running daemon: database (migrated) → Temporal connection → workers on the three
 * task queues. Housekeeping and the IPN endpoint attach here as they are added.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger } = options;
  logger.info('applying database migrations');
  await migrateDatabase(options.databaseUrl);
  const database = createDb(options.databaseUrl, { max: config.database.poolSize });
  const amazonPay = createAmazonPayClient(options.amazonPay);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal, options.temporalAddress));
  const workers = await createWorkers({
    connection,
    namespace: config.temporal.connection.namespace,
    temporal: config.temporal,
    activities: createActivities({ db: database.db, amazonPay, now: () => new Date() }),
  });
  const running = runWorkers(workers);
  logger.info({ taskQueues: config.temporal.taskQueues, namespace: config.temporal.connection.namespace }, 'workers polling');

  let stopping: Promise<void> | undefined;
  const cleanUp = async () => {
    await connection.close().catch(() => {});
    amazonPay.close();
    await database.close();
  };
  const done = running.finally(cleanUp);
  return {
    done,
    shutdown() {
      stopping ??= (async () => {
        logger.info('shutting down: finishing in-flight tasks');
        for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
        await done.catch((error: unknown) => logger.error({ err: error }, 'worker stopped with an error'));
        logger.info('stopped');
      })();
      return stopping;
    },
  };
}
