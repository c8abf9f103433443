// A self-hosted Temporal server on PostgreSQL, as `npm run dev -- --temporal cluster` and the
// integration suite (BILLING_TEST_TEMPORAL=cluster) start it: the persistence and visibility
// schemas created or updated by temporal-sql-tool (which carries them embedded), one
// `temporal-server` process with all four services (frontend, history, matching, worker), then
// the namespace and the project's search attributes registered with the temporal CLI.
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import type { SearchAttributeTypeName } from '../config/temporal.js';
import { spawnManaged, waitUntilReady } from './managed-process.js';
import { CLUSTER_PASSWORD_ENV, clusterConfigYaml, clusterDynamicConfigYaml, type ClusterDatabases, type ClusterPorts } from './temporal-cluster-config.js';
import { frontendAnswers, type DevServer } from './temporal-dev-server.js';
import type { TemporalServerBinaries } from './temporal-server-build.js';

const run = promisify(execFile);

/** The server stores membership (ringpop) ports in a smallint column (cluster_membership.rpc_port): higher ones stop it at start-up. */
export const MAX_MEMBERSHIP_PORT = 32_767;

/** Closed workflows (ended subscriptions) stay listed and their histories kept this long. */
export const CLUSTER_NAMESPACE_RETENTION = '7d';

export interface ClusterOptions {
  binaries: TemporalServerBinaries;
  /** The pinned temporal CLI: registers the namespace and the search attributes. */
  cliPath: string;
  /** Where the generated config files go (the data itself is in PostgreSQL). */
  configDir: string;
  /** A postgres:// URL whose user may create databases (the embedded cluster's admin URL, or DATABASE_URL's server). */
  postgresUrl: string;
  /** Database names; default temporal and temporal_visibility. */
  databases?: { persistence: string; visibility: string };
  ip: string;
  ports: ClusterPorts;
  namespace: string;
  logLevel: string;
  searchAttributes: Record<string, SearchAttributeTypeName>;
  dynamicConfig: Record<string, string | number | boolean>;
  /** Task queues kept on one partition (temporal-cluster-config.ts); 'all': every queue. */
  onePartitionQueues: readonly string[] | 'all';
  /** Fixed for the life of the cluster's data. Default 4. */
  numHistoryShards?: number;
  startTimeoutMs?: number;
  onOutput?: (line: string) => void;
  /** One line per step (schemas, start, namespace). */
  onProgress?: (line: string) => void;
}

export interface TemporalCluster extends DevServer {
  readonly databases: ClusterDatabases;
  /** Milliseconds spent creating/updating the schemas, and from spawning the server to ready. */
  readonly timings: { schemaMs: number; startMs: number };
}

/**
 * Creates or updates the schemas, starts the server and waits until the namespace answers with
 * the search attributes registered. Throws with the server's output when it exits or times out.
 */
