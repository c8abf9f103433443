// The Temporal `npm run dev` starts when none is configured: the temporal CLI's dev server
// (`--temporal dev`, the default: one process, SQLite, Web UI built in) or the self-hosted Temporal
// server on PostgreSQL (`--temporal cluster`: the production topology, with the Web UI server
// beside it). Both listen where temporal.yaml's devServer says and get its search attributes and
// dynamic config.
import { join, resolve } from 'node:path';
import type { Config } from '../config/index.js';
import type { DevTemporal } from './dev-args.js';
import { GoBuildUnavailableError } from './go-build.js';
import { TEMPORAL_CLI_VERSION, ensureTemporalCli } from './temporal-cli.js';
import { allClusterPorts, standardClusterPorts } from './temporal-cluster-config.js';
import { startTemporalCluster } from './temporal-cluster.js';
import { startTemporalDevServer } from './temporal-dev-server.js';
import { TEMPORAL_SERVER_VERSION, ensureTemporalServer, ensureTemporalUiServer } from './temporal-server-build.js';
import { startTemporalUi, type TemporalUi } from './temporal-ui.js';

export interface DevTemporalStack {
  address: string;
  uiUrl: string | null;
  /** For the printout: which Temporal runs. */
  kind: string;
  /** Where its data stays (one of the two). */
  dbFile?: string;
  databases?: readonly string[];
  stop(): Promise<void>;
}

/** The Web UI server, or null (said in one line) when it cannot be built: the cluster runs without it and the printout shows the CLI query instead. */
async function uiServerOrNone(say: (line: string) => void): Promise<string | null> {
  try {
    return await ensureTemporalUiServer(process.env, say);
  } catch (error) {
    if (!(error instanceof GoBuildUnavailableError)) throw error;
    say(`no Temporal Web UI: ${error.message}`);
    return null;
  }
}

/** Every port the chosen Temporal will listen on, with what it is for (checked free before anything starts). */
export function devTemporalPorts(config: Config, temporal: DevTemporal): { port: number; what: string }[] {
  const dev = config.temporal.devServer;
  const ui = dev.uiPort === null ? [] : [{ port: dev.uiPort, what: 'Temporal Web UI (devServer.uiPort in temporal.yaml)' }];
  if (temporal === 'dev') return [{ port: dev.port, what: 'Temporal dev server gRPC (devServer.port in temporal.yaml)' }, ...ui];
  const ports = allClusterPorts(standardClusterPorts(dev.port));
  return [
    { port: dev.port, what: 'Temporal frontend (devServer.port in temporal.yaml)' },
    ...ports.slice(1).map((port) => ({ port, what: `Temporal server (ports around devServer.port ${dev.port})` })),
    ...ui,
  ];
}

/**
 * Builds what is missing (first run only) and starts the chosen Temporal. `postgresUrl` (a user
 * that may create databases) is where the cluster keeps its two databases.
 */
export async function startDevTemporal(config: Config, temporal: DevTemporal, postgresUrl: string, say: (line: string) => void): Promise<DevTemporalStack> {
  const dev = config.temporal.devServer;
  const namespace = config.temporal.connection.namespace;
  const cliPath = await ensureTemporalCli({ onProgress: say });
  if (temporal === 'dev') {
    const dbFile = resolve(config.projectRoot, dev.dbFile);
    say(`starting Temporal dev server (data: ${dbFile})`);
    const server = await startTemporalDevServer({ ...dev, cliPath, dbFile, namespace });
    return { address: server.address, uiUrl: server.uiUrl, kind: `dev server of temporal CLI ${TEMPORAL_CLI_VERSION}`, dbFile, stop: () => server.stop() };
  }

  const binaries = await ensureTemporalServer(process.env, say);
  const uiBinary = dev.uiPort === null ? null : await uiServerOrNone(say);
  say(`starting Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL (frontend, history, matching and worker in one process)`);
  const { charges, amazonReads } = config.temporal.taskQueues;
  const cluster = await startTemporalCluster({
    binaries,
    cliPath,
    configDir: join(config.dataDir, 'temporal-cluster'),
    postgresUrl,
    ip: dev.ip,
    ports: standardClusterPorts(dev.port),
    namespace,
    logLevel: dev.logLevel,
    searchAttributes: dev.searchAttributes,
    dynamicConfig: dev.dynamicConfig,
    // The rate-capped queues: the server splits a queue's cap among its partitions.
    onePartitionQueues: [charges, amazonReads],
    onProgress: say,
  });
  let ui: TemporalUi | undefined;
  try {
    if (uiBinary && dev.uiPort !== null)
      ui = await startTemporalUi({
        binary: uiBinary,
        configDir: join(config.dataDir, 'temporal-cluster'),
        ip: dev.ip,
        port: dev.uiPort,
        temporalAddress: cluster.address,
        namespace,
      });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return {
    address: cluster.address,
    uiUrl: ui?.url ?? null,
    kind: `Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL`,
    databases: [cluster.databases.persistence, cluster.databases.visibility],
    async stop() {
      await ui?.stop();
      await cluster.stop();
    },
  };
}
