// The product's three workers in a process of their own, so a test can SIGKILL them mid-charge.
//
// Usage (spawned by test/support/child-workers.ts):
//   BILLING_WORKER_SPEC='{"temporalAddress":…,"namespace":…,"taskQueues":{…},"databaseUrl":…,"simulatorUrl":…,"publicKeyId":…}' \
//   AMAZON_PAY_PRIVATE_KEY='-----BEGIN PRIVATE KEY-----…' node --import tsx test/support/worker-process.ts
// Prints "worker-ready" on stdout once all three workers poll; runs until killed or SIGTERM.
import { TEST_WORKER_TUNING } from './constants.js';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { createAmazonPayClient } from '../../amazonpay/client.js';
import { parseAmazonPayConfig } from '../../amazonpay/config.js';
import { createWorkers, runWorkers } from '../../daemon/workers.js';
import { createDb } from '../../db/client.js';

export interface WorkerProcessSpec {
  temporalAddress: string;
  namespace: string;
  taskQueues: { workflows: string; charges: string; amazonReads: string };
  databaseUrl: string;
  simulatorUrl: string;
  publicKeyId: string;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env['BILLING_WORKER_SPEC'] ?? '') as WorkerProcessSpec;
  const privateKey = process.env['AMAZON_PAY_PRIVATE_KEY'];
  if (!privateKey) throw new Error('AMAZON_PAY_PRIVATE_KEY is not set');
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
  });
  const database = createDb(spec.databaseUrl, { max: 5 });
  const amazonPay = createAmazonPayClient(
    parseAmazonPayConfig({ publicKeyId: spec.publicKeyId, privateKey, region: 'na', endpoint: spec.simulatorUrl, timeoutMs: 5_000 }),
  );
  const connection = await NativeConnection.connect({ address: spec.temporalAddress });
  const workers = await createWorkers({
    connection,
    namespace: spec.namespace,
    temporal: {
      taskQueues: spec.taskQueues,
      worker: TEST_WORKER_TUNING,
      rateLimits: { createChargePerSecond: 100, amazonReadsPerSecond: 100 },
    },
    activities: createActivities({ db: database.db, amazonPay, now: () => new Date() }),
  });
  const running = runWorkers(workers);
  process.stdout.write('worker-ready\n');
  process.once('SIGTERM', () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  });
  await running;
  amazonPay.close();
  await database.close();
  await connection.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`worker-process failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
