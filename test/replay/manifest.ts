// The append-only record of committed histories: test/replay/histories/MANIFEST.sha256 lists
// every history file with its SHA-256, in `sha256sum` format (so `sha256sum -c MANIFEST.sha256`
// run in that directory checks them too). test/replay/record.ts appends a line per file it
// writes and never changes one; test/unit/workflows/histories-manifest.test.ts fails when a
// history is missing from it, differs from its hash, or a line was removed or changed.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST_NAME = 'MANIFEST.sha256';

export interface ManifestEntry {
  file: string;
  sha256: string;
}

const LINE = /^([0-9a-f]{64}) {2}([A-Za-z0-9._-]+\.json)$/;

export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The manifest's entries in order; a malformed line is a problem, never skipped. */
export function readManifest(dir: string): { entries: ManifestEntry[]; problems: string[] } {
  const path = join(dir, MANIFEST_NAME);
  if (!existsSync(path)) return { entries: [], problems: [`${MANIFEST_NAME} is missing`] };
  const entries: ManifestEntry[] = [];
  const problems: string[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, line] of lines.entries()) {
    const match = LINE.exec(line);
    if (match) entries.push({ sha256: match[1]!, file: match[2]! });
    else problems.push(`${MANIFEST_NAME}:${index + 1}: not "<sha256>  <file>.json": ${JSON.stringify(line.slice(0, 100))}`);
  }
  return { entries, problems };
}

/** What disagrees between the history files in `dir` and its manifest (empty: all consistent). */
export function manifestProblems(dir: string): string[] {
  const { entries, problems } = readManifest(dir);
  const listed = new Map<string, string>();
  for (const { file, sha256 } of entries) {
    if (listed.has(file)) problems.push(`${file} is listed twice`);
    listed.set(file, sha256);
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  for (const file of files) {
    const expected = listed.get(file);
    if (expected === undefined) problems.push(`${file} is not in ${MANIFEST_NAME} (record histories with test/replay/record.ts)`);
    else if (sha256Of(join(dir, file)) !== expected)
      problems.push(`${file} differs from the SHA-256 in ${MANIFEST_NAME}: a committed history was modified (add a new version instead)`);
  }
  for (const file of listed.keys()) if (!files.includes(file)) problems.push(`${file} is in ${MANIFEST_NAME} but its file is gone`);
  return problems;
}

/** Appends `file` (already written in `dir`) to the manifest; refuses a name it already lists. */
export function appendToManifest(dir: string, file: string): void {
  if (readManifest(dir).entries.some((e) => e.file === file)) throw new Error(`${file} is already in ${MANIFEST_NAME}: histories are never replaced`);
  appendFileSync(join(dir, MANIFEST_NAME), `${sha256Of(join(dir, file))}  ${file}\n`);
}

/**
 * The versions of scenario `name` recorded in `dir`: <name>[-run<n>].json (named before
 * versions) is version 1, <name>.v<k>[-run<n>].json version k.
 */
export function historyVersions(dir: string, name: string): number[] {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${escaped}(?:\\.v(\\d+))?(?:-run\\d+)?\\.json$`);
  const versions = new Set<number>();
  for (const file of readdirSync(dir)) {
    const match = pattern.exec(file);
    if (match) versions.add(match[1] === undefined ? 1 : Number(match[1]));
  }
  return [...versions].sort((a, b) => a - b);
}

/** `<name>.v<version>[-run<run>].json`: `run` numbers the runs of a continued-as-new workflow (null: a single run). */
export function historyFileName(name: string, version: number, run: number | null): string {
  return `${name}.v${version}${run === null ? '' : `-run${run}`}.json`;
}
