import { describe, expect, it } from 'vitest';
import { callSpacer } from '../../../activities/call-spacer.js';

/** A fake clock: sleeping advances nothing by itself; we record when each caller would run. */
function fakeClock(start = 1_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    clock: { now: () => now, sleep: (ms: number) => (sleeps.push(ms), Promise.resolve()) },
    sleeps,
    advance: (ms: number) => (now += ms),
  };
}

describe('callSpacer', () => {
  it('gives ten concurrent callers distinct slots 1/rate apart (50/s → 20 ms)', async () => {
    const { clock, sleeps } = fakeClock();
    const wait = callSpacer(50, clock);
    await Promise.all(Array.from({ length: 10 }, () => wait()));
    // The first goes at once; the others wait 20, 40, … 180 ms.
    expect(sleeps).toEqual([20, 40, 60, 80, 100, 120, 140, 160, 180]);
  });

  it('does not save up unused time: after a quiet second the next caller goes at once, the one after waits a gap', async () => {
    const { clock, sleeps, advance } = fakeClock();
    const wait = callSpacer(4, clock);
    await wait();
    advance(5_000);
    await wait();
    await wait();
    expect(sleeps).toEqual([250]);
  });

  it('does nothing without a positive finite rate', async () => {
    const { clock, sleeps } = fakeClock();
    for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const wait = callSpacer(rate, clock);
      await Promise.all([wait(), wait(), wait()]);
    }
    expect(sleeps).toEqual([]);
  });
});
