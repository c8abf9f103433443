// Text a person types reaches a few patterns; each is bounded in length or linear, so a long run of
// spaces or digits gets the same answer as a short one, not seconds of backtracking. (Where only
// the pattern changed, these tests check the answer; the speed is not asserted.)
import { describe, expect, it } from 'vitest';
import { describeError } from '../../../client/cli/errors.js';
import { ConfigError } from '../../../config/errors.js';
import { parseCliArgs, UsageError } from '../../../simulator/cli-args.js';

describe('long input to the CLI and the simulator', () => {
  it('a configuration error with long runs of spaces around its line breaks is shown on one line', () => {
    const error = new ConfigError('billing.yaml', [`policy.finalAction: found "x${' '.repeat(40_000)}"\n${' '.repeat(40_000)}expected mark_unpaid`]);
    expect(describeError(error)).toBe(`Invalid configuration in billing.yaml: policy.finalAction: found "x${' '.repeat(40_000)}" expected mark_unpaid.`);
    expect(describeError(new ConfigError('the environment', ['a\n\n  b', `c${' '.repeat(40_000)}`]))).toBe(
      `Invalid configuration in the environment: a b; c${' '.repeat(40_000)}.`,
    );
  });

  it('the simulator refuses a fault rate of 40,000 digits with its usage line', () => {
    expect(parseCliArgs(['--fault-500', '0.25'], {}).faults?.error500Rate).toBe(0.25);
    expect(parseCliArgs(['--fault-500', '.5'], {}).faults?.error500Rate).toBe(0.5);
    expect(() => parseCliArgs(['--fault-500', `${'1'.repeat(40_000)}x`], {})).toThrow(UsageError);
    expect(() => parseCliArgs(['--fault-500', `${'1'.repeat(40_000)}x`], {})).toThrow('--fault-500 must be a number between 0 and 1, got 40001 characters');
    expect(() => parseCliArgs(['--fault-500', '1.'], {})).toThrow(/--fault-500 must be a number between 0 and 1/);
  });
});
