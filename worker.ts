// The production daemon: `npm run worker`. Needs an external PostgreSQL (DATABASE_URL), a
// Temporal server (temporal.yaml connection.address or TEMPORAL_ADDRESS) and Amazon Pay
// credentials (AMAZON_PAY_*). `npm run dev` runs the same daemon with everything embedded.
import './config/luxon-strict.js';
import { amazonPayInputFromEnv, parseAmazonPayConfig } from './amazonpay/config.js';
import { ConfigError, loadConfig } from './config/index.js';
import { createLogger } from './config/logger.js';
import { startDaemon } from './daemon/run.js';
import { installTemporalRuntime, temporalMetricsAddress } from './daemon/runtime.js';
import { onShutdownSignal } from './daemon/signals.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const missing: string[] = [];
  if (!config.database.url) missing.push('DATABASE_URL (a postgres:// URL)');
  if (!config.temporal.connection.address) missing.push('a Temporal address (TEMPORAL_ADDRESS, or connection.address in temporal.yaml)');
  if (Object.keys(config.amazonPayEnv).length === 0)
    missing.push('Amazon Pay credentials (AMAZON_PAY_PUBLIC_KEY_ID, AMAZON_PAY_PRIVATE_KEY_PATH, AMAZON_PAY_REGION, …)');
  if (missing.length > 0) {
    throw new ConfigError('the environment', [
      `the production worker needs ${missing.join(', ')}; to run everything embedded with the Amazon Pay simulator, use \`npm run dev\``,
    ]);
  }
  const amazonPay = parseAmazonPayConfig(amazonPayInputFromEnv(config.amazonPayEnv));
  const logger = createLogger(config.logLevel);
  installTemporalRuntime(logger, { metricsAddress: temporalMetricsAddress(config.billing.operations) });
  const daemon = await startDaemon({ config, databaseUrl: config.database.url!, temporalAddress: config.temporal.connection.address!, amazonPay, logger });
  onShutdownSignal(() => void daemon.shutdown());
  await daemon.done;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(`billing daemon failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
