// Workflow code imports these files; Temporal's sandbox bundle fails if anything they
// import reaches node: modules, and luxon/zod must stay out of workflow code. Lint only sees
// workflows/**, so this test guards the billing side of the wall.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SANDBOX_SAFE = ['types.ts', 'plan-rules.ts', 'vocabulary.ts', 'money.ts', 'permission-end.ts'];
const allowedSpecifiers = new Set(SANDBOX_SAFE.map((f) => `./${f.replace(/\.ts$/, '.js')}`));

describe.each(SANDBOX_SAFE)('billing/%s', (file) => {
  const source = readFileSync(fileURLToPath(new URL(`../../../billing/${file}`, import.meta.url)), 'utf8');

  it('imports nothing but the other sandbox-safe billing files', () => {
    const specifiers = [...source.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]|\brequire\s*\(\s*['"]([^'"]+)['"]/g)].map(
      (m) => m[1] ?? m[2] ?? m[3],
    );
    expect(specifiers.filter((s) => s === undefined || !allowedSpecifiers.has(s))).toEqual([]);
  });

  it('uses no clock, environment or globals that differ between the sandbox and Node', () => {
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/\bDate\.now\(|new Date\(|process\.|TextEncoder|Buffer\.|crypto\./);
  });
});
