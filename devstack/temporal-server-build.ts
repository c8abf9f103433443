import { ensureGoProgram, firstOutputLine, goCacheDir } from './go-build.js';

/**
 * The self-hosted Temporal server the project pins: the version the pinned CLI 1.5.1 embeds, so
 * the dev server and the cluster run the same server code. Its go.mod has no replace directive,
 * so `go install` builds it from the module proxy.
 */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
/** The Web UI server the CLI 1.5.1 bundles (its module embeds the built UI assets). */
export const TEMPORAL_UI_SERVER_VERSION = '2.42.1';

export interface TemporalServerBinaries {
  /** `temporal-server --root … --env … start` (go.temporal.io/server/cmd/server). */
  server: string;
  /** temporal-sql-tool (cmd/tools/sql): creates and updates the PostgreSQL schemas, which it carries embedded. */
  sqlTool: string;
}

/**
 * The Temporal server and its SQL tool, built once (CGO_ENABLED=0) into
 * ~/.cache/amazon-pay-billing/temporal-server/<version>/ (XDG_CACHE_HOME moves it); about 2.5 min
 * on 2 cores once Go's module cache holds the modules. Throws GoBuildUnavailableError (one line).
 */
export async function ensureTemporalServer(env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<TemporalServerBinaries> {
  const paths = await ensureGoProgram(
    {
      what: `Temporal server ${TEMPORAL_SERVER_VERSION} and its SQL tool`,
      cacheDir: goCacheDir('temporal-server', TEMPORAL_SERVER_VERSION, env),
      packages: [
        { path: `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`, binary: 'temporal-server' },
        { path: `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`, binary: 'temporal-sql-tool' },
      ],
      ldflags: '-s -w',
      // Both print "… version 1.29.1" (the server's headers.ServerVersion).
      isPinned: async (path) => (await firstOutputLine(path, ['--version']))?.includes(`version ${TEMPORAL_SERVER_VERSION}`) ?? false,
      withoutGo: `point TEMPORAL_ADDRESS at a Temporal server you run yourself (docs/deploy.md), or use the dev server (--temporal dev)`,
    },
    env,
    progress,
  );
  return { server: paths['temporal-server']!, sqlTool: paths['temporal-sql-tool']! };
}

/**
 * The Temporal Web UI server (github.com/temporalio/ui-server/v2, its assets embedded), built once
 * into ~/.cache/amazon-pay-billing/temporal-ui-server/<version>/. Throws GoBuildUnavailableError.
 */
export async function ensureTemporalUiServer(env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<string> {
  const paths = await ensureGoProgram(
    {
      what: `Temporal UI server ${TEMPORAL_UI_SERVER_VERSION}`,
      cacheDir: goCacheDir('temporal-ui-server', TEMPORAL_UI_SERVER_VERSION, env),
      packages: [{ path: `github.com/temporalio/ui-server/v2/cmd/server@v${TEMPORAL_UI_SERVER_VERSION}`, binary: 'temporal-ui-server' }],
      ldflags: '-s -w',
      isPinned: async (path) => (await firstOutputLine(path, ['--version']))?.includes(TEMPORAL_UI_SERVER_VERSION) ?? false,
      withoutGo: 'run without the Web UI (temporal.yaml devServer.uiPort: null) and use `temporal workflow list --query …`',
    },
    env,
    progress,
  );
  return paths['temporal-ui-server']!;
}
