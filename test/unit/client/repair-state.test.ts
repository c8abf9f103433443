// Where `billing repair` resumes a subscription, from the ledger alone: the money rules.
import { describe, expect, it } from 'vitest';
import { gracePausedMsOf, pausesToRestore } from '../../../client/subscriptions/repair-pauses.js';
import { resumePointFromLedger } from '../../../client/subscriptions/repair-state.js';
import type { ChargeRow } from '../../../db/schema/index.js';

const at = new Date('2026-01-01T00:00:00Z');
function charge(cycle: number, attempt: number, state: string, reasonCode: string | null = null): ChargeRow {
  return {
    id: BigInt(cycle * 100 + attempt),
    subscriptionId: 's',
    cycle,
    attempt,
    idempotencyKey: `k${cycle}-${attempt}`,
    amountMinor: 1400n,
    currency: 'USD',
    chargeId: state === 'pending' || state === 'Refused' ? null : `C${cycle}-${attempt}`,
    state,
    outcome: null,
    reasonCode,
    amazonRequestId: null,
    requestedAt: at,
    completedAt: at,
    sendsInFlight: 0,
    possiblyProcessed: state !== 'pending',
    rateLimitPerSecond: 4,
  };
}
const live = { currentCycle: 0, status: 'active', statusReason: null };

describe('resumePointFromLedger', () => {
  it('nothing billed yet: a fresh start', () => {
    expect(resumePointFromLedger(live, [])).toMatchObject({ fresh: true, cycle: 0, attempt: 1, attemptReason: 'next' });
  });

  it('a checkout charge not captured yet (or still pending) is finished by a fresh run, not taken as paid', () => {
    for (const state of ['Authorized', 'AuthorizationInitiated'])
      expect(resumePointFromLedger(live, [charge(0, 0, state)]), state).toMatchObject({ fresh: true, cycle: 0 });
    expect(resumePointFromLedger(live, [charge(0, 0, 'Captured')])).toMatchObject({ fresh: false, cycle: 1, attempt: 1 });
    expect(resumePointFromLedger({ ...live, currentCycle: 1 }, [charge(0, 0, 'Authorized')])).toMatchObject({ fresh: false, cycle: 1 });
  });

  it('a paid cycle is never billed again, even if the status write after it was lost', () => {
    expect(resumePointFromLedger(live, [charge(0, 1, 'Captured'), charge(1, 1, 'Captured')])).toMatchObject({
      fresh: false,
      cycle: 2,
      attempt: 1,
      chargesMade: 2,
      lastCharge: { cycle: 1 },
    });
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
    expect(resumePointFromLedger(live, [charge(0, 1, 'Refused', 'SoftDeclined'), charge(0, 2, 'Declined', 'SoftDeclined')])).toMatchObject({
      attempt: 3,
      dunningStep: 2,
    });
  });

  it('checkout charge (attempt 0) is cycle 0; cycles skipped while paused stay skipped; paused stays paused', () => {
    expect(resumePointFromLedger(live, [charge(0, 0, 'Captured')])).toMatchObject({ cycle: 1, attempt: 1, chargesMade: 0 });
    expect(resumePointFromLedger({ currentCycle: 7, status: 'paused', statusReason: 'x' }, [charge(0, 1, 'Captured')])).toMatchObject({
      cycle: 7,
      paused: true,
      status: 'paused',
    });
    expect(
      resumePointFromLedger({ currentCycle: 2, status: 'needs_attention', statusReason: 'WorkflowNotRunning' }, [charge(1, 1, 'Captured')], 'paused'),
    ).toMatchObject({ cycle: 2, paused: true });
  });

  it('a pause that held a wait restores the wait under the pause; an unknown outcome under a pause keeps its key', () => {
    const paused = { currentCycle: 0, status: 'paused', statusReason: 'operator hold' };
    const unpaid = resumePointFromLedger(paused, [charge(0, 1, 'Declined', 'SoftDeclined')], undefined, { paused: true, held: { status: 'unpaid', cycle: 0 } });
    expect(unpaid).toMatchObject({ cycle: 0, attempt: 2, paused: true, status: 'paused', wait: { status: 'unpaid', reason: 'DunningExhausted:SoftDeclined' } });
    const pmr = resumePointFromLedger(paused, [charge(0, 1, 'Declined', 'HardDeclined')], undefined, {
      paused: undefined,
      held: { status: 'payment_method_required', cycle: 0 },
    });
    expect(pmr).toMatchObject({ paused: true, wait: { status: 'payment_method_required', reason: 'HardDeclined', graceStartedAt: at.toISOString() } });
    // A wait the pause held for an earlier cycle is not this cycle's.
    expect(
      resumePointFromLedger(paused, [charge(0, 1, 'Declined', 'SoftDeclined')], undefined, { paused: true, held: { status: 'unpaid', cycle: 3 } }).wait,
    ).toBeUndefined();
    expect(resumePointFromLedger(paused, [charge(0, 1, 'pending')], undefined, { paused: true, held: { status: 'needs_attention', cycle: 0 } })).toMatchObject({
      attempt: 1,
      attemptReason: 'same-key',
      paused: true,
    });
    // The run's history says the pause was lifted, the row had not shown it yet: the held wait is still restored, unpaused.
    expect(
      resumePointFromLedger(paused, [charge(0, 1, 'Declined', 'SoftDeclined')], undefined, { paused: false, held: { status: 'unpaid', cycle: 0 } }),
    ).toMatchObject({ paused: false, status: 'unpaid', wait: { status: 'unpaid' } });
  });
});

