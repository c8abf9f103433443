// The backoff a retryable Amazon Pay failure asks Temporal for: jittered within [cap/2, cap] of
// an exponential ceiling, short for a 429 (the server-side cap already protects the quota),
// long for a 5xx.
import { ApplicationFailureCategory } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { retryableFailure, THROTTLED_BACKOFF, TRANSIENT_BACKOFF } from '../../../activities/errors.js';
import { classifyResponse } from '../../../amazonpay/outcomes.js';

const throttled = classifyResponse('createCharge', 429, JSON.stringify({ reasonCode: 'TooManyRequests', message: 'slow down' }), 'req-1');
const transient = classifyResponse('createCharge', 503, JSON.stringify({ reasonCode: 'ServiceUnavailable', message: 'later' }), 'req-2');

function delays(outcome: typeof throttled, attempt: number, samples = 200): number[] {
  if (outcome.kind !== 'throttled' && outcome.kind !== 'transient') throw new Error(`expected a retryable outcome, got ${outcome.kind}`);
  return Array.from({ length: samples }, () => Number(retryableFailure(outcome, attempt).nextRetryDelay));
}

describe('retryableFailure backoff', () => {
  it('classifies the fixtures as throttled and transient', () => {
    expect([throttled.kind, transient.kind]).toEqual(['throttled', 'transient']);
  });

  it.each([
    [1, 250, 500],
    [2, 500, 1_000],
    [4, 2_000, 4_000],
    [5, 4_000, 8_000],
    [6, 5_000, 10_000],
    [30, 5_000, 10_000],
  ])('a 429 at attempt %i waits between %i and %i ms', (attempt, min, max) => {
    const d = delays(throttled, attempt);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(min);
    expect(Math.max(...d)).toBeLessThanOrEqual(max);
    // Jittered, not lockstep: 200 draws are not all the same.
    expect(new Set(d).size).toBeGreaterThan(10);
  });

  it('never waits longer than the caps', () => {
    expect(Math.max(...delays(throttled, 1_000))).toBeLessThanOrEqual(THROTTLED_BACKOFF.capMs);
    expect(Math.max(...delays(transient, 1_000))).toBeLessThanOrEqual(TRANSIENT_BACKOFF.capMs);
    expect(Math.min(...delays(transient, 1_000))).toBeGreaterThanOrEqual(TRANSIENT_BACKOFF.capMs / 2);
  });

  it('a 5xx starts at 1–2 s and doubles', () => {
    const first = delays(transient, 1);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(1_000);
    expect(Math.max(...first)).toBeLessThanOrEqual(2_000);
    const third = delays(transient, 3);
    expect(Math.min(...third)).toBeGreaterThanOrEqual(4_000);
    expect(Math.max(...third)).toBeLessThanOrEqual(8_000);
  });

  it('is a retryable failure typed for the workflow', () => {
    if (throttled.kind !== 'throttled') throw new Error('fixture');
    const failure = retryableFailure(throttled, 1);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('AmazonPayThrottled');
  });

  it('a 429 is BENIGN (the SDK logs it at debug, not as a warning); a 5xx is not', () => {
    if (throttled.kind !== 'throttled' || transient.kind !== 'transient') throw new Error('fixture');
    expect(retryableFailure(throttled, 1).category).toBe(ApplicationFailureCategory.BENIGN);
    expect(retryableFailure(transient, 1).category).toBeUndefined();
  });
});
