import { CommandLineError, parseCommandLine } from '../config/command-line.js';
import { ConfigError } from '../config/errors.js';

/** Which Temporal `npm run dev` starts when none is configured. */
export type DevTemporal = 'dev' | 'cluster';

export interface DevArgs {
  /** dev: the temporal CLI's dev server (SQLite); cluster: the self-hosted Temporal server on PostgreSQL. */
  temporal: DevTemporal;
  /** Daemon processes against the one Temporal and the one PostgreSQL (1-16). */
  replicas: number;
  /**
   * The Amazon Pay region the daemon names to the simulator when the simulator stands in (no
   * AMAZON_PAY_* credentials): eu tries the EU/UK rules (PSD2 refusals of a plan increase, the
   * replacement checkout) locally. Ignored with real credentials (AMAZON_PAY_REGION says it).
   */
  sandboxRegion: 'na' | 'eu' | 'jp';
}

export const DEV_USAGE = 'usage: npm run dev [-- --temporal dev|cluster] [--replicas N] [--sandbox-region na|eu|jp]';
/** The most daemon processes `--replicas` starts (dev stack and benchmarks). */
export const MAX_REPLICAS = 16;

/**
 * `npm run dev -- --temporal cluster --replicas 2 --sandbox-region eu`. Throws ConfigError (one line naming the bad
 * option, what was given and what is accepted) for anything else.
 */
export function parseDevArgs(argv: readonly string[]): DevArgs {
  let values: { temporal?: string | undefined; replicas?: string | undefined; 'sandbox-region'?: string | undefined };
  try {
    ({ values } = parseCommandLine({
      args: [...argv],
      options: { temporal: { type: 'string' }, replicas: { type: 'string' }, 'sandbox-region': { type: 'string' } },
      allowPositionals: false,
    }));
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    throw new ConfigError('the command line', [`${error.message} (${DEV_USAGE})`]);
  }
  const problems: string[] = [];
  const temporal = values.temporal ?? 'dev';
  if (temporal !== 'dev' && temporal !== 'cluster')
    problems.push(`--temporal: found "${temporal}", expected dev (the temporal CLI's dev server) or cluster (the Temporal server on PostgreSQL)`);
  const replicasText = values.replicas ?? '1';
  const replicas = Number(replicasText);
  if (!/^\d+$/.test(replicasText) || replicas < 1 || replicas > MAX_REPLICAS)
    problems.push(`--replicas: found "${replicasText}", expected a whole number from 1 to ${MAX_REPLICAS}`);
  const sandboxRegion = values['sandbox-region'] ?? 'na';
  if (sandboxRegion !== 'na' && sandboxRegion !== 'eu' && sandboxRegion !== 'jp')
    problems.push(`--sandbox-region: found "${sandboxRegion}", expected na, eu (EU and UK: PSD2 rules) or jp`);
  if (problems.length > 0) throw new ConfigError('the command line', problems);
  return { temporal: temporal as DevTemporal, replicas, sandboxRegion: sandboxRegion as DevArgs['sandboxRegion'] };
}
