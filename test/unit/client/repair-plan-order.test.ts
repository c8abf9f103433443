// A restart's terms apply plan changes in the order they were made (client/subscriptions/repair.ts
// applyPlanChanges): a change billing repair put back after a restore has a newer id than one made
// since, but its own, earlier time (found by review: the put-back change overrode the newer one).
import { describe, expect, it } from 'vitest';
import { applyPlanChanges } from '../../../client/subscriptions/repair.js';

describe('plan changes in a restart', () => {
  it('are applied by time, not by the order their events were written', () => {
    const base = {
      segments: [{ fromCycle: 0, anchor: { localDateTime: '2026-01-01T09:00:00', zone: 'UTC' }, interval: { unit: 'month' as const, count: 1 } }],
      amountChanges: [{ fromCycle: 0, amountMinor: '400' }],
    };
    const madeSinceRestore = { reasonCode: 'plan_changed', cycle: 3, detail: { amountMinor: '500' }, at: new Date('2026-12-01T10:00:00Z') };
    const putBack = { reasonCode: 'plan_changed', cycle: 3, detail: { amountMinor: '450' }, at: new Date('2026-12-01T08:00:00Z') };
    // Written in this order (ids): the one made since the restore first, then the one repair put back.
    expect(applyPlanChanges(base, [madeSinceRestore, putBack]).amountChanges).toEqual([
      { fromCycle: 0, amountMinor: '400' },
      { fromCycle: 3, amountMinor: '500' },
    ]);
  });
});
