// The benchmark's own stack: a Temporal dev server on a SQLite file, an embedded PostgreSQL and
// the Amazon Pay simulator, all in one temp directory on loopback with free ports. Temporal and
// PostgreSQL can be restarted on the same files and ports (the fault suite does that).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { readTemporalYaml } from '../config/temporal.js';
import { maskUrlPassword } from '../config/redact-url.js';
import { migrateDatabase } from '../db/migrate.js';
import { removeEmbeddedPostgresData, startEmbeddedPostgres } from '../devstack/embedded-postgres.js';
import { freePort } from '../devstack/ports.js';
import { ensureTemporalCli } from '../devstack/temporal-cli.js';
import { startTemporalDevServer, type DevServer } from '../devstack/temporal-dev-server.js';
import { createSimulatorControl, type SimulatorControl } from '../simulator/control-client.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../simulator/server.js';
import { newMerchantKey, type MerchantKey } from './merchant-key.js';

export type { MerchantKey } from './merchant-key.js';

export interface BenchStack {
  readonly workDir: string;
  readonly temporalDbFile: string;
  temporal: DevServer;
  readonly postgres: { url: string; adminUrl: string };
  readonly simulator: Simulator;
  readonly control: SimulatorControl;
  readonly key: MerchantKey;
  /** SIGTERM-stops the dev server and starts it again on the same SQLite file and port. */
  restartTemporal(): Promise<{ downMs: number }>;
  restartPostgres(): Promise<{ downMs: number }>;
  /** A fresh migrated database in the same cluster (one per scenario). */
  createDatabase(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startBenchStack(
  options: { simulator?: SimulatorOptions; say?: (line: string) => void; temporalInMemory?: boolean } = {},
): Promise<BenchStack> {
  const say = options.say ?? (() => {});
  const cliPath = await ensureTemporalCli({ onProgress: say });
  const workDir = await mkdtemp(join(tmpdir(), 'billing-bench-'));
  // As root, PostgreSQL runs as the `postgres` user, which must traverse the temp dir (or its
  // data is placed elsewhere: devstack/postgres-access.ts).
  await chmod(workDir, 0o755);
  const yaml = readTemporalYaml(join(process.cwd(), 'temporal.yaml'));
  const temporalDbFile = join(workDir, 'temporal', 'temporal.sqlite');
  const [temporalPort, pgPort] = [await freePort(), await freePort()];
  const startTemporal = () =>
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
  const startPg = () => startEmbeddedPostgres({ dataDir: join(workDir, 'pg', 'data'), port: pgPort, database: 'bench' });
  say(`starting Temporal dev server, PostgreSQL and the simulator in ${workDir}`);
  let [temporal, pg] = await Promise.all([startTemporal(), startPg()]);
  say(`Temporal ${temporal.address}, PostgreSQL ${maskUrlPassword(pg.adminUrl)}`);

  const key = newMerchantKey();
  const simulator = await startSimulator({
    publicKeys: { [key.publicKeyId]: key.publicKeyPem },
    throttle: { table: 'off' },
    pendingDelayMs: 60 * 60_000,
    ...options.simulator,
  });

  const stack: BenchStack = {
    workDir,
    temporalDbFile,
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
      await Promise.allSettled([stack.temporal.stop(), pg.stop()]);
      await removeEmbeddedPostgresData(join(workDir, 'pg', 'data')).catch(() => {});
      await rm(workDir, { recursive: true, force: true }).catch(() => {});
    },
  };
  return stack;
}
