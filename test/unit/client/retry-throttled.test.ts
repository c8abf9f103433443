// The import's retry of throttled rows: a time budget, not six tries (two imports on a sandbox
// quota of 1 call/s were throttled past six and rejected rows; fresh review).
import { describe, expect, it } from 'vitest';
import { retryThrottled } from '../../../client/cli/retry-throttled.js';
import { InvalidInputError, UpstreamError } from '../../../client/errors.js';

const fast = { minDelayMs: 1, maxDelayMs: 5 };

function failing(times: number, error: () => Error): { call: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    call: async () => {
      calls++;
      if (calls <= times) throw error();
      return 'started';
    },
    calls: () => calls,
  };
}

describe('retryThrottled', () => {
  it('tries a throttled call again as long as the budget lasts: 12 throttles in a row, then started', async () => {
    const row = failing(12, () => new UpstreamError('Amazon Pay throttled the call (429 TooManyRequests)', true));
    await expect(retryThrottled(row.call, { budgetMs: 10_000, ...fast })).resolves.toBe('started');
    expect(row.calls()).toBe(13);
  });

  it('gives up with the last throttle once the budget is spent', async () => {
    const row = failing(Number.POSITIVE_INFINITY, () => new UpstreamError('Amazon Pay throttled the call (429 TooManyRequests)', true));
    const started = Date.now();
    await expect(retryThrottled(row.call, { budgetMs: 200, ...fast })).rejects.toThrow(/429 TooManyRequests/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(row.calls()).toBeGreaterThan(2);
  });

  it('does not retry what retrying cannot fix: a refused input, an upstream answer marked not retryable', async () => {
    for (const error of [() => InvalidInputError.of('charge_permission_id', 'is Closed'), () => new UpstreamError('InvalidChargePermissionStatus', false)]) {
      const row = failing(1, error);
      await expect(retryThrottled(row.call, { budgetMs: 10_000, ...fast })).rejects.toThrow();
      expect(row.calls()).toBe(1);
    }
  });
});
