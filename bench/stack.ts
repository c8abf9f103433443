// The benchmark's own stack: a Temporal (the dev server on a SQLite file or in memory, or the
// self-hosted Temporal server on the stack's PostgreSQL, `temporal: 'cluster'`), an embedded
// PostgreSQL and the Amazon Pay simulator, all in one temp directory on loopback with free ports.
// Temporal and PostgreSQL can be restarted on the same files and ports (the fault suite does that).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { readTemporalYaml } from '../config/temporal.js';
import { maskUrlPassword } from '../config/redact-url.js';
import { migrateDatabase } from '../db/migrate.js';
import { removeEmbeddedPostgresData, startEmbeddedPostgres } from '../devstack/embedded-postgres.js';
import { freePort, freePortInRange } from '../devstack/ports.js';
import { ensureTemporalCli } from '../devstack/temporal-cli.js';
import type { ClusterPorts } from '../devstack/temporal-cluster-config.js';
import { MAX_MEMBERSHIP_PORT, startTemporalCluster } from '../devstack/temporal-cluster.js';
import { startTemporalDevServer, type DevServer } from '../devstack/temporal-dev-server.js';
import { ensureTemporalServer } from '../devstack/temporal-server-build.js';
import { createSimulatorControl, type SimulatorControl } from '../simulator/control-client.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/server.js';
import { newMerchantKey, type MerchantKey } from './merchant-key.js';
import type { BenchTemporal } from './topology.js';

export type { MerchantKey } from './merchant-key.js';

