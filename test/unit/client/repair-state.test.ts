// Where `billing repair` resumes a subscription, from the ledger alone: the money rules.
import { describe, expect, it } from 'vitest';
import { resumePointFromLedger } from '../../../client/subscriptions/repair-state.js';
import type { ChargeRow } from '../../../db/schema/index.js';

const at = new Date('2026-01-01T00:00:00Z');
function charge(cycle: number, attempt: number, state: string, reasonCode: string | null = null): ChargeRow {
  return {
    id: BigInt(cycle * 100 + attempt), subscriptionId: 's', cycle, attempt, idempotencyKey: `k${cycle}-${attempt}`, amountMinor: 1400n, currency: 'USD',
    chargeId: state === 'pending' || state === 'Refused' ? null : `C${cycle}-${attempt}`, state, outcome: null, reasonCode, amazonRequestId: null, requestedAt: at, completedAt: at,
  };
}
const live = { currentCycle: 0, status: 'active', statusReason: null };

describe('resumePointFromLedger', () => {
  it('nothing billed yet: a fresh start', () => {
    expect(resumePointFromLedger(live, [])).toMatchObject({ fresh: true, cycle: 0, attempt: 1, attemptReason: 'next' });
  });

  it('a paid cycle is never billed again, even if the status write after it was lost', () => {
    expect(resumePointFromLedger(live, [charge(0, 1, 'Captured'), charge(1, 1, 'Captured')])).toMatchObject({ fresh: false, cycle: 2, attempt: 1, chargesMade: 2, lastCharge: { cycle: 1 } });
  });

  it('an attempt whose outcome is unknown keeps its attempt number (its idempotency key)', () => {
    expect(resumePointFromLedger(live, [charge(0, 1, 'Captured'), charge(1, 1, 'pending')])).toMatchObject({ cycle: 1, attempt: 1, attemptReason: 'same-key' });
    expect(resumePointFromLedger(live, [charge(0, 1, 'AuthorizationInitiated')])).toMatchObject({ cycle: 0, attempt: 1, attemptReason: 'same-key' });
  });

  it('after declines the next attempt is new; dunning continues from the soft declines', () => {
    const point = resumePointFromLedger(live, [charge(0, 1, 'Refused', 'SoftDeclined'), charge(0, 2, 'Refused', 'SoftDeclined')]);
    expect(point).toMatchObject({ cycle: 0, attempt: 3, dunningStep: 2, attemptReason: 'after-decline' });
    expect(resumePointFromLedger(live, [charge(0, 1, 'Refused', 'HardDeclined')])).toMatchObject({ attempt: 2, dunningStep: 0 });
    // A pending authorization Amazon declined later (a Charge in state Declined) counts like a refusal.
    expect(resumePointFromLedger(live, [charge(0, 1, 'Refused', 'SoftDeclined'), charge(0, 2, 'Declined', 'SoftDeclined')])).toMatchObject({ attempt: 3, dunningStep: 2 });
  });

  it('checkout charge (attempt 0) is cycle 0; cycles skipped while paused stay skipped; paused stays paused', () => {
    expect(resumePointFromLedger(live, [charge(0, 0, 'Captured')])).toMatchObject({ cycle: 1, attempt: 1, chargesMade: 0 });
    expect(resumePointFromLedger({ currentCycle: 7, status: 'paused', statusReason: 'x' }, [charge(0, 1, 'Captured')])).toMatchObject({ cycle: 7, paused: true, status: 'paused' });
    expect(resumePointFromLedger({ currentCycle: 2, status: 'needs_attention', statusReason: 'WorkflowNotRunning' }, [charge(1, 1, 'Captured')], 'paused')).toMatchObject({ cycle: 2, paused: true });
  });
});
