// Records the workflow histories that test/unit/workflows/replay.test.ts replays.
//
//   npx tsx test/replay/record.ts            # every scenario not recorded yet
//   npx tsx test/replay/record.ts dunning    # the named ones, as a new version if recorded before
//
// Starts its own Temporal dev server (continue-as-new suggested at 200 events, as in the
// integration tests), an embedded PostgreSQL in a temp dir and the Amazon Pay simulator, runs
// each scenario with the product's workers, and writes every run's history as proto-JSON to
// test/replay/histories/<scenario>.v<version>[-run<n>].json. Histories are append-only: they are
// what running subscriptions look like, so a file is never overwritten or changed. Recording a
// scenario again (after a change behind patched()) writes the next version beside the old ones;
// files from before versioned names (<scenario>[-run<n>].json) count as version 1. Each file
// written is appended to MANIFEST.sha256 with its SHA-256 (test/replay/manifest.ts); recording
// refuses to start while the manifest and the files disagree.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { createDb } from '../../db/client.js';
import { migrateDatabase } from '../../db/migrate.js';
import { removeEmbeddedPostgresData, startEmbeddedPostgres } from '../../devstack/embedded-postgres.js';
import { freePort } from '../../devstack/ports.js';
import { ensureTemporalCli } from '../../devstack/temporal-cli.js';
import { startTestTemporalServer } from '../support/test-temporal-server.js';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import type { TestDatabase, TestTemporal } from '../support/integration.js';
import { appendToManifest, historyFileName, historyVersions, manifestProblems } from './manifest.js';
import { SCENARIOS, SEND_GATE } from './scenarios.js';

const HISTORIES_DIR = fileURLToPath(new URL('./histories/', import.meta.url));
const run = promisify(execFile);

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; accepted: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const problems = manifestProblems(HISTORIES_DIR);
  if (problems.length > 0) throw new Error(`the committed histories and MANIFEST.sha256 disagree; nothing recorded:\n  ${problems.join('\n  ')}`);
  const todo = SCENARIOS.filter((s) => (only.length === 0 ? historyVersions(HISTORIES_DIR, s.name).length === 0 : only.includes(s.name)));
  if (todo.length === 0) {
    console.log('[record] every scenario is recorded; name one to record it again as a new version');
    return;
  }
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
  });

  const cliPath = await ensureTemporalCli({ onProgress: (line) => console.log(`[record] ${line}`) });
  const workDir = await mkdtemp(join(tmpdir(), 'billing-record-'));
  const server = await startTestTemporalServer(cliPath);
  const pg = await startEmbeddedPostgres({ dataDir: join(workDir, 'pgdata'), port: await freePort(), database: 'billing_record' });
  let h: BillingHarness | undefined;
  try {
    await migrateDatabase(pg.url);
    const handle = createDb(pg.url, { max: 5 });
    const database: TestDatabase = { ...handle, url: pg.url, drop: () => handle.close() };
    const connection = await Connection.connect({ address: server.address });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const temporal: TestTemporal = {
      address: server.address,
      namespace: 'default',
      client: new Client({ connection, namespace: 'default' }),
      nativeConnection,
      async close() {
        await connection.close();
        await nativeConnection.close();
      },
    };
    h = await startBillingHarness({ resources: { database, temporal }, spaceCalls: () => SEND_GATE.pass() });
    for (const scenario of todo) {
      const version = Math.max(0, ...historyVersions(HISTORIES_DIR, scenario.name)) + 1;
      const runIds = await scenario.run(h);
      for (const [index, { workflowId, runId }] of runIds.entries()) {
        // The CLI's JSON (payloads not shortened) rather than the SDK's historyToJSON, which
        // fails when @temporalio/common and @temporalio/proto load different protobufjs copies.
        const args = [
          'workflow',
          'show',
          '--workflow-id',
          workflowId,
          '--run-id',
          runId,
          '--address',
          server.address,
          '--namespace',
          'default',
          '--output',
          'json',
        ];
        const { stdout } = await run(cliPath, args, { maxBuffer: 64 * 1024 * 1024 });
        const events = (JSON.parse(stdout) as { events?: unknown[] }).events?.length ?? 0;
        const file = historyFileName(scenario.name, version, runIds.length > 1 ? index + 1 : null);
        // 'wx': fail rather than replace a file that appeared meanwhile.
        await writeFile(join(HISTORIES_DIR, file), stdout.endsWith('\n') ? stdout : `${stdout}\n`, { flag: 'wx' });
        appendToManifest(HISTORIES_DIR, file);
        console.log(`[record] ${scenario.name}: ${events} events → test/replay/histories/${file}`);
      }
    }
  } finally {
    await h?.close();
    await Promise.allSettled([server.stop(), pg.stop()]);
    await removeEmbeddedPostgresData(join(workDir, 'pgdata'));
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`[record] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
