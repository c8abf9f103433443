import { join } from 'node:path';
import { readTemporalYaml } from '../../config/temporal.js';
import { freePort, freePortInRange } from '../../devstack/ports.js';
import { startTemporalDevServer, type DevServer } from '../../devstack/temporal-dev-server.js';
import { MAX_MEMBERSHIP_PORT, startTemporalCluster, type TemporalCluster } from '../../devstack/temporal-cluster.js';
import { ensureTemporalServer } from '../../devstack/temporal-server-build.js';

/**
 * The dev server tests and the replay recorder run against: in memory, headless unless asked, the project's
 * search attributes and dynamic config, and continue-as-new suggested after 200 events so long
 * runs exercise it. One place, so recorded histories come from the server the suite uses.
 */
export async function startTestTemporalServer(
  cliPath: string,
  options: {
    webUi?: boolean;
    /** A SQLite file instead of memory: a server that can be stopped, copied and started again (test/integration/restore.test.ts). */
    dbFile?: string;
    /** The frontend port (default: a free one); the same port again lets existing clients reconnect after a restart. */
    port?: number;
  } = {},
): Promise<DevServer> {
  const yaml = readTemporalYaml(join(process.cwd(), 'temporal.yaml'));
  return startTemporalDevServer({
    cliPath,
    dbFile: options.dbFile ?? null,
    ip: '127.0.0.1',
    port: options.port ?? (await freePort()),
    // The Web UI only where links into it are tested (the suite's server); the recorder stays headless.
    uiPort: options.webUi ? await freePort() : null,
    namespace: 'default',
    logLevel: 'error',
    searchAttributes: yaml.devServer.searchAttributes,
    dynamicConfig: testDynamicConfig(yaml),
  });
}

function testDynamicConfig(yaml: ReturnType<typeof readTemporalYaml>): Record<string, string | number | boolean> {
  return { ...yaml.devServer.dynamicConfig, 'limit.historyCount.suggestContinueAsNew': 200 };
}

/**
 * BILLING_TEST_TEMPORAL=cluster: the self-hosted Temporal server on PostgreSQL instead of the dev
 * server, with the same search attributes and dynamic config; its databases in the test
 * PostgreSQL at `postgresAdminUrl`, every port free, every task queue on one partition (the
 * suite's queue names are per test file). Headless: the suite opens no Web UI on it.
 */
export async function startTestTemporalCluster(
  cliPath: string,
  postgresAdminUrl: string,
  workDir: string,
  say: (line: string) => void,
): Promise<TemporalCluster> {
  const yaml = readTemporalYaml(join(process.cwd(), 'temporal.yaml'));
  const binaries = await ensureTemporalServer(process.env, say);
  // Temporal's cluster_membership table keeps ports in a smallint: every port ≤ 32767, below the kernel's own picks.
  const port = () => freePortInRange(20_000, MAX_MEMBERSHIP_PORT);
  return startTemporalCluster({
    binaries,
    cliPath,
    configDir: join(workDir, 'temporal-cluster'),
    postgresUrl: postgresAdminUrl,
    ip: '127.0.0.1',
    ports: {
      frontend: await port(),
      frontendHttp: await port(),
      history: await port(),
      matching: await port(),
      worker: await port(),
      membership: { frontend: await port(), history: await port(), matching: await port(), worker: await port() },
    },
    namespace: 'default',
    logLevel: 'error',
    searchAttributes: yaml.devServer.searchAttributes,
    dynamicConfig: testDynamicConfig(yaml),
    onePartitionQueues: 'all',
    onProgress: say,
  });
}
