// `billing forecast` writes a lateness as the dashboard does (api/dashboard/app.js age()): the
// same peak read "2 min" in the CLI and "99 s" on the dashboard before (fresh review).
import { describe, expect, it } from 'vitest';
import { showSeconds } from '../../../client/commands/forecast.js';

describe('showSeconds: a forecast lateness in the units the dashboard uses', () => {
  it.each([
    [0, '0 s'],
    [99, '99 s'],
    [119.4, '119 s'],
    [120, '2 min'],
    [5_400, '90 min'],
    [7_199, '120 min'],
    [7_200, '2.0 h'],
    [172_799, '48.0 h'],
    [172_800, '2.0 d'],
  ])('%s s → %s', (seconds, shown) => {
    expect(showSeconds(seconds)).toBe(shown);
  });
});