describe('pauses a repaired run carries', () => {
  const event = (
    toStatus: string,
    fromStatus: string,
    cycle: number,
    detail: Record<string, unknown> | null,
    iso: string,
    reasonCode: string | null = null,
  ) => ({ toStatus, fromStatus, cycle, detail, reasonCode, at: new Date(iso) });

  it('without a history, the last pause start gives its start, reason and the wait it held', () => {
    const events = [
      event('paused', 'active', 0, null, '2026-01-01T00:00:00Z', 'old'),
      event('active', 'paused', 0, null, '2026-01-01T00:01:00Z'),
      event('unpaid', 'active', 1, { cycle: 1 }, '2026-01-02T00:00:00Z', 'DunningExhausted:SoftDeclined'),
      event('paused', 'unpaid', 1, { cycle: 1, heldStatus: 'unpaid' }, '2026-01-02T00:05:00Z', 'hold'),
    ];
    expect(pausesToRestore(events, undefined, undefined)).toEqual({
      paused: undefined,
      pausedSince: '2026-01-02T00:05:00.000Z',
      pauseReason: 'hold',
      pauseWindows: [],
      held: { status: 'unpaid', cycle: 1 },
    });
    const fromHistory = {
      paused: true,
      pausedSince: '2026-01-02T00:04:59.000Z',
      pauseReason: 'hold',
      pauseWindows: [{ from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:01:00Z' }],
    };
    expect(pausesToRestore(events, undefined, fromHistory)).toEqual({ ...fromHistory, held: { status: 'unpaid', cycle: 1 } });
  });

  it('the grace pauses already added is the last grace end of the cycle less its start and the grace; a pause in force adds its time', () => {
    const grace = { graceStartedAt: '2026-01-01T00:00:00.000Z', graceMs: 60_000 };
    const events = [
      event('payment_method_required', 'active', 0, { cycle: 0, graceEndsAt: '2026-01-01T00:01:00.000Z' }, '2026-01-01T00:00:00Z'),
      event('payment_method_required', 'paused', 0, { cycle: 0, resumed: true, graceEndsAt: '2026-01-01T00:01:30.000Z' }, '2026-01-01T00:00:40Z'),
    ];
    const now = new Date('2026-01-01T00:00:50.000Z');
    expect(gracePausedMsOf(events, 0, grace, { paused: false, pausedSince: null }, now)).toBe(30_000);
    expect(gracePausedMsOf(events, 0, grace, { paused: true, pausedSince: '2026-01-01T00:00:45.000Z' }, now)).toBe(35_000);
    expect(gracePausedMsOf(events, 1, grace, { paused: false, pausedSince: null }, now)).toBe(0);
  });
});
