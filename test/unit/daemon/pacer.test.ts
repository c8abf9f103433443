// The pacer that keeps reconciliation's Amazon Pay reads under its share of the read rate.
import { describe, expect, it } from 'vitest';
import { pacer } from '../../../daemon/housekeeping/pacer.js';

describe('pacer', () => {
  it('spaces calls 1/perSecond apart; the first goes at once', async () => {
    const pace = pacer(50, new AbortController().signal);
    const started = Date.now();
    for (let i = 0; i < 6; i++) expect(await pace()).toBe(true);
    // Five gaps of 20 ms (timers never fire early by more than a millisecond).
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('does not wait without a rate', async () => {
    const pace = pacer(undefined, new AbortController().signal);
    const started = Date.now();
    for (let i = 0; i < 100; i++) await pace();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('ends a wait when aborted and answers false from then on', async () => {
    const stop = new AbortController();
    const pace = pacer(0.01, stop.signal); // one call per 100 s
    expect(await pace()).toBe(true);
    const waiting = pace();
    stop.abort();
    expect(await waiting).toBe(false);
    expect(await pace()).toBe(false);
  });
});
