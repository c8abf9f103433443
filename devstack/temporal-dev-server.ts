import type { ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import type { SearchAttributeTypeName } from '../config/temporal.js';
import { spawnManaged, waitUntilReady } from './managed-process.js';

export interface DevServerOptions {
  cliPath: string;
  /** SQLite file; null keeps everything in memory (tests). */
  dbFile: string | null;
  ip: string;
  port: number;
  /** null: headless (no Web UI). */
  uiPort: number | null;
  namespace: string;
  logLevel: string;
  searchAttributes: Record<string, SearchAttributeTypeName>;
  dynamicConfig: Record<string, string | number | boolean>;
  /** How long to wait for the frontend to answer; a large SQLite file on 2 cores can be slow. */
  startTimeoutMs?: number;
  onOutput?: (line: string) => void;
}

export interface DevServer {
  readonly address: string;
  readonly uiUrl: string | null;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` ourselves rather than through the SDK, whose
 * ephemeral-server helper gives up after 5 seconds and downloads binaries.
 */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  const args = ['server', 'start-dev', '--ip', options.ip, '--port', String(options.port), '--namespace', options.namespace, '--log-level', options.logLevel];
  if (options.dbFile) {
    await mkdir(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (options.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  for (const [name, type] of Object.entries(options.searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  const dynamicConfig = { 'frontend.enableServerVersionCheck': false, ...options.dynamicConfig };
  for (const [key, value] of Object.entries(dynamicConfig)) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const managed = spawnManaged(options.cliPath, args, {
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  const address = `${options.ip}:${options.port}`;
  await waitUntilReady(managed, `Temporal dev server on ${address}`, () => namespaceReady(address, options.namespace), options.startTimeoutMs ?? 120_000);

  return {
    address,
    uiUrl: options.uiPort === null ? null : `http://${options.ip}:${options.uiPort}`,
    process: managed.child,
    stop: () => managed.stop(),
  };
}

/** True once the frontend answers for `namespace`. */
function namespaceReady(address: string, namespace: string): Promise<boolean> {
  return frontendAnswers(address, (connection) => connection.workflowService.describeNamespace({ namespace }));
}

/** True when `call` succeeds on a fresh connection to the frontend at `address` (readiness checks). */
export async function frontendAnswers(address: string, call: (connection: Connection) => Promise<unknown>): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await call(connection);
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}
