// Committed histories are append-only (test/replay/manifest.ts): every file is in
// MANIFEST.sha256 with its hash, and, in git, no history file or manifest line was changed or
// removed since the manifest was committed.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HISTORIES_DIR } from '../../replay/history-facts.js';
import { appendToManifest, historyFileName, historyVersions, MANIFEST_NAME, manifestProblems } from '../../replay/manifest.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const HISTORIES = 'test/replay/histories';

function git(...args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** The lines a unified diff removes. */
function removedLines(diff: string | null): string[] {
  return (diff ?? '').split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
}

/** The commit that added the manifest, or null outside a git checkout (or before it is committed). */
const manifestAddedIn = git('log', '--diff-filter=A', '--format=%H', '--', `${HISTORIES}/${MANIFEST_NAME}`)?.trim().split('\n').at(-1) || null;

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of two committed histories and a manifest of them, to break on purpose. */
function copyOfHistories(): string {
  const dir = mkdtempSync(join(tmpdir(), 'histories-'));
  scratch.push(dir);
  writeFileSync(join(dir, MANIFEST_NAME), '');
  for (const file of ['completed.json', 'ipn-charge.json']) {
    copyFileSync(join(HISTORIES_DIR, file), join(dir, file));
    appendToManifest(dir, file);
  }
  return dir;
}

describe('committed replay histories are append-only', () => {
  it('every history is in MANIFEST.sha256 with its SHA-256, and every line names a history', () => {
    expect(readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(20);
    expect(manifestProblems(HISTORIES_DIR)).toEqual([]);
  });

  it('names a modified, unlisted, missing or twice-listed history (the check can fail)', () => {
    const dir = copyOfHistories();
    expect(manifestProblems(dir)).toEqual([]);
    writeFileSync(join(dir, 'completed.json'), '{"events":[]}\n');
    copyFileSync(join(HISTORIES_DIR, 'dunning.json'), join(dir, 'dunning.json'));
    rmSync(join(dir, 'ipn-charge.json'));
    expect(manifestProblems(dir)).toEqual([
      'completed.json differs from the SHA-256 in MANIFEST.sha256: a committed history was modified (add a new version instead)',
      'dunning.json is not in MANIFEST.sha256 (record histories with test/replay/record.ts)',
      'ipn-charge.json is in MANIFEST.sha256 but its file is gone',
    ]);
    expect(() => appendToManifest(dir, 'completed.json')).toThrow('completed.json is already in MANIFEST.sha256: histories are never replaced');
  });

  it('numbers versions: files named before versions are version 1, a new recording gets the next', () => {
    // completed.json (before versions) and completed.v2.json; continued-as-new-run1/2.json and continued-as-new.v2-run1/2.json.
    expect(historyVersions(HISTORIES_DIR, 'completed')).toEqual(expect.arrayContaining([1, 2]));
    expect(historyVersions(HISTORIES_DIR, 'continued-as-new')).toEqual(expect.arrayContaining([1, 2]));
    expect(historyVersions(HISTORIES_DIR, 'no-such-scenario')).toEqual([]);
    const dir = copyOfHistories();
    copyFileSync(join(HISTORIES_DIR, 'completed.json'), join(dir, historyFileName('completed', 2, null)));
    copyFileSync(join(HISTORIES_DIR, 'completed.json'), join(dir, historyFileName('completed', 3, 2)));
    expect(historyVersions(dir, 'completed')).toEqual([1, 2, 3]);
    expect(historyFileName('completed', 3, 2)).toBe('completed.v3-run2.json');
  });

  it.skipIf(manifestAddedIn === null)(
    'in git, no history file was changed, renamed or deleted, nor a manifest line removed, since the manifest was committed',
    () => {
      const range = `${manifestAddedIn}..HEAD`;
      // The manifest itself grows (M); its lines are checked below.
      const changed = git('log', '--format=', '--name-status', '--diff-filter=MDRT', range, '--', `${HISTORIES}/*.json`);
      expect(changed?.trim()).toBe('');
      expect(removedLines(git('log', '--format=', '-p', '--unified=0', range, '--', `${HISTORIES}/${MANIFEST_NAME}`))).toEqual([]);
      // Uncommitted changes too: a tracked history or manifest line edited in the working tree.
      expect(git('diff', '--name-status', '--diff-filter=MDRT', 'HEAD', '--', `${HISTORIES}/*.json`)?.trim()).toBe('');
      expect(removedLines(git('diff', '--unified=0', 'HEAD', '--', `${HISTORIES}/${MANIFEST_NAME}`))).toEqual([]);
    },
  );
});
