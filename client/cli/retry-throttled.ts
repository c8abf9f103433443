// How the CLI retries a call Amazon Pay throttled (429) or answered with a transient error:
// exponential backoff with jitter (Amazon Pay's advice for 429 and 5xx), within a time budget.
import pRetry from 'p-retry';
import { UpstreamError } from '../errors.js';

export interface RetryBudget {
  /** Give up once this long has passed since the first try (ms). */
  budgetMs: number;
  /** The first wait (ms); each next one doubles, up to `maxDelayMs`, times a random 1-2. */
  minDelayMs: number;
  maxDelayMs: number;
}

/**
 * `call()`, tried again while it fails with a retryable UpstreamError (429, 5xx, a network
 * failure: UpstreamError.retryable) and the budget lasts. Any other error, or the last retryable
 * one once the budget is spent, is thrown as is. The call must be idempotent (a start is).
 */
export function retryThrottled<T>(call: () => Promise<T>, budget: RetryBudget): Promise<T> {
  return pRetry(call, {
    retries: Number.POSITIVE_INFINITY,
    maxRetryTime: budget.budgetMs,
    minTimeout: budget.minDelayMs,
    maxTimeout: budget.maxDelayMs,
    randomize: true,
    shouldRetry: ({ error }) => error instanceof UpstreamError && error.retryable,
  });
}
