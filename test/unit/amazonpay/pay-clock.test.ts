// amazonpay/pay-clock.ts: what one Date header teaches the client, and what it must not.
import { describe, expect, it } from 'vitest';
import { createPayClock } from '../../../amazonpay/pay-clock.js';

const HOST = Date.parse('2025-10-26T01:30:00.400Z');
const header = (ms: number): string => new Date(ms).toUTCString();

describe('createPayClock', () => {
  it('starts at the host clock and learns Date − arrival (host 2 minutes ahead → −2 min, to the second below)', () => {
    const clock = createPayClock(() => new Date(HOST));
    expect(clock.now().getTime()).toBe(HOST);
    expect(clock.observe(header(HOST - 120_000), HOST)).toBe(true);
    // Date has whole seconds: 01:28:00 against 01:30:00.400 → −120.4 s, never later than Amazon.
    expect(clock.offsetMs()).toBe(-120_400);
    expect(clock.now().toISOString()).toBe('2025-10-26T01:28:00.000Z');
  });

  it('takes any lower value at once, a higher one only from a whole second on', () => {
    const clock = createPayClock(() => new Date(HOST));
    clock.observe(header(HOST), HOST); // same second: −0.4 s
    expect(clock.offsetMs()).toBe(-400);
    expect(clock.observe(header(HOST + 1_000), HOST + 100)).toBe(false); // 01:30:01 − 01:30:00.500 = +0.5 s: 0.9 s up, kept
    expect(clock.offsetMs()).toBe(-400);
    expect(clock.observe(header(HOST + 5_000), HOST)).toBe(true); // host fell 4.6 s behind: follow
    expect(clock.offsetMs()).toBe(4_600);
    expect(clock.observe(header(HOST), HOST + 300)).toBe(true); // lower again (NTP stepped): follow at once
    expect(clock.offsetMs()).toBe(-700);
  });

  it('ignores an absent or unparseable Date', () => {
    const clock = createPayClock(() => new Date(HOST));
    expect(clock.observe(undefined, HOST)).toBe(false);
    expect(clock.observe('yesterday', HOST)).toBe(false);
    expect(clock.offsetMs()).toBe(0);
  });
});
