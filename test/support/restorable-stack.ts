// The daemon's two stores as an operator backs them up and restores them: Temporal (a dev server
// on a SQLite file, stopped and copied) and the daemon's PostgreSQL database (copied with CREATE
// DATABASE … TEMPLATE while nothing is connected to it), with the product's workers and the
// Amazon Pay simulator — which, like Amazon Pay, is never restored. test/integration/restore.test.ts.
// A template copy rather than pg_dump: the embedded PostgreSQL ships no pg_dump (initdb, pg_ctl and
// postgres only), and a copy of a database nobody is connected to is consistent and takes under a second.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import { freePort } from '../../devstack/ports.js';
import type { DevServer } from '../../devstack/temporal-dev-server.js';
import { startBillingHarness, type BillingHarness } from './billing-harness.js';
import { connectTestTemporal, createTestDatabase } from './integration.js';
import { startTestTemporalServer } from './test-temporal-server.js';

/** SQLite keeps a write-ahead log and its index next to the file while the server runs. */
const SQLITE_SIDE_FILES = ['', '-wal', '-shm'];

export interface RestorableStack {
  readonly h: BillingHarness;
  /** Stops the workers, then Temporal: nothing writes to either store afterwards. */
  stop(): Promise<void>;
  /** Starts Temporal on its file and port again (the clients reconnect), then the workers. */
  start(): Promise<void>;
  /** Copies both stores (stop() first). */
  backup(name: string): Promise<void>;
  /** Puts the named copy of Temporal's file back. Stop first. */
  restoreTemporal(name: string): Promise<void>;
  /** Replaces the daemon's database with the named copy. No worker may run. */
  restoreDatabase(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startRestorableStack(): Promise<RestorableStack> {
  const dir = await mkdtemp(join(tmpdir(), 'billing-restore-'));
  const dbFile = join(dir, 'temporal.sqlite');
  const port = await freePort();
  const cliPath = inject('temporalCliPath');
  let server: DevServer | null = null;
  let h: BillingHarness;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  try {
    server = await startTestTemporalServer(cliPath, { dbFile, port });
    let temporal;
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal(server.address)]);
    h = await startBillingHarness({ resources: { database, temporal } });
  } catch (error) {
    // Nothing half-started is left: the server stopped, its directory removed.
    await server?.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const databaseName = new URL(database.url).pathname.slice(1);
  const copyName = (name: string) => `${databaseName}_${name}`;

  /** Runs `statements` on the maintenance database, after closing every session of the daemon's database. */
  async function asAdmin(statements: (admin: postgres.Sql) => Promise<void>): Promise<void> {
    const admin = postgres(inject('postgresAdminUrl'), { max: 1, onnotice: () => {} });
    try {
      // The harness's pool reconnects on its next query; CREATE DATABASE waits up to 5 s for these sessions to end.
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${databaseName} and pid <> pg_backend_pid()`;
      await statements(admin);
    } finally {
      await admin.end();
    }
  }

  const copies: string[] = [];
  const stack: RestorableStack = {
    h,
    async stop() {
      await h.stopWorkers();
      await server?.stop();
      server = null;
    },
    async start() {
      server = await startTestTemporalServer(cliPath, { dbFile, port });
      await h.startWorkers();
    },
    async backup(name) {
      if (server) throw new Error('backup: stop the stack first');
      for (const side of SQLITE_SIDE_FILES) await copyFile(dbFile + side, join(dir, `${name}.sqlite${side}`)).catch(ignoreMissing);
      await asAdmin((admin) => admin.unsafe(`create database "${copyName(name)}" template "${databaseName}"`).then(() => {}));
      copies.push(copyName(name));
    },
    async restoreTemporal(name) {
      if (server) throw new Error('restoreTemporal: stop the stack first');
      for (const side of SQLITE_SIDE_FILES) {
        await rm(dbFile + side, { force: true });
        await copyFile(join(dir, `${name}.sqlite${side}`), dbFile + side).catch(ignoreMissing);
      }
    },
    async restoreDatabase(name) {
      await asAdmin(async (admin) => {
        await admin.unsafe(`drop database "${databaseName}" with (force)`);
        await admin.unsafe(`create database "${databaseName}" template "${copyName(name)}"`);
      });
    },
    async close() {
      await h.close();
      await server?.stop();
      await asAdmin(async (admin) => {
        for (const copy of copies) await admin.unsafe(`drop database if exists "${copy}" with (force)`);
      }).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  return stack;
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
