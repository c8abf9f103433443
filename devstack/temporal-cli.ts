import { firstOutputLine, ensureGoProgram, findOnPath, goCacheDir, GoBuildUnavailableError } from './go-build.js';

/**
 * The Temporal CLI version the project pins. v1.5.1 is the last tag `go install` can build:
 * from v1.6.0 on, the CLI's go.mod carries a replace directive that go install refuses.
 */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const PACKAGE = `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;

export interface EnsureCliOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines while building (the first build takes minutes). */
  onProgress?: (line: string) => void;
}

/** Where built CLIs live: outside the clone, so fresh CI clones on the same machine reuse them. */
export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return goCacheDir('temporal-cli', TEMPORAL_CLI_VERSION, env);
}

/**
 * Returns the path of a `temporal` binary of the pinned version: TEMPORAL_CLI if set (its
 * version must fit), else a `temporal` on PATH whose version fits, else the cached build,
 * else builds it once from the Go module proxy. Throws GoBuildUnavailableError (one line).
 */
export async function ensureTemporalCli(options: EnsureCliOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const progress = options.onProgress ?? (() => {});

  if (env.TEMPORAL_CLI) {
    const version = await cliVersion(env.TEMPORAL_CLI);
    if (version !== TEMPORAL_CLI_VERSION) {
      throw new GoBuildUnavailableError(
        `TEMPORAL_CLI points at ${env.TEMPORAL_CLI}, which reports version ${version ?? '(none: not runnable)'}; this project needs temporal CLI ${TEMPORAL_CLI_VERSION}. Unset TEMPORAL_CLI to let the project build it with Go.`,
      );
    }
    return env.TEMPORAL_CLI;
  }

  const onPath = findOnPath('temporal', env.PATH ?? '');
  if (onPath && (await cliVersion(onPath)) === TEMPORAL_CLI_VERSION) return onPath;

  const paths = await ensureGoProgram(
    {
      what: `temporal CLI ${TEMPORAL_CLI_VERSION}`,
      cacheDir: cliCacheDir(env),
      packages: [{ path: PACKAGE, binary: 'temporal' }],
      ldflags: `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
      isPinned: async (path) => (await cliVersion(path)) === TEMPORAL_CLI_VERSION,
      withoutGo: `install the temporal CLI ${TEMPORAL_CLI_VERSION} yourself and point TEMPORAL_CLI at it (or put it on PATH)`,
    },
    env,
    progress,
  );
  return paths['temporal']!;
}

async function cliVersion(path: string): Promise<string | null> {
  // "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"
  const line = await firstOutputLine(path, ['--version']);
  return line ? (/version (\S+)/.exec(line)?.[1] ?? null) : null;
}
