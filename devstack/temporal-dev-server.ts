import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import type { SearchAttributeTypeName } from '../config/temporal.js';

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

  const child = spawn(options.cliPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C must not stop the server before the workers
    // have drained; stop() ends it in order, and the exit hook below if this process dies.
    detached: true,
    env: { ...process.env, TEMPORAL_VERSION_CHECK_DISABLED: '1' },
  });
  let output = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString();
    output = (output + text).slice(-8000);
    for (const line of text.split('\n')) if (line.trim()) options.onOutput?.(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const killOnExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      process.removeListener('exit', killOnExit);
      resolve();
    });
  });

  const address = `${options.ip}:${options.port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  for (;;) {
    if (exited) {
      const { code, signal } = exited as { code: number | null; signal: NodeJS.Signals | null };
      throw new Error(`Temporal dev server exited during start-up (code ${code}, signal ${signal}). Its output:\n${output.trim()}`);
    }
    if (await namespaceReady(address, options.namespace)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Temporal dev server did not answer on ${address} within ${(options.startTimeoutMs ?? 120_000) / 1000} s. Its output:\n${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    address,
    uiUrl: options.uiPort === null ? null : `http://${options.ip}:${options.uiPort}`,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function namespaceReady(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}
