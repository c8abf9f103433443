// The test run's workflow bundle cache (daemon/bundle-cache.ts): built once, read by later
// processes, and never served for sources other than those it was built from.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedBundle, workflowSourcesHash } from '../../../daemon/bundle-cache.js';

const scratch = mkdtempSync(join(tmpdir(), 'bundle-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A repository-shaped tree: sources, a test tree, and the workflow SDK's package.json. */
function tree(name: string): string {
  const root = join(scratch, name);
  for (const dir of ['workflows', 'billing', 'test', 'node_modules/@temporalio/workflow']) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'workflows/index.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'billing/money.ts'), 'export const b = 2;\n');
  writeFileSync(join(root, 'test/x.test.ts'), 'test\n');
  writeFileSync(join(root, 'node_modules/@temporalio/workflow/package.json'), '{"version":"1.0.0"}');
  return root;
}

describe('workflow bundle cache', () => {
  it('hashes every source the bundle may include, and the SDK version, but not the test tree', () => {
    const root = tree('hash');
    const first = workflowSourcesHash(root);
    writeFileSync(join(root, 'test/x.test.ts'), 'changed\n');
    expect(workflowSourcesHash(root)).toBe(first);
    writeFileSync(join(root, 'billing/money.ts'), 'export const b = 3;\n');
    const second = workflowSourcesHash(root);
    expect(second).not.toBe(first);
    writeFileSync(join(root, 'node_modules/@temporalio/workflow/package.json'), '{"version":"1.0.1"}');
    expect(workflowSourcesHash(root)).not.toBe(second);
  });

  it('builds once and reads the file afterwards; the file is complete when it appears', async () => {
    const dir = join(scratch, 'cache');
    let builds = 0;
    const build = async () => ({ code: `/* bundle ${++builds} */`, sourceMap: '{}' });
    expect(await cachedBundle(dir, build)).toEqual({ code: '/* bundle 1 */', sourceMap: '{}' });
    expect(await cachedBundle(dir, build)).toEqual({ code: '/* bundle 1 */', sourceMap: '{}' });
    expect(builds).toBe(1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
