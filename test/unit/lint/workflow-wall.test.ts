import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint wall around workflow code (eslint.config.js): a workflow that imports a Node built-in,
// the database, Amazon Pay or the activities' implementations must fail `npm run lint`.
// The file is linted in memory under a workflows/ path; nothing is written.
const eslint = new ESLint({ cwd: process.cwd() });

async function lintAsWorkflow(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: 'workflows/subscription.ts' });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

// The first lint builds the TypeScript program for type-aware rules: seconds on 2 cores.
describe('the workflow import wall', { timeout: 120_000 }, () => {
  it.each([
    ["import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", /no-restricted-imports/],
    ["import { readFileSync } from 'fs';\nexport const f = readFileSync;\n", /no-restricted-imports/],
    ["import postgres from 'postgres';\nexport const p = postgres;\n", /no-restricted-imports/],
    ["import { createDb } from '../db/client.js';\nexport const c = createDb;\n", /no-restricted-imports/],
    ["import { createAmazonPayClient } from '../amazonpay/client.js';\nexport const c = createAmazonPayClient;\n", /no-restricted-imports/],
    ["import { DateTime } from 'luxon';\nexport const d = DateTime;\n", /no-restricted-imports/],
    // Idempotency keys hash with node:crypto: activities make them, never workflow code.
    ["import { chargeIdempotencyKey } from '../billing/keys.js';\nexport const k = chargeIdempotencyKey;\n", /no-restricted-imports/],
    ['export const r = Math.random();\n', /no-restricted-properties/],
    ["import { sleep } from '@temporalio/workflow';\nexport function f(): void { sleep(1); }\n", /no-floating-promises/],
  ])('refuses %s', async (code, rule) => {
    expect((await lintAsWorkflow(code)).join('\n')).toMatch(rule);
  });

  it('allows the workflow API, type-only activity imports and the dependency-free billing modules', async () => {
    const code = [
      "import { sleep } from '@temporalio/workflow';",
      "import type { ActivityGroups } from '../activities/index.js';",
      "import { SUBSCRIPTION_ID_PATTERN } from '../billing/plan-rules.js';",
      'export type A = ActivityGroups;',
      'export const k = SUBSCRIPTION_ID_PATTERN;',
      'export async function f(): Promise<void> { await sleep(1); }',
      '',
    ].join('\n');
    expect(await lintAsWorkflow(code)).toEqual([]);
  });
});
