import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

// Builds pinned Go programs (the temporal CLI, the Temporal server and its SQL tool, the Temporal
// UI server) once from the Go module proxy into a cache outside the clone, so fresh CI clones on
// the same machine reuse them. One builder, so every binary gets the same progress lines, lock
// and one-line errors.

const run = promisify(execFile);

/** Oldest Go that builds the pinned Temporal modules (their go.mod says `go 1.25`-ish). */
export const MIN_GO = [1, 25] as const;

/** A pinned program cannot be had: no Go, Go too old, no module proxy, a failed build. The message is one line saying what to do. */
export class GoBuildUnavailableError extends Error {
  override name = 'GoBuildUnavailableError';
}

export interface GoProgram {
  /** What the messages call it, e.g. "Temporal server 1.29.1". */
  what: string;
  /** The cache directory of this program and version (see goCacheDir). */
  cacheDir: string;
  /** Main packages of one module at one version, e.g. go.temporal.io/server/cmd/server@v1.29.1, and the name each binary gets in cacheDir. */
  packages: readonly { path: string; binary: string }[];
  /** -ldflags for go install (always built with CGO_ENABLED=0). */
  ldflags: string;
  /** True when a binary (cached or found) is the pinned version: a stale cache is rebuilt. */
  isPinned(path: string): Promise<boolean>;
  /** The end of the "no Go" message: how to get the binaries without Go. */
  withoutGo: string;
}

/** `$XDG_CACHE_HOME/amazon-pay-billing/<name>/<version>` (default ~/.cache/…). */
export function goCacheDir(name: string, version: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'amazon-pay-billing', name, version);
}

/** The first `binary` on PATH, or null. */
export function findOnPath(binary: string, pathVar: string): string | null {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** The first line a program prints for `args` (e.g. --version), or null if it does not run. */
export async function firstOutputLine(path: string, args: readonly string[]): Promise<string | null> {
  try {
    const { stdout, stderr } = await run(path, [...args], { timeout: 30_000 });
    return (stdout.trim() || stderr.trim()).split('\n')[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * Paths of the program's binaries (keyed by `binary`): the cached build when it is the pinned
 * version, else built now with `go install` (minutes; `progress` says how far). Throws
 * GoBuildUnavailableError with one line when no build is possible.
 */
export async function ensureGoProgram(program: GoProgram, env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<Record<string, string>> {
  const paths = Object.fromEntries(program.packages.map(({ binary }) => [binary, join(program.cacheDir, binary)]));
  const cached = async (): Promise<boolean> => {
    for (const path of Object.values(paths)) if (!existsSync(path) || !(await program.isPinned(path))) return false;
    return true;
  };
  if (await cached()) return paths;
  await buildWithGo(program, env, progress, cached);
  return paths;
}

async function findGo(program: GoProgram, env: NodeJS.ProcessEnv): Promise<{ go: string; goVersion: string }> {
  const go = findOnPath('go', env.PATH ?? '') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
  if (!go) {
    throw new GoBuildUnavailableError(
      `No ${program.what} found and no Go toolchain to build it. Either install Go ≥ ${MIN_GO.join('.')} (https://go.dev/doc/install) and run again, or ${program.withoutGo}.`,
    );
  }
  const goVersion = (await run(go, ['env', 'GOVERSION'])).stdout.trim();
  const [major = 0, minor = 0] = goVersion.replace(/^go/, '').split('.').map(Number);
  if (major < MIN_GO[0] || (major === MIN_GO[0] && minor < MIN_GO[1])) {
    throw new GoBuildUnavailableError(
      `${goVersion} is too old to build ${program.what} (needs Go ≥ ${MIN_GO.join('.')}). Install a newer Go, or ${program.withoutGo}.`,
    );
  }
  return { go, goVersion };
}

async function buildWithGo(program: GoProgram, env: NodeJS.ProcessEnv, progress: (line: string) => void, cached: () => Promise<boolean>): Promise<void> {
  const { go, goVersion } = await findGo(program, env);
  await mkdir(program.cacheDir, { recursive: true });
  // Concurrent first runs (parallel CI jobs, two terminals) must not build twice into one place.
  const lock = join(program.cacheDir, '.build-lock');
  if (!(await acquireLock(lock, program.what, progress, cached))) return; // another process finished the build meanwhile

  const staging = join(program.cacheDir, `.staging-${process.pid}`);
  try {
    const started = Date.now();
    progress(`Building ${program.what} with ${goVersion} from the Go module proxy (first run only; a few minutes on 2 cores)…`);
    await goInstall(go, program, staging, env, progress, started);
    for (const { path, binary } of program.packages) await rename(join(staging, path.replace(/@.*$/, '').split('/').pop()!), join(program.cacheDir, binary));
    progress(`Built ${program.what} in ${Math.round((Date.now() - started) / 1000)} s → ${program.cacheDir}`);
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(lock, { recursive: true, force: true });
  }
}

function goInstall(go: string, program: GoProgram, staging: string, env: NodeJS.ProcessEnv, progress: (line: string) => void, started: number): Promise<void> {
  return new Promise<void>((resolvePromise, reject) => {
    const child = spawn(go, ['install', '-ldflags', program.ldflags, ...program.packages.map((p) => p.path)], {
      env: { ...env, CGO_ENABLED: '0', GOBIN: staging, GOFLAGS: '-mod=mod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
    const ticker = setInterval(() => progress(`  …still building ${program.what} (${Math.round((Date.now() - started) / 1000)} s)`), 30_000);
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(new GoBuildUnavailableError(`could not run ${go} to build ${program.what}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code === 0) resolvePromise();
      else reject(new GoBuildUnavailableError(buildFailure(program, code, tail)));
    });
  });
}

/** One line: what failed, the likely cause, and Go's own last line (the error itself). */
function buildFailure(program: GoProgram, code: number | null, tail: string): string {
  const proxyDown = /dial tcp|no such host|connection refused|i\/o timeout|proxyconnect|TLS handshake|403 Forbidden|404 Not Found|410 Gone/.test(tail);
  const cause = proxyDown ? 'the Go module proxy could not be reached (check GOPROXY and the network)' : `go install failed (exit ${code})`;
  const goSaid = tail.trim().split('\n').pop()?.trim() ?? '';
  return `${program.what} could not be built: ${cause}${goSaid ? ` — go said: ${goSaid}` : ''}. Fix that and run again, or ${program.withoutGo}.`;
}

/** mkdir is atomic: the process that creates the lock directory builds; others wait for it. */
async function acquireLock(lock: string, what: string, progress: (line: string) => void, cached: () => Promise<boolean>): Promise<boolean> {
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
      if (waited % 30 === 0) progress(`  …another process is building ${what}; waiting for it`);
      await new Promise((r) => setTimeout(r, 2000));
      if (!existsSync(lock) && (await cached())) return false;
    }
  }
}
