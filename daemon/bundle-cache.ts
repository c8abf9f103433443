// The workflow bundle kept on disk for the processes of one test run (BILLING_WORKFLOW_BUNDLE_CACHE):
// each integration test file runs in a fresh module scope, and several start child processes
// (workers, daemons), so without it the run bundles the same workflows with webpack dozens of times.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Trees the bundle cannot include: leaving them out only means a change there keeps the cached bundle. */
const NOT_BUNDLED = new Set(['node_modules', 'test', 'bench', 'docs', 'examples', '.git', '.ci']);

/** SHA-256 over every source file the bundle may include (path and content) and the workflow SDK's version. */
export function workflowSourcesHash(root: string = ROOT): string {
  const hash = createHash('sha256');
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) {
        if (!NOT_BUNDLED.has(entry.name)) visit(join(dir, entry.name));
      } else if (/\.(ts|js|mjs|cjs|json)$/.test(entry.name)) {
        const path = join(dir, entry.name);
        hash.update(path.slice(root.length)).update('\0').update(readFileSync(path)).update('\0');
      }
    }
  };
  visit(root);
  hash.update(readFileSync(join(root, 'node_modules/@temporalio/workflow/package.json')));
  return hash.digest('hex');
}

/**
 * The bundle of the current sources from `dir` when a process of this run already built it;
 * otherwise `build()`, written there (to a temporary name, then renamed, so a reader never sees
 * half a file).
 */
export async function cachedBundle(dir: string, build: () => Promise<WorkflowBundleWithSourceMap>): Promise<WorkflowBundleWithSourceMap> {
  const file = join(dir, `workflows-${workflowSourcesHash()}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as WorkflowBundleWithSourceMap;
  } catch {
    const built = await build();
    mkdirSync(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(built));
    renameSync(temporary, file);
    return built;
  }
}
