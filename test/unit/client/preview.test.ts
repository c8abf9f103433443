import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../client/errors.js';
import { lastSchedulableCycle, previewSchedule } from '../../../client/subscriptions/preview.js';

describe('previewSchedule', () => {
  it('answers a window past the dates the schedule can compute as invalid input naming fromCycle, not as a fault', () => {
    const input = { anchor: { localDateTime: '2026-01-31T09:00', zone: 'UTC' }, interval: { unit: 'year' as const, count: 1 }, count: 2, fromCycle: 1_000_000 };
    expect(() => previewSchedule('sandbox', input)).toThrow(InvalidInputError);
    // The real limit of this plan, without the date library's own text (the edges add the field's name).
    expect(() => previewSchedule('sandbox', input)).toThrow(
      /^fromCycle must be at most 273733 for 2 dates of this plan: its last computable cycle is 273734, got 1000000$/,
    );
    expect(previewSchedule('sandbox', { ...input, fromCycle: 273_733 }).map((d) => d.cycle)).toEqual([273_733, 273_734]);
    expect(lastSchedulableCycle(input.anchor, { unit: 'year', count: 10 })).toBe(27_373);
  });

  it('still previews an ordinary window', () => {
    const dates = previewSchedule('sandbox', { anchor: { localDateTime: '2026-01-31T09:00', zone: 'UTC' }, interval: { unit: 'month', count: 1 }, count: 3 });
    expect(dates.map((d) => d.dueAt.slice(0, 10))).toEqual(['2026-01-31', '2026-02-28', '2026-03-31']);
  });
});