export interface BenchStack {
  readonly workDir: string;
  /** Which Temporal runs: the dev server, or the Temporal server on this stack's PostgreSQL. */
  readonly temporalKind: BenchTemporal;
  /** The dev server's SQLite file (absent in memory and for the cluster). */
  readonly temporalDbFile: string;
  /** The cluster's persistence and visibility databases in this stack's PostgreSQL; null for the dev server. */
  readonly temporalDatabases: { persistence: string; visibility: string } | null;
  /** The Temporal process (dev server or temporal-server; one process with all four services). */
  temporal: DevServer;
  readonly postgres: { url: string; adminUrl: string };
  readonly simulator: Simulator;
  readonly control: SimulatorControl;
  readonly key: MerchantKey;
  /** SIGTERM-stops Temporal and starts it again on the same data (SQLite file or databases) and ports. */
  restartTemporal(): Promise<{ downMs: number }>;
  /** pg_database_size of a database of this stack's PostgreSQL, in bytes. */
  databaseBytes(name: string): Promise<number>;
  restartPostgres(): Promise<{ downMs: number }>;
  /** A fresh migrated database in the same cluster (one per scenario). */
  createDatabase(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startBenchStack(
  options: { simulator?: SimulatorOptions; say?: (line: string) => void; temporalInMemory?: boolean; temporal?: BenchTemporal } = {},
): Promise<BenchStack> {
  const say = options.say ?? (() => {});
  const kind = options.temporal ?? 'dev';
  const cliPath = await ensureTemporalCli({ onProgress: say });
  // Built once (cached), before anything starts.
  const serverBinaries = kind === 'cluster' ? await ensureTemporalServer(process.env, say) : null;
  const workDir = await mkdtemp(join(tmpdir(), 'billing-bench-'));
  // As root, PostgreSQL runs as the `postgres` user, which must traverse the temp dir (or its
  // data is placed elsewhere: devstack/postgres-access.ts).
  await chmod(workDir, 0o755);
  const yaml = readTemporalYaml(join(process.cwd(), 'temporal.yaml'));
  const temporalDbFile = join(workDir, 'temporal', 'temporal.sqlite');
  const [temporalPort, pgPort] = [await freePort(), await freePort()];
  // The cluster's membership table keeps ports in a smallint: every port ≤ 32767, below the kernel's own picks.
  const clusterPort = () => freePortInRange(20_000, MAX_MEMBERSHIP_PORT);
  const clusterPorts: ClusterPorts | null =
    kind === 'cluster'
      ? {
          frontend: await clusterPort(),
          frontendHttp: await clusterPort(),
          history: await clusterPort(),
          matching: await clusterPort(),
          worker: await clusterPort(),
          membership: { frontend: await clusterPort(), history: await clusterPort(), matching: await clusterPort(), worker: await clusterPort() },
        }
      : null;
  const temporalDatabases = kind === 'cluster' ? { persistence: 'temporal', visibility: 'temporal_visibility' } : null;
  let pgAdminUrl = '';
  const startCluster = async (): Promise<DevServer> =>
    startTemporalCluster({
      binaries: serverBinaries!,
      cliPath,
      configDir: join(workDir, 'temporal-cluster'),
      postgresUrl: pgAdminUrl,
      databases: temporalDatabases!,
      ip: '127.0.0.1',
      ports: clusterPorts!,
      namespace: 'default',
      logLevel: 'error',
      searchAttributes: yaml.devServer.searchAttributes,
      dynamicConfig: yaml.devServer.dynamicConfig,
      // The runs' task queue names are their own: every queue on one partition, as the rate cap needs.
      onePartitionQueues: 'all',
      startTimeoutMs: 180_000,
    });
  const startDevServer = () =>
    startTemporalDevServer({
      cliPath,
      // In memory: no SQLite writes (a restart loses everything, so the fault suite uses the file).
      dbFile: options.temporalInMemory ? null : temporalDbFile,
      ip: '127.0.0.1',
      port: temporalPort,
      uiPort: null,
      namespace: 'default',
      logLevel: 'error',
      searchAttributes: yaml.devServer.searchAttributes,
      dynamicConfig: yaml.devServer.dynamicConfig,
      startTimeoutMs: 180_000,
    });
  const startTemporal = kind === 'cluster' ? startCluster : startDevServer;
  const startPg = () => startEmbeddedPostgres({ dataDir: join(workDir, 'pg', 'data'), port: pgPort, database: 'bench' });
  let temporal: DevServer;
  let pg: Awaited<ReturnType<typeof startPg>>;
  if (kind === 'cluster') {
    say(`starting PostgreSQL, then the Temporal server on it (databases temporal, temporal_visibility), and the simulator in ${workDir}`);
    pg = await startPg();
    pgAdminUrl = pg.adminUrl;
    temporal = await startCluster().catch(async (error: unknown) => {
      await pg.stop();
      throw error;
    });
  } else {
    say(`starting Temporal dev server, PostgreSQL and the simulator in ${workDir}`);
    [temporal, pg] = await Promise.all([startTemporal(), startPg()]);
  }
  say(`Temporal ${temporal.address} (${kind === 'cluster' ? 'Temporal server on PostgreSQL' : 'dev server'}), PostgreSQL ${maskUrlPassword(pg.adminUrl)}`);

  const key = newMerchantKey();
  const simulator = await startSimulator({
    publicKeys: { [key.publicKeyId]: key.publicKeyPem },
    throttle: { table: 'off' },
    pendingDelayMs: 60 * 60_000,
    ...options.simulator,
  });

  const stack: BenchStack = {
    workDir,
    temporalKind: kind,
    temporalDbFile,
    temporalDatabases,
    temporal,
    postgres: { url: pg.url, adminUrl: pg.adminUrl },
    simulator,
    control: createSimulatorControl(simulator.url),
    key,
    async restartTemporal() {
      const started = Date.now();
      await stack.temporal.stop();
      temporal = await startTemporal();
      stack.temporal = temporal;
      return { downMs: Date.now() - started };
    },
    async restartPostgres() {
      const started = Date.now();
      await pg.stop();
      pg = await startPg();
      return { downMs: Date.now() - started };
    },
    async databaseBytes(name) {
      const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
      try {
        const [row] = await admin<{ size: string }[]>`select pg_database_size(${name})::text as size`;
        return Number(row?.size ?? 0);
      } finally {
        await admin.end();
      }
    },
    async createDatabase(name) {
      const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
        await admin.unsafe(`create database "${name}"`);
      } finally {
        await admin.end();
      }
      const url = pg.adminUrl.replace(/\/postgres$/, `/${name}`);
      await migrateDatabase(url);
      return url;
    },
    async close() {
      await simulator.close().catch(() => {});
      // The cluster's server needs its databases until it has stopped.
      if (kind === 'cluster') await Promise.allSettled([stack.temporal.stop()]).then(() => Promise.allSettled([pg.stop()]));
      else await Promise.allSettled([stack.temporal.stop(), pg.stop()]);
      await removeEmbeddedPostgresData(join(workDir, 'pg', 'data')).catch(() => {});
      await rm(workDir, { recursive: true, force: true }).catch(() => {});
    },
  };
  return stack;
}
