// client/workflow-backlog.ts backlogGate: when a bulk start waits for the workers, by a scripted backlog and a fake clock.
import { describe, expect, it } from 'vitest';
import { backlogGate } from '../../../client/workflow-backlog.js';

function fakeClock() {
  let now = 0;
  return { now: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) };
}

describe('backlogGate', () => {
  it('passes below high, pauses at high until the backlog is down to low, and reads at most once per everyMs', async () => {
    const clock = fakeClock();
    const readings = [0, 10, 10, 7, 5, 0];
    let reads = 0;
    const events: string[] = [];
    const gate = backlogGate(async () => readings[Math.min(reads++, readings.length - 1)]!, {
      high: 10,
      low: 5,
      everyMs: 1_000,
      clock,
      onPause: (n) => events.push(`pause at ${n}`),
      onResume: (ms) => events.push(`resume after ${ms} ms`),
    });
    await gate(); // 0
    await gate(); // the same reading (no time passed)
    expect(reads).toBe(1);
    await clock.sleep(1_000);
    await gate(); // 10 → pauses; 10, 7 still above low; 5 → goes on
    expect(events).toEqual(['pause at 10', 'resume after 3000 ms']);
    expect(reads).toBe(5);
  });

  it('never holds the starts when the server reports no statistics or cannot be read, and says so once', async () => {
    const clock = fakeClock();
    const none = backlogGate(async () => null, { high: 1, clock });
    await none();
    const unreadable: unknown[] = [];
    const failing = backlogGate(
      async () => {
        throw new Error('Unimplemented');
      },
      { high: 1, everyMs: 10, clock, onUnreadable: (e) => unreadable.push(e) },
    );
    await failing();
    await clock.sleep(20);
    await failing();
    expect(unreadable).toHaveLength(1);
    expect(() => backlogGate(async () => 0, { high: 0 })).toThrow(RangeError);
  });
});
