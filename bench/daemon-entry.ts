// The daemon process the benchmarks and the fault suite run: worker.ts (the production entry)
// with one difference — IPN signatures are checked against the simulator's signing key
// (BENCH_IPN_PUBLIC_KEY_PEM) instead of an Amazon SNS certificate, as `npm run dev` does.
import '../config/luxon-strict.js';
import { amazonPayInputFromEnv, parseAmazonPayConfig } from '../amazonpay/config.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../config/logger.js';
import { startDaemon } from '../daemon/run.js';
import { installTemporalRuntime } from '../daemon/runtime.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const publicKeyPem = process.env.BENCH_IPN_PUBLIC_KEY_PEM;
  if (!config.database.url || !config.temporal.connection.address || !publicKeyPem) {
    throw new Error('bench/daemon-entry.ts needs DATABASE_URL, TEMPORAL_ADDRESS and BENCH_IPN_PUBLIC_KEY_PEM (bench/worker-process.ts sets them)');
  }
  const logger = createLogger(config.logLevel);
  installTemporalRuntime(logger);
  const daemon = await startDaemon({
    config,
    databaseUrl: config.database.url,
    temporalAddress: config.temporal.connection.address,
    amazonPay: parseAmazonPayConfig(amazonPayInputFromEnv(config.amazonPayEnv)),
    logger,
    ipnSignature: { mode: 'trusted-key', publicKeyPem },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void daemon.shutdown());
  await daemon.done;
}

main().catch((error: unknown) => {
  console.error(`bench daemon failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