export async function startTemporalCluster(options: ClusterOptions): Promise<TemporalCluster> {
  const progress = options.onProgress ?? (() => {});
  const tooHigh = Object.entries(options.ports.membership).filter(([, port]) => port > MAX_MEMBERSHIP_PORT);
  if (tooHigh.length > 0)
    throw new Error(
      `Temporal membership ports must be at most ${MAX_MEMBERSHIP_PORT} (the server keeps them in a smallint column); found ${tooHigh.map(([service, port]) => `${service} ${port}`).join(', ')}`,
    );
  const databases = clusterDatabases(options.postgresUrl, options.databases ?? { persistence: 'temporal', visibility: 'temporal_visibility' });
  let started = Date.now();
  await ensureSchema(options.binaries.sqlTool, options.postgresUrl, databases, databases.persistence, 'postgresql/v12/temporal');
  await ensureSchema(options.binaries.sqlTool, options.postgresUrl, databases, databases.visibility, 'postgresql/v12/visibility');
  const schemaMs = Date.now() - started;
  progress(`  schemas ready in databases ${databases.persistence} and ${databases.visibility} (${(schemaMs / 1000).toFixed(1)} s)`);

  await mkdir(options.configDir, { recursive: true });
  const dynamicConfigFile = join(options.configDir, 'dynamicconfig.yaml');
  // temporal-server 1.29 reads <root>/<config dir>/<env>.yaml: here <configDir>/cluster.yaml.
  const configFile = join(options.configDir, 'cluster.yaml');
  await writeFile(dynamicConfigFile, clusterDynamicConfigYaml(options.dynamicConfig, options.onePartitionQueues));
  await validateDynamicConfig(options.binaries.server, dynamicConfigFile);
  // Its password is read from the server's environment; 0600 all the same (a config file of the cluster).
  await writeFile(
    configFile,
    clusterConfigYaml({
      ip: options.ip,
      ports: options.ports,
      databases,
      numHistoryShards: options.numHistoryShards ?? 4,
      logLevel: options.logLevel,
      dynamicConfigFile,
    }),
    { mode: 0o600 },
  );
  await chmod(configFile, 0o600);

  started = Date.now();
  const managed = spawnManaged(options.binaries.server, ['--root', options.configDir, '--config', '.', '--env', 'cluster', '--allow-no-auth', 'start'], {
    env: { ...process.env, [CLUSTER_PASSWORD_ENV]: databases.password },
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  const address = `${options.ip}:${options.ports.frontend}`;
  const timeout = options.startTimeoutMs ?? 180_000;
  try {
    await waitUntilReady(managed, `Temporal server on ${address}`, () => frontendServing(address), timeout);
    await registerNamespace(options.cliPath, address, options.namespace);
    // A new namespace reaches the frontend's registry within its refresh interval (10 s).
    await waitUntilReady(
      managed,
      `Temporal server on ${address} (namespace ${options.namespace})`,
      () => visibilityAnswers(address, options.namespace),
      timeout,
    );
    await registerSearchAttributes(options.cliPath, address, options.namespace, options.searchAttributes);
  } catch (error) {
    const serverFailed = managed.exited() !== null || /was not ready within/.test((error as Error).message);
    await managed.stop(5_000);
    if (!serverFailed) throw error;
    throw new Error(`${(error as Error).message.split('\n')[0]} ${serverComplaint(managed.output())}`.trim());
  }
  const startMs = Date.now() - started;
  progress(`  Temporal server ready on ${address} in ${(startMs / 1000).toFixed(1)} s`);

  return {
    address,
    uiUrl: null,
    process: managed.child,
    databases,
    timings: { schemaMs, startMs },
    stop: () => managed.stop(30_000),
  };
}

/** The two databases' coordinates from a postgres:// URL (its password URL-decoded). */
export function clusterDatabases(postgresUrl: string, names: { persistence: string; visibility: string }): ClusterDatabases {
  const url = new URL(postgresUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    ...names,
  };
}

/**
 * Creates `database` when missing, its versioning tables when missing, then `update-schema` to
 * the newest version of the embedded `schemaName` (a no-op when current; a newer server version
 * brings its own increments, which is how an upgrade migrates the schema).
 */
async function ensureSchema(sqlTool: string, postgresUrl: string, coordinates: ClusterDatabases, database: string, schemaName: string): Promise<void> {
  const sql = postgres(postgresUrl, { max: 1, onnotice: () => {} });
  let exists: boolean;
  try {
    exists = (await sql`select 1 from pg_database where datname = ${database}`).length > 0;
    if (!exists) await sql.unsafe(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await sql.end();
  }
  const versioned = exists && (await hasVersionTable(postgresUrl, database));
  const tool = (args: string[]) =>
    run(
      sqlTool,
      ['--plugin', 'postgres12', '--ep', coordinates.host, '--port', String(coordinates.port), '--user', coordinates.user, '--db', database, ...args],
      {
        // The password through the environment, not the process list.
        env: { ...process.env, [CLUSTER_PASSWORD_ENV]: coordinates.password },
        timeout: 120_000,
      },
    ).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`temporal-sql-tool ${args[0]} on database ${database} failed: ${lastLine(error.stderr) ?? error.message}`);
    });
  if (!versioned) await tool(['setup-schema', '-v', '0.0']);
  await tool(['update-schema', '--schema-name', schemaName]);
}

async function hasVersionTable(postgresUrl: string, database: string): Promise<boolean> {
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ present: boolean }[]>`select to_regclass('schema_version') is not null as present`;
    return row?.present ?? false;
  } finally {
    await sql.end();
  }
}

