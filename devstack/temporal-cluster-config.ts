// The self-hosted Temporal server's two configuration files, as the project writes them for
// `npm run dev -- --temporal cluster` and the integration suite (BILLING_TEST_TEMPORAL=cluster):
// the static YAML (PostgreSQL persistence and SQL visibility, ports, one process with all four
// services) and the dynamic config file (the values the product relies on). Pure functions: the
// unit tests read what they produce. Keys and shapes: the server's config/development-postgres12.yaml
// and common/dynamicconfig/constants.go at v1.29.1.
import { stringify } from 'yaml';

/** Each service's gRPC port and the membership (ringpop) port it gossips on. */
export interface ClusterPorts {
  frontend: number;
  /** The frontend's HTTP API (the Web UI server does not need it; `temporal` tools may). */
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: { frontend: number; history: number; matching: number; worker: number };
}

/**
 * Temporal's own port layout around a frontend port (7233 → history 7234, matching 7235, worker
 * 7239, HTTP 7243, membership 6933-6939): fixed ports, so a restarted server finds itself at the
 * addresses its membership table remembers.
 */
export function standardClusterPorts(frontend: number): ClusterPorts {
  return {
    frontend,
    frontendHttp: frontend + 10,
    history: frontend + 1,
    matching: frontend + 2,
    worker: frontend + 6,
    membership: { frontend: frontend - 300, history: frontend - 299, matching: frontend - 298, worker: frontend - 294 },
  };
}

export function allClusterPorts(ports: ClusterPorts): number[] {
  return [ports.frontend, ports.frontendHttp, ports.history, ports.matching, ports.worker, ...Object.values(ports.membership)];
}

/** Where Temporal keeps its data: two databases on one PostgreSQL server. */
export interface ClusterDatabases {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Persistence: histories, mutable state, timers, task queues (default "temporal"). */
  persistence: string;
  /** Visibility: the workflow list and its search attributes (default "temporal_visibility"). */
  visibility: string;
}

export interface ClusterConfigOptions {
  ip: string;
  ports: ClusterPorts;
  databases: ClusterDatabases;
  /** History shards: fixed for the life of the cluster (a restore needs the same count). */
  numHistoryShards: number;
  /** debug | info | warn | error | never (temporal.yaml devServer.logLevel). */
  logLevel: string;
  dynamicConfigFile: string;
}

/** The environment variable the server reads the database password from (the SQL tool's own name for it). */
export const CLUSTER_PASSWORD_ENV = 'SQL_PASSWORD';
const PASSWORD_PLACEHOLDER = 'BILLING_SQL_PASSWORD_FROM_ENVIRONMENT';

/**
 * The server's static config (`<configDir>/cluster.yaml`, read by `temporal-server --root <configDir>
 * --config . --env cluster start`). It holds no password: the file is a template (Temporal's config
 * loader renders a file that names "enable-template" in a comment in its first 1 KB, with sprig's
 * functions; go.temporal.io/server common/config/loader.go) that reads it from $SQL_PASSWORD,
 * which the server process is given (CLUSTER_PASSWORD_ENV). `quote` writes it as a YAML
 * double-quoted string, whatever characters it has.
 */
export function clusterConfigYaml(options: Omit<ClusterConfigOptions, 'databases'> & { databases: Omit<ClusterDatabases, 'password'> }): string {
  const { ip, ports, databases } = options;
  const store = (database: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${databases.host}:${databases.port}`,
      connectProtocol: 'tcp',
      user: databases.user,
      password: PASSWORD_PLACEHOLDER,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: ip, ...extra },
  });
  const config = {
    log: { stdout: true, level: options.logLevel === 'never' ? 'fatal' : options.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: options.numHistoryShards,
      datastores: { 'postgres-default': store(databases.persistence, 20), 'postgres-visibility': store(databases.visibility, 10) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: ip } },
    services: {
      frontend: rpc(ports.frontend, ports.membership.frontend, { httpPort: ports.frontendHttp }),
      history: rpc(ports.history, ports.membership.history),
      matching: rpc(ports.matching, ports.membership.matching),
      worker: rpc(ports.worker, ports.membership.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `${ip}:${ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    dynamicConfigClient: { filepath: options.dynamicConfigFile, pollInterval: '10s' },
  };
  const yaml = stringify(config).replaceAll(PASSWORD_PLACEHOLDER, `{{ env "${CLUSTER_PASSWORD_ENV}" | quote }}`);
  return `# Written by devstack/temporal-cluster-config.ts; rewritten at every start.\n# enable-template: the database password comes from $${CLUSTER_PASSWORD_ENV}.\n${yaml}`;
}

/** Keys that set a task queue's partition count: narrowed to `onePartitionQueues` on the cluster. */
const PARTITION_KEYS = ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions'];

/**
 * Dynamic config the dev server has built in and the product relies on: a search attribute added
 * at start-up is usable at once (the dev server's `system.forceSearchAttributesCacheRefreshOnRead`),
 * and no server version check calls home.
 */
const DEV_SERVER_BUILT_INS: Record<string, string | number | boolean> = {
  'system.forceSearchAttributesCacheRefreshOnRead': true,
  'frontend.enableServerVersionCheck': false,
};

/**
 * The dynamic config file: temporal.yaml's devServer.dynamicConfig (the values the dev server
 * gets) with its partition counts applied only to `onePartitionQueues` (the rate-capped charges
 * and Amazon-reads queues: the server splits a queue's rate cap among its partitions) — or to every
 * queue when `onePartitionQueues` is 'all' (the integration suite, whose queue names are per file).
 */
export function clusterDynamicConfigYaml(values: Record<string, string | number | boolean>, onePartitionQueues: readonly string[] | 'all'): string {
  const doc: Record<string, { value: string | number | boolean; constraints: Record<string, string> }[]> = {};
  for (const [key, value] of Object.entries({ ...DEV_SERVER_BUILT_INS, ...values })) {
    if (PARTITION_KEYS.includes(key) && onePartitionQueues !== 'all') {
      doc[key] = onePartitionQueues.map((taskQueueName) => ({ value, constraints: { taskQueueName } }));
    } else {
      doc[key] = [{ value, constraints: {} }];
    }
  }
  return `# Written by devstack/temporal-cluster-config.ts from temporal.yaml devServer.dynamicConfig.\n${stringify(doc)}`;
}
