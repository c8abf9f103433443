import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../client/errors.js';
import { previewSchedule } from '../../../client/subscriptions/preview.js';

describe('previewSchedule', () => {
  it('answers a window past the dates the schedule can compute as invalid input naming fromCycle, not as a fault', () => {
    const input = { anchor: { localDateTime: '2026-01-31T09:00', zone: 'UTC' }, interval: { unit: 'year' as const, count: 1 }, count: 2, fromCycle: 1_000_000 };
    expect(() => previewSchedule('sandbox', input)).toThrow(InvalidInputError);
    expect(() => previewSchedule('sandbox', input)).toThrow(/reaches past the dates the schedule supports: cycles 1000000 to 1000001 of this plan/);
  });

  it('still previews an ordinary window', () => {
    const dates = previewSchedule('sandbox', { anchor: { localDateTime: '2026-01-31T09:00', zone: 'UTC' }, interval: { unit: 'month', count: 1 }, count: 3 });
    expect(dates.map((d) => d.dueAt.slice(0, 10))).toEqual(['2026-01-31', '2026-02-28', '2026-03-31']);
  });
});
