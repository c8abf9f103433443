// planCycle answers for the cycle asked and plans the following ones, so a subscription calls
// it about once a year instead of once per cycle; the plans ahead must equal planning each alone.
import { describe, expect, it } from 'vitest';
import { createScheduleActivities, PLAN_AHEAD_CYCLES } from '../../../activities/schedule.js';
import type { ScheduleSegment } from '../../../workflows/types.js';

const { planCycle } = createScheduleActivities({ now: () => new Date('2026-01-01T00:00:00Z') });
const monthlyFromJan31: ScheduleSegment[] = [
  { fromCycle: 0, anchor: { localDateTime: '2026-01-31T09:00:00', zone: 'America/New_York' }, interval: { unit: 'month', count: 1 } },
];

describe('planCycle', () => {
  it('plans the cycle asked and the next twelve, each equal to planning that cycle alone', async () => {
    const plan = await planCycle({ segments: monthlyFromJan31, cycle: 3, end: null });
    expect(plan.ahead.map((p) => p.cycle)).toEqual(Array.from({ length: PLAN_AHEAD_CYCLES }, (_, i) => 4 + i));
    for (const ahead of plan.ahead) {
      const alone = await planCycle({ segments: monthlyFromJan31, cycle: ahead.cycle, end: null });
      expect({ dueAt: ahead.dueAt, inTerm: ahead.inTerm }).toEqual({ dueAt: alone.dueAt, inTerm: alone.inTerm });
    }
    // Month-end clamping is kept: cycle 3 of a Jan 31 anchor is Apr 30, cycle 4 May 31 (New York, EDT).
    expect(plan.dueAt).toBe('2026-04-30T13:00:00.000Z');
    expect(plan.ahead[0]).toEqual({ cycle: 4, dueAt: '2026-05-31T13:00:00.000Z', inTerm: true });
  });

  it('stops at the first cycle past the term (after N cycles)', async () => {
    const plan = await planCycle({ segments: monthlyFromJan31, cycle: 0, end: { afterCycles: 2 } });
    expect(plan.inTerm).toBe(true);
    expect(plan.ahead.map((p) => [p.cycle, p.inTerm])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('stops at the first cycle past the term (an end instant)', async () => {
    const plan = await planCycle({ segments: monthlyFromJan31, cycle: 0, end: { at: '2026-03-15T00:00:00Z' } });
    expect(plan.ahead.map((p) => [p.cycle, p.inTerm])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('plans nothing ahead when the cycle asked is already past the term', async () => {
    const plan = await planCycle({ segments: monthlyFromJan31, cycle: 5, end: { afterCycles: 2 } });
    expect(plan).toMatchObject({ inTerm: false, ahead: [] });
  });
});
