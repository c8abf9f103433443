// `npm run dev -- --replicas N`: replica 1 runs in the dev process itself; replicas 2..N are
// daemon processes of their own (devstack/dev-replica.ts) against the same Temporal and the same
// PostgreSQL, each with its own IPN, API, operations and SDK-metrics ports. They share the work as
// production replicas do: Temporal hands each task to one poller, the charges queue's rate cap is
// the server's and covers all of them, housekeeping runs each tick on one replica (an advisory
// lock), and webhook fan-out runs on one at a time (another advisory lock).
import type { Config } from '../config/index.js';
import { spawnManaged, type ManagedProcess } from './managed-process.js';

/** Replica k (1-based) listens on the configured ports + (k − 1) × this; a port of 0 stays 0 (any free port). */
export const REPLICA_PORT_STEP = 100;

export interface ReplicaPorts {
  ipn: number;
  api: number;
  operations: number;
  /** null: SDK metrics off (billing.yaml operations.temporalMetricsPort). */
  temporalMetrics: number | null;
}

/** What a replica process needs besides temporal.yaml, billing.yaml and the environment (BILLING_DEV_REPLICA, JSON). */
export interface ReplicaSpec {
  name: string;
  databaseUrl: string;
  temporalAddress: string;
  ports: ReplicaPorts;
  rateLimits: Config['temporal']['rateLimits'];
  /** The simulator standing in for Amazon Pay, or null when AMAZON_PAY_* is set (the replica reads it too). */
  simulator: { url: string; ipnSigningPublicKeyPem: string; ipnTopicArn: string; credentialsDir: string; region: 'na' | 'eu' | 'jp' } | null;
}

/** The URLs a replica listens on, as it reports them once started. */
export interface ReplicaEndpoints {
  name: string;
  ipnUrl: string;
  apiUrl: string;
  operationsUrl: string;
  sdkMetricsAddress: string | null;
}

export const REPLICA_READY_PREFIX = 'BILLING_REPLICA_READY ';

/** Replica `index`'s ports (1-based): billing.yaml's for replica 1, then shifted by REPLICA_PORT_STEP each. */
export function replicaPorts(billing: Config['billing'], index: number): ReplicaPorts {
  const shift = (port: number): number => (port === 0 ? 0 : port + (index - 1) * REPLICA_PORT_STEP);
  const { temporalMetricsPort } = billing.operations;
  return {
    ipn: shift(billing.ipn.port),
    api: shift(billing.api.port),
    operations: shift(billing.operations.port),
    temporalMetrics: temporalMetricsPort === null ? null : shift(temporalMetricsPort),
  };
}

/** `config` with a replica's ports and the rate limits the dev stack chose. */
export function replicaConfig(config: Config, ports: ReplicaPorts, rateLimits: Config['temporal']['rateLimits']): Config {
  const { billing } = config;
  return {
    ...config,
    temporal: { ...config.temporal, rateLimits },
    billing: {
      ...billing,
      ipn: { ...billing.ipn, port: ports.ipn },
      api: { ...billing.api, port: ports.api },
      operations: { ...billing.operations, port: ports.operations, temporalMetricsPort: ports.temporalMetrics },
    },
  };
}

export interface RunningReplica {
  readonly endpoints: ReplicaEndpoints;
  readonly pid: number | undefined;
  readonly process: ManagedProcess;
}

/**
 * Starts `node --import tsx devstack/dev-replica.ts` and resolves once it reports its endpoints
 * (its daemon started: migrations checked, workers polling, endpoints listening). Its log lines
 * (JSON, with "replica") go to `onOutput`.
 */
export async function startReplica(spec: ReplicaSpec, onOutput: (line: string) => void, timeoutMs = 180_000): Promise<RunningReplica> {
  let reported: ReplicaEndpoints | undefined;
  const managed = spawnManaged(process.execPath, ['--import', 'tsx', 'devstack/dev-replica.ts'], {
    env: { ...process.env, BILLING_DEV_REPLICA: JSON.stringify(spec) },
    onOutput: (line) => {
      if (line.startsWith(REPLICA_READY_PREFIX)) reported = JSON.parse(line.slice(REPLICA_READY_PREFIX.length)) as ReplicaEndpoints;
      else onOutput(line);
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (!reported) {
    const exited = managed.exited();
    if (exited)
      throw new Error(
        `${spec.name} exited during start-up (code ${exited.code}, signal ${exited.signal}): ${managed.output().trim().split('\n').slice(-3).join(' ')}`,
      );
    if (Date.now() > deadline) {
      await managed.stop(5_000);
      throw new Error(`${spec.name} did not start within ${timeoutMs / 1000} s: ${managed.output().trim().split('\n').slice(-3).join(' ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { endpoints: reported, pid: managed.child.pid, process: managed };
}
