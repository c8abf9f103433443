// daemon/housekeeping/utc-cron.ts beyond DST: a host that was suspended, a host clock stepped back,
// waits longer than the one-hour cap, and stop().
import { afterEach, describe, expect, it, vi } from 'vitest';
import { scheduleUtc, type UtcCronTask } from '../../../daemon/housekeeping/utc-cron.js';

const MINUTE = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
let task: UtcCronTask | undefined;
afterEach(() => {
  task?.stop();
  task = undefined;
  vi.useRealTimers();
});

function run(expression: string, startIso: string): string[] {
  vi.useFakeTimers({ now: Date.parse(startIso), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const ticks: string[] = [];
  task = scheduleUtc(expression, 'test', (tick) => ticks.push(iso(tick.getTime())));
  return ticks;
}

describe('scheduleUtc', () => {
  it('a daily expression fires once a day at its UTC time, across waits longer than the one-hour cap', () => {
    const ticks = run('30 3 * * *', '2025-10-24T12:00:00.250Z');
    expect(task?.nextTick()?.toISOString()).toBe('2025-10-25T03:30:00.000Z');
    vi.advanceTimersByTime(3 * 24 * 60 * MINUTE);
    expect(ticks).toEqual(['2025-10-25T03:30:00.000Z', '2025-10-26T03:30:00.000Z', '2025-10-27T03:30:00.000Z']);
  });

  it('after a suspended host wakes, the missed tick runs once, late, and the schedule goes on (no burst)', () => {
    const ticks = run('*/10 * * * *', '2025-10-26T00:00:30Z');
    vi.advanceTimersByTime(10 * MINUTE); // 00:10 ran
    // Suspended for 45 minutes: the wall clock moves, the pending wait (monotonic) does not.
    vi.setSystemTime(Date.parse('2025-10-26T00:55:30Z'));
    vi.advanceTimersByTime(20 * MINUTE);
    // 00:20 runs once when its wait ends (01:05), 00:30 to 01:00 are skipped, then 01:10 on time.
    expect(ticks).toEqual(['2025-10-26T00:10:00.000Z', '2025-10-26T00:20:00.000Z', '2025-10-26T01:10:00.000Z']);
  });

  it('a host clock stepped back an hour follows the new time (no hour of silence)', () => {
    const ticks = run('*/1 * * * *', '2025-10-26T02:00:30Z');
    vi.advanceTimersByTime(2 * MINUTE); // 02:01, 02:02
    vi.setSystemTime(Date.parse('2025-10-26T01:02:40Z'));
    // The pending wait (until 02:03 on the old clock) ends within a minute; every later wake recomputes.
    vi.advanceTimersByTime(4 * MINUTE);
    expect(ticks.slice(0, 2)).toEqual(['2025-10-26T02:01:00.000Z', '2025-10-26T02:02:00.000Z']);
    expect(ticks.slice(2)).toEqual(['2025-10-26T01:04:00.000Z', '2025-10-26T01:05:00.000Z', '2025-10-26T01:06:00.000Z']);
  });

  it('stop() ends the ticks', () => {
    const ticks = run('*/1 * * * *', '2025-10-26T00:00:30Z');
    vi.advanceTimersByTime(MINUTE);
    task!.stop();
    vi.advanceTimersByTime(10 * MINUTE);
    expect(ticks).toEqual(['2025-10-26T00:01:00.000Z']);
    expect(task!.nextTick()).toBeNull();
  });

  it("refuses a bad expression with node-cron's message", () => {
    expect(() => scheduleUtc('61 * * * *', 'bad', () => {})).toThrow(/minute/);
  });
});
