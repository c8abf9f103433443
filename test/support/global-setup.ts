import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { removeEmbeddedPostgresData, startEmbeddedPostgres, type RunningPostgres } from '../../devstack/embedded-postgres.js';
import { freePort } from '../../devstack/ports.js';
import { ensureTemporalCli } from '../../devstack/temporal-cli.js';
import { migrateDatabase } from '../../db/migrate.js';
import { TEMPLATE_DATABASE } from './constants.js';
import type { DevServer } from '../../devstack/temporal-dev-server.js';
import { startTestTemporalCluster, startTestTemporalServer } from './test-temporal-server.js';

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
 * Which Temporal the integration suite runs against: BILLING_TEST_TEMPORAL=cluster for the
 * self-hosted server on PostgreSQL (docs/deploy.md, "The integration suite on the cluster"),
 * unset or dev for the temporal CLI's dev server.
 */
function testTemporal(): 'dev' | 'cluster' {
  const chosen = process.env.BILLING_TEST_TEMPORAL ?? 'dev';
  if (chosen !== 'dev' && chosen !== 'cluster') throw new Error(`BILLING_TEST_TEMPORAL: found "${chosen}", expected dev (default) or cluster`);
  return chosen;
}

/**
 * One Temporal server and one PostgreSQL for the whole integration run. Each test file
 * then clones its own database from a migrated template and uses its own task queues.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const say = (line: string): void => console.log(`[test-stack] ${line}`);
  const cliPath = await ensureTemporalCli({ onProgress: say });

  const workDir = await mkdtemp(join(tmpdir(), 'billing-test-'));
  // The test files (each in a fresh module scope) and the workers and daemons they start share one
  // workflow bundle instead of each running webpack (daemon/bundle-cache.ts); forks inherit it.
  process.env.BILLING_WORKFLOW_BUNDLE_CACHE ??= join(workDir, 'workflow-bundle');
  const startPostgres = async () => startEmbeddedPostgres({ dataDir: join(workDir, 'pgdata'), port: await freePort(), database: TEMPLATE_DATABASE });
  let temporal: DevServer;
  let pg: RunningPostgres;
  if (testTemporal() === 'cluster') {
    // The self-hosted server keeps its data in the same PostgreSQL (databases temporal and temporal_visibility).
    pg = await startPostgres();
    temporal = await startTestTemporalCluster(cliPath, pg.adminUrl, workDir, say);
  } else {
    [temporal, pg] = await Promise.all([startTestTemporalServer(cliPath, { webUi: true }), startPostgres()]);
  }
  await migrateDatabase(pg.url);
  // A template must have no open connections when it is cloned; mark it so nobody uses it by accident.
  const admin = postgres(pg.adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`alter database "${TEMPLATE_DATABASE}" with is_template true`);
  await admin.end();
  say(
    `Temporal (${testTemporal() === 'cluster' ? 'self-hosted server on PostgreSQL' : 'dev server'}) ${temporal.address} and PostgreSQL ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );

  project.provide('temporalAddress', temporal.address);
  project.provide('temporalNamespace', 'default');
  project.provide('postgresAdminUrl', pg.adminUrl);
  project.provide('temporalCliPath', cliPath);
  project.provide('temporalUiUrl', temporal.uiUrl ?? '');

  return async () => {
    // Temporal first: the cluster keeps its data in this PostgreSQL.
    await temporal.stop().catch(() => {});
    await pg.stop().catch(() => {});
    await removeEmbeddedPostgresData(join(workDir, 'pgdata'));
    await rm(workDir, { recursive: true, force: true });
  };
}
