// What the charge ledger records for each Create Charge answer (activities/charge-ledger.ts), from
// real classified responses: a refusal is the ledger's own `Refused`, never Amazon's `Declined`.
import { describe, expect, it } from 'vitest';
import { completionOf } from '../../../activities/charge-ledger.js';
import { classifyResponse, type AmazonPayOutcome } from '../../../amazonpay/outcomes.js';
import type { Charge } from '../../../amazonpay/types.js';
import { CHARGE_STATES, isLedgerStateIn, LEDGER_ONLY_STATES, REFUSED_OR_DECLINED_STATES } from '../../../billing/vocabulary.js';

const at = new Date('2026-03-01T09:00:00Z');
const answer = (status: number, body: unknown) => classifyResponse('createCharge', status, body, 'req-1') as AmazonPayOutcome<Charge>;
const refusal = (status: number, reasonCode: string) => answer(status, { reasonCode, message: `message for ${reasonCode}` });
const charge = (state: string, reasonCode: string | null = null) =>
  answer(201, {
    chargeId: 'S01-0000001-0000001-C000001',
    chargePermissionId: 'S01-0000001-0000001',
    statusDetails: { state, reasonCode, reasonDescription: null, lastUpdatedTimestamp: '20260301T090000Z' },
  });

describe('completionOf: the ledger row for a Create Charge answer', () => {
  it.each([
    [422, 'SoftDeclined', 'soft_decline'],
    [422, 'HardDeclined', 'hard_decline'],
    [422, 'PaymentMethodNotAllowed', 'hard_decline'],
    [500, 'ProcessingFailure', 'soft_decline'],
    [422, 'InvalidChargePermissionStatus', 'permission_state'],
    [400, 'PeriodicAmountExceeded', 'refused'],
    [400, 'TransactionAmountExceeded', 'refused'],
    [422, 'SomeCodeAmazonAddsLater', 'refused'],
  ])('%i %s: Refused, no ChargeId, the reason kept (%s)', (status, reasonCode, kind) => {
    expect(completionOf(refusal(status, reasonCode), at)).toEqual({
      state: 'Refused',
      outcome: kind,
      chargeId: null,
      reasonCode,
      amazonRequestId: 'req-1',
      completedAt: at,
      mayHaveBeenProcessed: true,
    });
  });

  it('an invalid request is failed (a fault on our side), not Refused', () => {
    expect(completionOf(refusal(400, 'InvalidParameterValue'), at)).toMatchObject({
      state: 'failed',
      outcome: 'invalid_request',
      chargeId: null,
      reasonCode: 'InvalidParameterValue',
    });
    expect(completionOf(refusal(401, 'UnauthorizedAccess'), at)).toMatchObject({ state: 'failed', chargeId: null });
  });

  it('a 429 or 5xx leaves the row pending: the same key is sent again', () => {
    expect(completionOf(refusal(429, 'TooManyRequests'), at)).toMatchObject({ state: 'pending', outcome: 'throttled', chargeId: null });
    expect(completionOf(answer(503, 'Service Unavailable'), at)).toMatchObject({ state: 'pending', outcome: 'transient', chargeId: null, reasonCode: null });
  });

  it('only a 429 or a fault known to precede processing leaves the key unprocessed (a stop then skips its retry)', () => {
    expect(completionOf(refusal(429, 'TooManyRequests'), at).mayHaveBeenProcessed).toBe(false);
    expect(completionOf(refusal(400, 'InvalidHeaderValue'), at)).toMatchObject({ state: 'failed', mayHaveBeenProcessed: true });
    expect(completionOf(answer(400, { reasonCode: 'InvalidHeaderValue', message: 'x-amz-pay-date should not be in future' }), at)).toMatchObject({
      state: 'pending',
      mayHaveBeenProcessed: false,
    });
    expect(completionOf(answer(503, 'Service Unavailable'), at).mayHaveBeenProcessed).toBe(true);
    expect(completionOf(refusal(422, 'SoftDeclined'), at).mayHaveBeenProcessed).toBe(true);
    expect(completionOf(charge('Captured'), at).mayHaveBeenProcessed).toBe(true);
  });

  it('a Charge Amazon created is recorded with its ChargeId and its own state, Declined included', () => {
    expect(completionOf(charge('Captured'), at)).toMatchObject({ state: 'Captured', outcome: 'ok', chargeId: 'S01-0000001-0000001-C000001' });
    expect(completionOf(charge('AuthorizationInitiated'), at)).toMatchObject({ state: 'AuthorizationInitiated', chargeId: 'S01-0000001-0000001-C000001' });
    expect(completionOf(charge('Declined', 'SoftDeclined'), at)).toMatchObject({
      state: 'Declined',
      chargeId: 'S01-0000001-0000001-C000001',
      reasonCode: 'SoftDeclined',
    });
  });

  it('every row without a ChargeId holds a ledger-only state, every row with one a Charge state (the charges_state_matches_charge_id rule)', () => {
    const outcomes = [
      refusal(422, 'SoftDeclined'),
      refusal(400, 'InvalidRequest'),
      refusal(429, 'TooManyRequests'),
      charge('Captured'),
      charge('Declined', 'HardDeclined'),
    ];
    for (const outcome of outcomes) {
      const row = completionOf(outcome, at);
      expect(isLedgerStateIn(row.state, LEDGER_ONLY_STATES)).toBe(row.chargeId === null);
    }
  });
});

describe('ledger vocabulary', () => {
  it('the ledger-only states are not Amazon charge states, so a ledger state says whether a Charge exists', () => {
    expect(LEDGER_ONLY_STATES.filter((s) => (CHARGE_STATES as readonly string[]).includes(s))).toEqual([]);
  });

  it('refusals and later declines are what repair and dunning count; pending, failed and paid are not', () => {
    expect(['Refused', 'Declined'].every((s) => isLedgerStateIn(s, REFUSED_OR_DECLINED_STATES))).toBe(true);
    expect(
      ['pending', 'failed', 'Captured', 'AuthorizationInitiated', 'Canceled', undefined, null].some((s) => isLedgerStateIn(s, REFUSED_OR_DECLINED_STATES)),
    ).toBe(false);
  });
});
