// `--temporal` and `--replicas` of `npm run bench` and `npm run chaos`: which Temporal the run
// starts (the temporal CLI's dev server, or the self-hosted Temporal server on PostgreSQL, as
// `npm run dev -- --temporal cluster` runs it) and how many daemon processes run against it.
import { MAX_REPLICAS } from '../devstack/dev-args.js';
import { TEMPORAL_SERVER_VERSION } from '../devstack/temporal-server-build.js';
import { UsageError } from './usage.js';

/** dev: the temporal CLI's dev server (SQLite or memory); cluster: the self-hosted Temporal server on the run's PostgreSQL. */
export type BenchTemporal = 'dev' | 'cluster';
export const BENCH_TEMPORALS: readonly BenchTemporal[] = ['dev', 'cluster'];

/**
 * `--temporal dev`, `cluster` or, where `list` allows, `dev,cluster` (each in turn, in that order,
 * in one invocation). Throws UsageError (one line) for anything else or a kind named twice.
 */
export function parseTemporalOption(raw: string, list: boolean): BenchTemporal[] {
  const accepted = list ? 'dev, cluster, or both comma-separated (dev,cluster)' : 'dev or cluster';
  const kinds = raw.split(',').map((s) => s.trim());
  if (
    kinds.length === 0 ||
    (!list && kinds.length > 1) ||
    kinds.some((k) => !BENCH_TEMPORALS.includes(k as BenchTemporal)) ||
    new Set(kinds).size !== kinds.length
  )
    throw new UsageError(`--temporal: expected ${accepted}, got ${raw}`);
  return kinds as BenchTemporal[];
}

/** `--replicas N`: daemon processes, each its own worker process with its own ports. Throws UsageError. */
export function parseReplicasOption(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_REPLICAS) throw new UsageError(`--replicas: expected a whole number from 1 to ${MAX_REPLICAS}, got ${raw}`);
  return n;
}

/**
 * `--replicas N` for every Temporal of `--temporal`, or one count per Temporal in the same order
 * (`--temporal dev,cluster --replicas 1,2`). Throws UsageError when the counts do not match.
 */
export function parseReplicasPerTemporal(raw: string, temporals: readonly BenchTemporal[]): number[] {
  const counts = raw.split(',').map((s) => s.trim());
  if (counts.length === 1) return temporals.map(() => parseReplicasOption(counts[0]!));
  if (counts.length !== temporals.length)
    throw new UsageError(`--replicas: expected one count, or one per --temporal (${temporals.length}: ${temporals.join(',')}), got ${raw}`);
  return counts.map(parseReplicasOption);
}

/** "Temporal dev server" / "Temporal server (cluster)", and the replica count, for printouts. */
export function topologyLabel(temporal: BenchTemporal, replicas: number): string {
  return `${temporal === 'dev' ? 'Temporal dev server' : `Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL`}, ${replicas} daemon ${replicas === 1 ? 'process' : 'processes'}`;
}
