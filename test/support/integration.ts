import { randomBytes } from 'node:crypto';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createDb, type DatabaseHandle } from '../../db/client.js';
import { TEMPLATE_DATABASE } from './constants.js';

export interface TestDatabase extends DatabaseHandle {
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: isolation between test files. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" template "${TEMPLATE_DATABASE}"`);
  } finally {
    await admin.end();
  }
  const url = adminUrl.replace(/\/postgres$/, `/${name}`);
  const handle = createDb(url, { max: 5 });
  return {
    ...handle,
    url,
    async drop() {
      await handle.close();
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

export interface TestTemporal {
  readonly address: string;
  readonly namespace: string;
  readonly client: Client;
  readonly nativeConnection: NativeConnection;
  close(): Promise<void>;
}

let runtimeInstalled = false;
/** Workers log every state change at INFO; tests want warnings and errors only. */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
  });
}

/** Clients of the suite's Temporal, or of the one at `address` (a test's own server). */
export async function connectTestTemporal(address: string = inject('temporalAddress')): Promise<TestTemporal> {
  installQuietRuntime();
  const namespace = inject('temporalNamespace');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    namespace,
    client: new Client({ connection, namespace }),
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** Own task queue per test: workers of other test files never pick up our tasks. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
