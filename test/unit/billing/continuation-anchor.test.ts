// A replacement subscription (a checkout with replacesSubscriptionId, client/checkout/replace.ts)
// continues the replaced one's schedule from its next billing date: billing/segments.ts
// continuationAnchor gives the new subscription's stored anchor, and every later date is
// computed from that anchor (billing/schedule.ts), never chained from the date before.
import { describe, expect, it } from 'vitest';
import { continuationAnchor, dueAtForCycle, rebaseSegments, type ScheduleSegment } from '../../../billing/segments.js';
import { cycleDueAt, firstBillingAnchor } from '../../../billing/schedule.js';
import type { BillingInterval } from '../../../billing/types.js';

const BERLIN = 'Europe/Berlin';
const monthly: BillingInterval = { unit: 'month', count: 1 };
const inZone = (instants: { setZone(zone: string): { toFormat(f: string): string } }[], zone = BERLIN) =>
  instants.map((d) => d.setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm"));
/** The new subscription's cycles 0..n-1 as startSubscription stores them: its anchor through firstBillingAnchor (no trial). */
const newCycles = (anchor: ReturnType<typeof continuationAnchor>, interval: BillingInterval, n: number) =>
  inZone(
    Array.from({ length: n }, (_, cycle) => cycleDueAt({ anchor, plan: { amountMinor: '1200', currency: 'EUR', interval } }, cycle)),
    anchor.zone,
  );

describe('the anchor of a plan that continues another subscription from its next billing date', () => {
  const jan31: ScheduleSegment[] = [{ fromCycle: 0, anchor: { localDateTime: '2027-01-31T09:00', zone: BERLIN }, interval: monthly }];

  it('monthly anchored Jan 31, next date Feb 28 → the new monthly plan bills Feb 28, Mar 31, Apr 30, May 31 (not Mar 28)', () => {
    expect(inZone([dueAtForCycle(jan31, 1)])).toEqual(['2027-02-28T09:00']);
    const anchor = continuationAnchor(jan31, 1, monthly);
    expect(anchor).toEqual({ localDateTime: '2027-02-28T09:00:00', zone: BERLIN, dayOfMonth: 31 });
    expect(newCycles(anchor, monthly, 4)).toEqual(['2027-02-28T09:00', '2027-03-31T09:00', '2027-04-30T09:00', '2027-05-31T09:00']);
    // Cycle 0 of the new plan is the old one's next billing date exactly: no gap, no second charge.
    expect(cycleDueAt({ anchor, plan: { amountMinor: '1200', currency: 'EUR', interval: monthly } }, 0).toMillis()).toBe(dueAtForCycle(jan31, 1).toMillis());
  });

  it('without the stored day of month the same wall time would drift to the 28th: the rule needs it', () => {
    const { localDateTime, zone } = continuationAnchor(jan31, 1, monthly);
    expect(newCycles({ localDateTime, zone }, monthly, 2)).toEqual(['2027-02-28T09:00', '2027-03-28T09:00']);
  });

  it('firstBillingAnchor keeps the intended day of a start without a trial (how the new subscription stores and replans it)', () => {
    const anchor = { localDateTime: '2027-02-28T09:00:00', zone: BERLIN, dayOfMonth: 31 };
    expect(firstBillingAnchor({ anchor })).toEqual(anchor);
    expect(firstBillingAnchor({ anchor: { localDateTime: '2027-02-15T09:00', zone: BERLIN } })).toEqual({ localDateTime: '2027-02-15T09:00', zone: BERLIN });
  });

  it('monthly → every 2 months, and → yearly, keep the 31st; → weekly keeps the date and time only', () => {
    expect(newCycles(continuationAnchor(jan31, 1, { unit: 'month', count: 2 }), { unit: 'month', count: 2 }, 3)).toEqual([
      '2027-02-28T09:00',
      '2027-04-30T09:00',
      '2027-06-30T09:00',
    ]);
    const weekly = continuationAnchor(jan31, 1, { unit: 'week', count: 1 });
    expect(weekly).toEqual({ localDateTime: '2027-02-28T09:00:00', zone: BERLIN });
    expect(newCycles(weekly, { unit: 'week', count: 1 }, 2)).toEqual(['2027-02-28T09:00', '2027-03-07T09:00']);
  });

  it('a later cycle of the old plan (cycle 4, May 31) continues on the 31st as well', () => {
    const anchor = continuationAnchor(jan31, 4, monthly);
    expect(anchor).toEqual({ localDateTime: '2027-05-31T09:00:00', zone: BERLIN });
    expect(newCycles(anchor, monthly, 2)).toEqual(['2027-05-31T09:00', '2027-06-30T09:00']);
  });

  it('an old plan whose interval changed continues its current segment (weekly from Feb 28, cycle 3 → Mar 14)', () => {
    const weekly = rebaseSegments(jan31, 1, { unit: 'week', count: 1 });
    const anchor = continuationAnchor(weekly, 3, monthly);
    expect(anchor).toEqual({ localDateTime: '2027-03-14T09:00:00', zone: BERLIN });
    expect(newCycles(anchor, monthly, 2)).toEqual(['2027-03-14T09:00', '2027-04-14T09:00']);
  });

  it('keeps the wall time a DST gap moved (02:30 on the spring-forward day bills 03:30, the next month 02:30 again)', () => {
    const early: ScheduleSegment[] = [{ fromCycle: 0, anchor: { localDateTime: '2027-02-28T02:30', zone: BERLIN }, interval: monthly }];
    // 2027-03-28 is Berlin's spring-forward day: 02:30 does not exist.
    expect(inZone([dueAtForCycle(early, 1)])).toEqual(['2027-03-28T03:30']);
    const anchor = continuationAnchor(early, 1, monthly);
    expect(anchor.localDateTime).toBe('2027-03-28T02:30:00');
    expect(newCycles(anchor, monthly, 2)).toEqual(['2027-03-28T03:30', '2027-04-28T02:30']);
  });
});
