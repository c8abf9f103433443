import { beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_TYPES, NON_RETRYABLE_FAILURE_TYPES, RETRYABLE_FAILURE_TYPES } from '../../../billing/vocabulary.js';
import { typeErrors } from './typecheck-probe.js';

// The shared vocabulary (billing/vocabulary.ts) is a type: a failure type, charge state or IPN
// object type that does not exist is refused by `npm run typecheck`, in activities and workflows.
const inActivities = (body: string): string =>
  `import { nonRetryableFailure } from './errors.js';\nimport { isChargeStateIn, TERMINAL_CHARGE_STATES } from '../billing/vocabulary.js';\nexport function probe(state: string): unknown {\n  ${body}\n}\n`;
const inWorkflows = (body: string): string =>
  `import { isFailureType, unreachable, type IpnObjectType } from '../billing/vocabulary.js';\nexport function probe(type: string | undefined, objectType: IpnObjectType): unknown {\n  ${body}\n}\n`;

const probes = {
  'activities/probe-ok.ts': inActivities("return [nonRetryableFailure('AmazonPayInvalidRequest', 'x'), isChargeStateIn(state, TERMINAL_CHARGE_STATES)];"),
  'workflows/probe-ok.ts': inWorkflows(
    "if (isFailureType(type, ['AmazonPayThrottled'])) return 1;\n  switch (objectType) { case 'CHARGE': case 'CHARGE_PERMISSION': case 'REFUND': return 2; default: return unreachable(objectType, 'type'); }",
  ),
  'activities/probe-misspelt-failure.ts': inActivities("return nonRetryableFailure('AmazonPayInvalidRequst', 'x');"),
  'activities/probe-retryable-as-final.ts': inActivities("return nonRetryableFailure('AmazonPayThrottled', 'x');"),
  'activities/probe-unknown-state.ts': inActivities("return isChargeStateIn(state, ['Captured', 'Setled']);"),
  'workflows/probe-unknown-failure.ts': inWorkflows("return isFailureType(type, ['AmazonPayThrotled']);"),
  'workflows/probe-missing-case.ts': inWorkflows(
    "switch (objectType) { case 'CHARGE': case 'CHARGE_PERMISSION': return 2; default: return unreachable(objectType, 'type'); }",
  ),
};

describe('the shared vocabulary in the types', { timeout: 120_000 }, () => {
  let errors: Record<string, string[]>;
  beforeAll(() => {
    errors = typeErrors(probes);
  }, 120_000);

  it('accepts the known failure types, charge states and an exhaustive IPN switch', () => {
    expect(errors['activities/probe-ok.ts']).toEqual([]);
    expect(errors['workflows/probe-ok.ts']).toEqual([]);
  });

  it.each([
    ['a misspelt failure type', 'activities/probe-misspelt-failure.ts', /AmazonPayInvalidRequst/],
    ['a retryable type raised as non-retryable', 'activities/probe-retryable-as-final.ts', /AmazonPayThrottled/],
    ['an unknown charge state', 'activities/probe-unknown-state.ts', /Setled/],
    ['an unknown failure type in workflow code', 'workflows/probe-unknown-failure.ts', /AmazonPayThrotled/],
    ['a switch over IPN object types that misses one', 'workflows/probe-missing-case.ts', /REFUND|never/],
  ])('refuses %s', (_what, file, message) => {
    expect((errors[file] ?? []).join('\n')).toMatch(message);
  });

  it('splits the failure types by retry stance, each exactly once', () => {
    expect([...RETRYABLE_FAILURE_TYPES, ...NON_RETRYABLE_FAILURE_TYPES].sort()).toEqual(Object.keys(FAILURE_TYPES).sort());
    expect(RETRYABLE_FAILURE_TYPES).toEqual(['AmazonPayThrottled', 'AmazonPayTransient']);
  });
});
