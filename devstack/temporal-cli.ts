import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The Temporal CLI version the project pins. v1.5.1 is the last tag `go install` can build:
 * from v1.6.0 on, the CLI's go.mod carries a replace directive that go install refuses.
 */
export const TEMPORAL_CLI_VERSION = '1.5.1';
const MODULE = 'github.com/temporalio/cli/cmd/temporal';
const MIN_GO = [1, 25] as const;

export class TemporalCliUnavailableError extends Error {
  override name = 'TemporalCliUnavailableError';
}

export interface EnsureCliOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines while building (the first build takes minutes). */
  onProgress?: (line: string) => void;
}

/** Where built CLIs live: outside the clone, so fresh CI clones on the same machine reuse them. */
export function cliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'amazon-pay-billing', 'temporal-cli', TEMPORAL_CLI_VERSION);
}

/**
 * Returns the path of a `temporal` binary of the pinned version: TEMPORAL_CLI if set (its
 * version must fit), else a `temporal` on PATH whose version fits, else the cached build,
 * else builds it once from the Go module proxy.
 */
export async function ensureTemporalCli(options: EnsureCliOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const progress = options.onProgress ?? (() => {});

  if (env.TEMPORAL_CLI) {
    const version = await cliVersion(env.TEMPORAL_CLI);
    if (version !== TEMPORAL_CLI_VERSION) {
      throw new TemporalCliUnavailableError(
        `TEMPORAL_CLI points at ${env.TEMPORAL_CLI}, which reports version ${version ?? '(none: not runnable)'}; this project needs temporal CLI ${TEMPORAL_CLI_VERSION}. Unset TEMPORAL_CLI to let the project build it with Go.`,
      );
    }
    return env.TEMPORAL_CLI;
  }

  const onPath = findOnPath('temporal', env.PATH ?? '');
  if (onPath && (await cliVersion(onPath)) === TEMPORAL_CLI_VERSION) return onPath;

  const cached = join(cliCacheDir(env), 'temporal');
  if (existsSync(cached) && (await cliVersion(cached)) === TEMPORAL_CLI_VERSION) return cached;

  await buildWithGo(cliCacheDir(env), env, progress);
  return cached;
}

async function cliVersion(path: string): Promise<string | null> {
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 30_000 });
    // "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"
    return /version (\S+)/.exec(stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}

function findOnPath(binary: string, pathVar: string): string | null {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

async function buildWithGo(cacheDir: string, env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<void> {
  const go = findOnPath('go', env.PATH ?? '') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
  if (!go) {
    throw new TemporalCliUnavailableError(
      `No temporal CLI ${TEMPORAL_CLI_VERSION} found and no Go toolchain to build one. Either install Go ≥ ${MIN_GO.join('.')} (https://go.dev/doc/install) and run again, ` +
        `or install the temporal CLI ${TEMPORAL_CLI_VERSION} yourself and point TEMPORAL_CLI at it (or put it on PATH).`,
    );
  }
  const goVersion = (await run(go, ['env', 'GOVERSION'])).stdout.trim();
  const [major = 0, minor = 0] = goVersion.replace(/^go/, '').split('.').map(Number);
  if (major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) {
    throw new TemporalCliUnavailableError(
      `${goVersion} is too old to build temporal CLI ${TEMPORAL_CLI_VERSION} (needs Go ≥ ${MIN_GO.join('.')}). Install a newer Go, or set TEMPORAL_CLI to a prebuilt binary.`,
    );
  }

  await mkdir(cacheDir, { recursive: true });
  // Concurrent first runs (parallel CI jobs, two terminals) must not build twice into one place.
  const lock = join(cacheDir, '.build-lock');
  if (!(await acquireLock(lock, progress))) return; // another process finished the build meanwhile

  const staging = join(cacheDir, `.staging-${process.pid}`);
  try {
    const started = Date.now();
    progress(`Building temporal CLI ${TEMPORAL_CLI_VERSION} with ${goVersion} from the Go module proxy (first run only; a few minutes on 2 cores)…`);
    await new Promise<void>((resolvePromise, reject) => {
      const child = spawn(
        go,
        ['install', '-ldflags', `-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`, `${MODULE}@v${TEMPORAL_CLI_VERSION}`],
        { env: { ...env, CGO_ENABLED: '0', GOBIN: staging, GOFLAGS: '-mod=mod' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let downloads = 0;
      let tail = '';
      const onData = (chunk: Buffer): void => {
        for (const line of chunk.toString().split('\n')) {
          if (!line.trim()) continue;
          tail = (tail + '\n' + line).slice(-4000);
          if (line.startsWith('go: downloading')) {
            downloads += 1;
            if (downloads % 25 === 1) progress(`  …downloaded ${downloads} modules so far (${line.slice('go: downloading '.length)})`);
          }
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const ticker = setInterval(() => progress(`  …still building (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
      child.on('error', (error) => {
        clearInterval(ticker);
        reject(error);
      });
      child.on('close', (code) => {
        clearInterval(ticker);
        if (code === 0) resolvePromise();
        else reject(new TemporalCliUnavailableError(`go install of temporal CLI ${TEMPORAL_CLI_VERSION} failed (exit ${code}). Last output:${tail}`));
      });
    });
    await rename(join(staging, 'temporal'), join(cacheDir, 'temporal'));
    progress(`Built temporal CLI ${TEMPORAL_CLI_VERSION} in ${Math.round((Date.now() - started) / 1000)} s → ${join(cacheDir, 'temporal')}`);
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(lock, { recursive: true, force: true });
  }
}

/** mkdir is atomic: the process that creates the lock directory builds; others wait for it. */
async function acquireLock(lock: string, progress: (line: string) => void): Promise<boolean> {
  for (let waited = 0; ; waited += 2) {
    try {
      await mkdir(lock);
      return true;
    } catch {
      const info = await stat(lock).catch(() => null);
      // A lock older than 30 minutes belongs to a build that died.
      if (info && Date.now() - info.mtimeMs > 30 * 60_000) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (waited % 30 === 0) progress('  …another process is building the temporal CLI; waiting for it');
      await new Promise((r) => setTimeout(r, 2000));
      if (existsSync(join(lock, '..', 'temporal')) && !existsSync(lock)) return false;
    }
  }
}
