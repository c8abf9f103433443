// Issue 13 §5: the housekeeping schedule must not depend on the host's zone. This drives the real
// scheduler (node-cron 4.6.0 through daemon/housekeeping/utc-cron.ts, with the expressions shipped
// in billing.yaml plus an hourly one) on a fake clock across the 2025 spring and autumn changes of
// several host zones, and counts the ticks and the timers node-cron arms.
//
// The host zone is switched in-process (process.env.TZ; Node re-reads it on assignment, checked
// below). node-cron caches its host-zone Intl formatter per process, which does not matter here:
// with the zone pinned to UTC it never builds a host-zone one.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readBillingYaml } from '../../../config/billing.js';
import { scheduleUtc } from '../../../daemon/housekeeping/utc-cron.js';

const MINUTE = 60_000;
const shipped = readBillingYaml('billing.yaml').housekeeping;
const JOBS: Record<string, string> = {
  inboxRetry: shipped.inboxRetry,
  reconcile: shipped.reconcile,
  drift: shipped.drift,
  prune: shipped.prune,
  hourly: '0 * * * *',
};

// UTC instants of each zone's 2025 changes; zones without DST get Berlin's (nothing may change there either).
const CHANGES: Array<[zone: string, change: string, at: string]> = [
  ['Europe/Berlin', 'spring', '2025-03-30T01:00:00Z'],
  ['Europe/Berlin', 'autumn', '2025-10-26T01:00:00Z'],
  ['America/New_York', 'spring', '2025-03-09T07:00:00Z'],
  ['America/New_York', 'autumn', '2025-11-02T06:00:00Z'],
  ['Australia/Sydney', 'autumn', '2025-04-05T16:00:00Z'],
  ['Australia/Sydney', 'spring', '2025-10-04T16:00:00Z'],
  ['Asia/Kolkata', 'Berlin spring', '2025-03-30T01:00:00Z'],
  ['Asia/Kolkata', 'Berlin autumn', '2025-10-26T01:00:00Z'],
  ['UTC', 'Berlin spring', '2025-03-30T01:00:00Z'],
  ['UTC', 'Berlin autumn', '2025-10-26T01:00:00Z'],
];

/** Matches a 5-field expression whose day, month and weekday are "*", minute/hour "*", "*\/n" or a number, in UTC. */
function matchesUtc(expression: string, instantMs: number): boolean {
  const [minute, hour, ...rest] = expression.trim().split(/\s+/);
  if (rest.length !== 3 || rest.some((f) => f !== '*')) throw new Error(`test helper: unsupported expression "${expression}"`);
  const date = new Date(instantMs);
  const field = (text: string, value: number): boolean => {
    if (text === '*') return true;
    const step = /^\*\/(\d+)$/.exec(text);
    if (step) return value % Number(step[1]) === 0;
    if (/^\d+$/.test(text)) return value === Number(text);
    throw new Error(`test helper: unsupported field "${text}"`);
  };
  return date.getUTCSeconds() === 0 && field(minute!, date.getUTCMinutes()) && field(hour!, date.getUTCHours());
}

const originalTz = process.env.TZ;
afterEach(() => {
  vi.useRealTimers();
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

describe.each(CHANGES)('host zone %s, %s change (%s)', (zone, _change, at) => {
  const changeMs = Date.parse(at);
  // 4 h 10 min around the change, starting off the second (node-cron trims milliseconds).
  const startMs = changeMs - 125 * MINUTE + 437;
  const endMs = changeMs + 125 * MINUTE;

  beforeEach(() => {
    process.env.TZ = zone;
  });

  it('every expression fires at each of its UTC instants, on time, without a timer storm', async () => {
    // The host zone really is `zone`: Berlin/New York/Sydney change offset at `at`, the others do not.
    const offsets = [new Date(changeMs - MINUTE).getTimezoneOffset(), new Date(changeMs + MINUTE).getTimezoneOffset()];
    expect(offsets[0] !== offsets[1], `offset change in ${zone}`).toBe(!['Asia/Kolkata', 'UTC'].includes(zone));
    // ICU may report a zone by its older name (Asia/Calcutta): compare what it means, not the name.
    const hostZone = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(new Date(changeMs).toLocaleString('en-GB', { timeZone: hostZone })).toBe(new Date(changeMs).toLocaleString('en-GB', { timeZone: zone }));

    vi.useFakeTimers({ now: startMs, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const fakeSetTimeout = globalThis.setTimeout;
    let armed = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      armed++;
      return fakeSetTimeout(...args);
    }) as typeof setTimeout;

    const ticks: Record<string, number[]> = Object.fromEntries(Object.keys(JOBS).map((job) => [job, []]));
    const late: string[] = [];
    const tasks = Object.entries(JOBS).map(([job, expression]) =>
      scheduleUtc(expression, `dst-${job}`, (tick) => {
        ticks[job]!.push(tick.getTime());
        if (Date.now() - tick.getTime() >= 1_000) late.push(`${job} ${tick.toISOString()} ran at ${new Date(Date.now()).toISOString()}`);
      }),
    );
    try {
      // A minute at a time, so a storm shows up as a count instead of millions of fake timers.
      for (let now = startMs; now < endMs; now += MINUTE) {
        const before = armed;
        await vi.advanceTimersByTimeAsync(Math.min(MINUTE, endMs - now));
        expect(armed - before, `timers armed in the minute after ${new Date(now).toISOString()}`).toBeLessThanOrEqual(3 * tasks.length);
      }
    } finally {
      for (const task of tasks) task.stop();
      globalThis.setTimeout = fakeSetTimeout;
    }

    for (const [job, expression] of Object.entries(JOBS)) {
      const expected: number[] = [];
      for (let t = Math.ceil(startMs / MINUTE) * MINUTE; t <= endMs; t += MINUTE) if (matchesUtc(expression, t)) expected.push(t);
      expect(
        ticks[job]!.map((t) => new Date(t).toISOString()),
        `${job} "${expression}"`,
      ).toEqual(expected.map((t) => new Date(t).toISOString()));
    }
    expect(ticks.inboxRetry).toHaveLength(250);
    expect(ticks.hourly!.length).toBeGreaterThanOrEqual(4);
    expect(late).toEqual([]);
    // About one timer per tick (plus a re-arm or two), not one per millisecond.
    const totalTicks = Object.values(ticks).reduce((n, list) => n + list.length, 0);
    expect(armed).toBeLessThanOrEqual(2 * totalTicks + 2 * tasks.length);
  });
});
