// A webhook dispatcher in a process of its own, so a test can SIGKILL it mid-delivery.
//
// Usage (spawned by spawnWebhookDispatcher below, or by the benchmark):
//   BILLING_WEBHOOK_DISPATCHER_SPEC='{"databaseUrl":…,"settings":{…},"leaseMs":…,"replica":…}' node --import tsx test/support/webhook-dispatcher-process.ts
// Prints "dispatcher-ready" on stdout once it listens; runs until killed; SIGTERM stops it gracefully.
import { fileURLToPath } from 'node:url';
import type { WebhookSettings } from '../../config/billing.js';
import { createLogger } from '../../config/logger.js';
import { createDb } from '../../db/client.js';
import { startWebhookDispatcher } from '../../webhooks/dispatcher.js';
import { spawnReadyChild, type ReadyChild } from './ready-child.js';

export interface WebhookDispatcherSpec {
  databaseUrl: string;
  settings: WebhookSettings;
  leaseMs?: number;
  replica: string;
}

export type DispatcherProcess = ReadyChild;

const SPEC_VARIABLE = 'BILLING_WEBHOOK_DISPATCHER_SPEC';

/** Starts the dispatcher in a child process and resolves once it is ready. */
export async function spawnWebhookDispatcher(spec: WebhookDispatcherSpec, readyTimeoutMs = 60_000): Promise<DispatcherProcess> {
  return spawnReadyChild(fileURLToPath(import.meta.url), {
    env: { ...process.env, [SPEC_VARIABLE]: JSON.stringify(spec) },
    readyLine: 'dispatcher-ready',
    what: 'dispatcher process',
    readyTimeoutMs,
  });
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env[SPEC_VARIABLE] ?? '') as WebhookDispatcherSpec;
  const database = createDb(spec.databaseUrl, { max: 8 });
  const dispatcher = await startWebhookDispatcher({
    db: database.db,
    sql: database.sql,
    settings: spec.settings,
    logger: createLogger('warn', spec.replica),
    replica: spec.replica,
    ...(spec.leaseMs === undefined ? {} : { leaseMs: spec.leaseMs }),
  });
  process.once('SIGTERM', () => {
    void dispatcher
      .stop()
      .then(() => database.close())
      .then(() => process.exit(0));
  });
  process.stdout.write('dispatcher-ready\n');
}

if (process.env[SPEC_VARIABLE] && process.argv[1] === fileURLToPath(import.meta.url)) await main();
