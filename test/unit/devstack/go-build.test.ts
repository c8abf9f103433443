// The pinned Go programs (temporal CLI, Temporal server + SQL tool, UI server) are built once with
// `go install` and cached; every way a build cannot happen ends in one line saying what to do.
// A stand-in `go` on PATH plays the toolchain: it records its calls and writes or refuses binaries.
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureGoProgram, firstOutputLine, GoBuildUnavailableError, type GoProgram } from '../../../devstack/go-build.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'go-build-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A `go` that reports `version` and, on install, either writes `server` and `sql` into GOBIN or prints `failure` and exits 1. */
async function fakeGo(version: string, failure: string | null): Promise<NodeJS.ProcessEnv> {
  const script = `#!/bin/sh
echo "$@ CGO_ENABLED=$CGO_ENABLED" >> "${dir}/calls"
if [ "$1" = env ]; then echo ${version}; exit 0; fi
${
  failure === null
    ? `mkdir -p "$GOBIN"; for b in server sql; do printf '#!/bin/sh\\necho "temporal version 1.29.1"\\n' > "$GOBIN/$b"; chmod +x "$GOBIN/$b"; done; exit 0`
    : `echo '${failure}' >&2; exit 1`
}
`;
  await writeFile(join(dir, 'go'), script);
  await chmod(join(dir, 'go'), 0o755);
  return { PATH: `${dir}:${process.env.PATH}`, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') };
}

function program(cacheDir: string): GoProgram {
  return {
    what: 'Temporal server 1.29.1 and its SQL tool',
    cacheDir,
    packages: [
      { path: 'go.temporal.io/server/cmd/server@v1.29.1', binary: 'temporal-server' },
      { path: 'go.temporal.io/server/cmd/tools/sql@v1.29.1', binary: 'temporal-sql-tool' },
    ],
    ldflags: '-s -w',
    isPinned: async (path) => (await firstOutputLine(path, ['--version']))?.includes('version 1.29.1') ?? false,
    withoutGo: 'use the dev server',
  };
}

const installs = async (): Promise<number> => (await readFile(join(dir, 'calls'), 'utf8')).split('\n').filter((l) => l.startsWith('install')).length;

describe('building pinned Go programs', () => {
  it('builds once with CGO off into the cache, names the binaries, and reuses them afterwards', async () => {
    const env = await fakeGo('go1.26.8', null);
    const cacheDir = join(dir, 'cache', 'amazon-pay-billing', 'temporal-server', '1.29.1');
    const lines: string[] = [];
    const paths = await ensureGoProgram(program(cacheDir), env, (line) => lines.push(line));
    expect(paths).toEqual({ 'temporal-server': join(cacheDir, 'temporal-server'), 'temporal-sql-tool': join(cacheDir, 'temporal-sql-tool') });
    expect(await firstOutputLine(paths['temporal-server']!, ['--version'])).toBe('temporal version 1.29.1');
    expect(lines[0]).toMatch(/^Building Temporal server 1\.29\.1 and its SQL tool with go1\.26\.8 from the Go module proxy/);
    expect(lines.at(-1)).toMatch(/^Built Temporal server 1\.29\.1 and its SQL tool in \d+ s → /);
    expect(await readFile(join(dir, 'calls'), 'utf8')).toContain(
      'install -ldflags -s -w go.temporal.io/server/cmd/server@v1.29.1 go.temporal.io/server/cmd/tools/sql@v1.29.1 CGO_ENABLED=0',
    );

    await ensureGoProgram(program(cacheDir), env, () => {});
    expect(await installs()).toBe(1);
  });

  it('says in one line that the module proxy could not be reached, with what Go said', async () => {
    const env = await fakeGo(
      'go1.26.8',
      'go: go.temporal.io/server/cmd/server@v1.29.1: Get "https://proxy.golang.org/…": dial tcp: lookup proxy.golang.org: no such host',
    );
    const error = await ensureGoProgram(program(join(dir, 'c')), env, () => {}).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(GoBuildUnavailableError);
    expect(error.message).not.toContain('\n');
    expect(error.message).toMatch(
      /^Temporal server 1\.29\.1 and its SQL tool could not be built: the Go module proxy could not be reached .*no such host.*or use the dev server\.$/,
    );
  });

  it('says in one line that the build failed, and refuses a Go older than 1.25 before building', async () => {
    const failing = await fakeGo('go1.26.8', 'compile: out of memory');
    const failed = await ensureGoProgram(program(join(dir, 'c')), failing, () => {}).catch((e: unknown) => e as Error);
    expect(failed.message).toMatch(
      /could not be built: go install failed \(exit 1\) — go said: compile: out of memory\. Fix that and run again, or use the dev server\.$/,
    );

    const old = await fakeGo('go1.22.5', null);
    const refused = await ensureGoProgram(program(join(dir, 'd')), old, () => {}).catch((e: unknown) => e as Error);
    expect(refused.message).toBe(
      'go1.22.5 is too old to build Temporal server 1.29.1 and its SQL tool (needs Go ≥ 1.25). Install a newer Go, or use the dev server.',
    );
  });
});
