import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { removeEmbeddedPostgresData, startEmbeddedPostgres } from '../../devstack/embedded-postgres.js';
import { freePort } from '../../devstack/ports.js';
import { ensureTemporalCli } from '../../devstack/temporal-cli.js';
import { migrateDatabase } from '../../db/migrate.js';
import { TEMPLATE_DATABASE } from './constants.js';
import { startTestTemporalServer } from './test-temporal-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    postgresAdminUrl: string;
    temporalCliPath: string;
    /** The test server's Temporal Web UI (the dashboard's workflow links are opened in it). */
    temporalUiUrl: string;
  }
}

/**
 * One Temporal dev server and one PostgreSQL for the whole integration run. Each test file
 * then clones its own database from a migrated template and uses its own task queues.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const say = (line: string): void => console.log(`[test-stack] ${line}`);
  const cliPath = await ensureTemporalCli({ onProgress: say });

  const workDir = await mkdtemp(join(tmpdir(), 'billing-test-'));
  const [temporal, pg] = await Promise.all([
    startTestTemporalServer(cliPath, { webUi: true }),
    (async () => startEmbeddedPostgres({ dataDir: join(workDir, 'pgdata'), port: await freePort(), database: TEMPLATE_DATABASE }))(),
  ]);
  await migrateDatabase(pg.url);
  // A template must have no open connections when it is cloned; mark it so nobody uses it by accident.
  const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`alter database "${TEMPLATE_DATABASE}" with is_template true`);
  await admin.end();
  say(`Temporal ${temporal.address} and PostgreSQL ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  project.provide('temporalAddress', temporal.address);
  project.provide('temporalNamespace', 'default');
  project.provide('postgresAdminUrl', pg.adminUrl);
  project.provide('temporalCliPath', cliPath);
  project.provide('temporalUiUrl', temporal.uiUrl ?? '');

  return async () => {
    await Promise.allSettled([temporal.stop(), pg.stop()]);
    await removeEmbeddedPostgresData(join(workDir, 'pgdata'));
    await rm(workDir, { recursive: true, force: true });
  };
}
