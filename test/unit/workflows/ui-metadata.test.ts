// The Web UI's "current details" of a subscription workflow (workflows/ui-metadata.ts): what an
// operator reads on the workflow's page, including a plan change ahead and a stop at period end.
import { describe, expect, it } from 'vitest';
import { currentDetails, type DetailsInput } from '../../../workflows/ui-metadata.js';

const base: DetailsInput = {
  status: 'active',
  reason: null,
  amountMinor: '1400',
  currency: 'USD',
  interval: { unit: 'month', count: 1 },
  cycle: 3,
  nextBillingAt: '2026-12-28T14:00:00.000Z',
  nextRetryAt: null,
  dunningStep: 0,
  dunningSteps: 3,
  paused: false,
  zone: 'America/New_York',
  planAhead: null,
  stopsAtPeriodEnd: null,
};

describe('current details', () => {
  it('shows the plan, the cycle and the next billing date in the buyer zone', () => {
    expect(currentDetails(base).split('\n\n')).toEqual([
      '**Status:** active',
      '**Plan:** 14.00 USD every month',
      '**Cycle:** 3',
      '**Next billing:** 2026-12-28 09:00 America/New_York',
    ]);
  });

  it('shows a plan change that starts at a later cycle under the current plan', () => {
    const text = currentDetails({ ...base, planAhead: { fromCycle: 4, amountMinor: '1900', interval: { unit: 'week', count: 2 } } });
    expect(text).toContain('**Plan:** 14.00 USD every month\n\n**From cycle 4:** 19.00 USD every 2 weeks');
  });

  it('says when the subscription stops at the end of the period, and why', () => {
    expect(currentDetails({ ...base, stopsAtPeriodEnd: { reason: 'BuyerRequested' } })).toMatch(
      /\*\*Stops:\*\* at the end of this period \(BuyerRequested\); no further cycle is billed$/,
    );
  });

  it('shows the dunning step and its next retry', () => {
    expect(currentDetails({ ...base, status: 'past_due', dunningStep: 1, nextRetryAt: '2026-12-29T14:00:00.000Z' })).toContain(
      '**Dunning:** step 1 of 3, next retry 2026-12-29 09:00 America/New_York',
    );
  });
});