/** The server's own check of the file: an unknown key or constraint (a typo in temporal.yaml) stops start-up in one line. */
async function validateDynamicConfig(server: string, file: string): Promise<void> {
  const { stdout } = await run(server, ['validate-dynamic-config', file], { timeout: 30_000 });
  const problems = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^(error|warning):/.test(line));
  if (problems.length > 0)
    throw new Error(`the Temporal server refuses the dynamic config made from temporal.yaml devServer.dynamicConfig (${file}): ${problems.join('; ')}`);
}

/** The server logs JSON lines with stack traces; its last fatal or error line's message is what to show. */
export function serverComplaint(output: string): string {
  const lines = output.split('\n').filter((line) => /"level":"(fatal|error|dpanic|panic)"/.test(line));
  for (const line of lines.reverse()) {
    try {
      const { msg, error } = JSON.parse(line) as { msg?: string; error?: string };
      return `The server said: ${msg ?? ''}${error ? `: ${error}` : ''}`;
    } catch {
      continue; // a line cut by the 8 KB window
    }
  }
  return lastLine(output) ? `Its last output: ${lastLine(output)}` : '';
}

function lastLine(text: string | undefined): string | null {
  return text?.trim().split('\n').pop()?.trim() || null;
}

async function temporalCli(cliPath: string, address: string, args: string[]): Promise<string> {
  const { stdout } = await run(cliPath, [...args, '--address', address], {
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
    timeout: 60_000,
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`temporal ${args.slice(0, 3).join(' ')} failed: ${lastLine(error.stderr) ?? error.message}`);
  });
  return stdout;
}

async function registerNamespace(cliPath: string, address: string, namespace: string): Promise<void> {
  const exists = await temporalCli(cliPath, address, ['operator', 'namespace', 'describe', '--namespace', namespace]).then(
    () => true,
    () => false,
  );
  if (!exists) await temporalCli(cliPath, address, ['operator', 'namespace', 'create', '--namespace', namespace, '--retention', CLUSTER_NAMESPACE_RETENTION]);
}

/**
 * Adds the missing search attributes, one CLI call each (temporal CLI 1.5.1 given several --name
 * with one --type adds only the first and still says "added"), then checks that every one is
 * there with its type; one already there with another type stops start-up.
 */
async function registerSearchAttributes(cliPath: string, address: string, namespace: string, wanted: Record<string, SearchAttributeTypeName>): Promise<void> {
  const registered = async (): Promise<Record<string, string>> => {
    const listed = JSON.parse(await temporalCli(cliPath, address, ['operator', 'search-attribute', 'list', '--namespace', namespace, '--output', 'json'])) as {
      customAttributes?: Record<string, string>;
    };
    return listed.customAttributes ?? {};
  };
  const existing = await registered();
  for (const [name, type] of Object.entries(wanted)) {
    const found = existing[name];
    if (found === undefined)
      await temporalCli(cliPath, address, ['operator', 'search-attribute', 'create', '--namespace', namespace, '--name', name, '--type', type]);
    else if (normalType(found) !== normalType(type))
      throw new Error(
        `search attribute ${name} is registered in namespace ${namespace} as ${found}, but temporal.yaml wants ${type}; a type cannot be changed (remove it or use a new namespace)`,
      );
  }
  const now = await registered();
  const absent = Object.entries(wanted).filter(([name, type]) => normalType(now[name] ?? '') !== normalType(type));
  if (absent.length > 0)
    throw new Error(`search attributes ${absent.map(([name, type]) => `${name} (${type})`).join(', ')} could not be registered in namespace ${namespace}`);
}

/** "INDEXED_VALUE_TYPE_KEYWORD_LIST" and "KeywordList" → "keywordlist". */
function normalType(type: string): string {
  return type
    .replace(/^INDEXED_VALUE_TYPE_/, '')
    .replace(/_/g, '')
    .toLowerCase();
}

/** The frontend answers (its membership ring has formed and it reaches persistence). */
function frontendServing(address: string): Promise<boolean> {
  return frontendAnswers(address, (c) => c.workflowService.getSystemInfo({}));
}

/** The namespace is in the frontend's registry and its visibility store answers a list query. */
function visibilityAnswers(address: string, namespace: string): Promise<boolean> {
  return frontendAnswers(address, (c) => c.workflowService.countWorkflowExecutions({ namespace, query: "ExecutionStatus = 'Running'" }));
}
