// The workflow bundle must build: lint sees only direct imports, webpack sees the whole chain,
// so a transitive import of a Node built-in (db, pino, node:crypto…) fails here. No server needed.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../../daemon/workers.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

describe('workflow bundle', () => {
  it('bundles workflows/index.ts without reaching node: modules', { timeout: 120_000 }, async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silent });
    expect(bundle.code).toContain('subscriptionWorkflow');
    expect(bundle.code.length).toBeGreaterThan(10_000);
  });

  it('fails for a workflow module that imports node:fs, naming node:fs (the check can fail)', { timeout: 120_000 }, async () => {
    const leaky = fileURLToPath(new URL('./fixtures/reaches-node-fs.ts', import.meta.url));
    // The thrown error is generic; webpack's report, logged as an error, names the module it could not bundle.
    const errors: string[] = [];
    const logger = { ...silent, error: (message: string) => void errors.push(message) };
    await expect(bundleWorkflowCode({ workflowsPath: leaky, logger })).rejects.toThrow(/^Webpack finished with errors/);
    expect(errors.join('\n')).toMatch(/ERROR in node:fs\s+Module build failed: UnhandledSchemeError: Reading from "node:fs" is not handled/);
  });
});
