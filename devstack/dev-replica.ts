// One more daemon replica for `npm run dev -- --replicas N` (devstack/dev-replicas.ts spawns it):
// the same daemon as the dev process's own, on the ports and with the settings BILLING_DEV_REPLICA
// gives. Prints one BILLING_REPLICA_READY line with its endpoints once started; SIGTERM drains it.
import '../config/luxon-strict.js';
import { amazonPayInputFromEnv, parseAmazonPayConfig } from '../amazonpay/config.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../config/logger.js';
import { startDaemon } from '../daemon/run.js';
import { installTemporalRuntime, temporalMetricsAddress } from '../daemon/runtime.js';
import { onShutdownSignal } from '../daemon/signals.js';
import { REPLICA_READY_PREFIX, replicaConfig, type ReplicaEndpoints, type ReplicaSpec } from './dev-replicas.js';
import { ensureSandboxCredentials, simulatorAmazonPay } from './sandbox-credentials.js';
import { simulatorIpnTrust } from './simulator-ipn.js';

async function main(): Promise<void> {
  const spec = JSON.parse(process.env.BILLING_DEV_REPLICA ?? 'null') as ReplicaSpec | null;
  if (!spec) throw new Error('devstack/dev-replica.ts is started by `npm run dev -- --replicas N`, which sets BILLING_DEV_REPLICA');
  const config = replicaConfig(loadConfig(), spec.ports, spec.rateLimits);
  const logger = createLogger(config.logLevel).child({ replica: spec.name });
  const amazonPay = spec.simulator
    ? simulatorAmazonPay(await ensureSandboxCredentials(spec.simulator.credentialsDir), spec.simulator.url, spec.simulator.region)
    : parseAmazonPayConfig(amazonPayInputFromEnv(config.amazonPayEnv));
  installTemporalRuntime(logger, { metricsAddress: temporalMetricsAddress(config.billing.operations) });
  const daemon = await startDaemon({
    config,
    databaseUrl: spec.databaseUrl,
    temporalAddress: spec.temporalAddress,
    amazonPay,
    logger,
    replica: spec.name,
    apiReferencePage: true,
    ...(spec.simulator ? simulatorIpnTrust(spec.simulator) : {}),
  });
  onShutdownSignal(() => void daemon.shutdown());
  const endpoints: ReplicaEndpoints = {
    name: spec.name,
    ipnUrl: daemon.ipnUrl,
    apiUrl: daemon.apiUrl,
    operationsUrl: daemon.operationsUrl,
    sdkMetricsAddress: temporalMetricsAddress(config.billing.operations),
  };
  process.stdout.write(`${REPLICA_READY_PREFIX}${JSON.stringify(endpoints)}\n`);
  await daemon.done;
}

main().catch((error: unknown) => {
  console.error(`[dev] replica failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
