// Ledger rows rebuilt from a subscription workflow's history (client/subscriptions/ledger-from-history.ts):
// what `billing repair` writes for charges a database restore lost. The rows must be the ones the
// charge activity wrote (activities/charge-ledger.ts), from the activity's input and result alone.
import { defaultPayloadConverter } from '@temporalio/common';
import { msNumberToTs } from '@temporalio/common/lib/time.js';
import { describe, expect, it } from 'vitest';
import { chargeResultOf, completionOf, completionOfResult } from '../../../activities/charge-ledger.js';
import { isRetryable } from '../../../activities/errors.js';
import { classifyResponse, type AmazonPayOutcome } from '../../../amazonpay/outcomes.js';
import type { Charge } from '../../../amazonpay/types.js';
import { chargeIdempotencyKey } from '../../../billing/keys.js';
import { ledgerRowsOfRuns } from '../../../client/subscriptions/ledger-from-history.js';
import type { HistoryEvents } from '../../../client/subscriptions/repair-history.js';
import type { ChargeCycleInput, ChargeResult } from '../../../workflows/types.js';

const at = new Date('2026-03-01T09:00:00Z');
const answer = (status: number, body: unknown) => classifyResponse('createCharge', status, body, 'req-1') as AmazonPayOutcome<Charge>;
const charge = (state: string) =>
  answer(201, {
    chargeId: 'S01-0000001-0000001-C000001',
    chargePermissionId: 'S01-0000001-0000001',
    statusDetails: { state, reasonCode: null, reasonDescription: null, lastUpdatedTimestamp: '20260301T090000Z' },
  });

describe('completionOfResult: the ledger row from the result the workflow got', () => {
  it.each([
    ['Captured', charge('Captured')],
    ['Authorized', charge('Authorized')],
    ['CaptureInitiated', charge('CaptureInitiated')],
    ['AuthorizationInitiated (pending)', charge('AuthorizationInitiated')],
    ['SoftDeclined', answer(422, { reasonCode: 'SoftDeclined', message: 'm' })],
    ['HardDeclined', answer(422, { reasonCode: 'HardDeclined', message: 'm' })],
    ['InvalidChargePermissionStatus', answer(422, { reasonCode: 'InvalidChargePermissionStatus', message: 'm' })],
    ['PeriodicAmountExceeded', answer(400, { reasonCode: 'PeriodicAmountExceeded', message: 'm' })],
    ['InvalidParameterValue', answer(400, { reasonCode: 'InvalidParameterValue', message: 'm' })],
  ])('%s: the same row as completionOf wrote from Amazon Pay’s answer', (_name, outcome) => {
    if (isRetryable(outcome)) throw new Error('a retryable answer never completes the activity');
    expect(completionOfResult(chargeResultOf(outcome), at)).toEqual(completionOf(outcome, at));
  });

  it('not_sent: no row (nothing was sent, the activity removed its pending row)', () => {
    expect(completionOfResult({ kind: 'not_sent', reason: 'StopRequested' }, at)).toBeNull();
  });
});

const SUB = 'sub-restore-1';
const CP = 'S01-1111111-2222222';
const input = (cycle: number, attempt: number, amountMinor = '1400'): ChargeCycleInput => ({
  subscriptionId: SUB,
  chargePermissionId: CP,
  environment: 'sandbox',
  cycle,
  attempt,
  amountMinor,
  currency: 'EUR',
  canHandlePendingAuthorization: false,
});
const t = (second: number) => new Date(Date.UTC(2026, 2, 1, 9, 0, second));

/** A run's history, built event by event with ids and times as Temporal gives them. */
function history() {
  const events: HistoryEvents = [];
  const add = (second: number, fields: Record<string, unknown>) => {
    const eventId = events.length + 1;
    // Temporal gives event ids as Long; the code reads them as strings either way.
    events.push({ eventId, eventTime: msNumberToTs(t(second).getTime()), ...fields } as unknown as HistoryEvents[number]);
    return eventId;
  };
  const payloads = (value: unknown) => ({ payloads: [defaultPayloadConverter.toPayload(value)] });
  const run = {
    events,
    started: (second: number) => add(second, { workflowExecutionStartedEventAttributes: { input: payloads({ subscriptionId: SUB }) } }),
    schedule: (second: number, name: string, value: unknown) =>
      add(second, { activityTaskScheduledEventAttributes: { activityType: { name }, input: payloads(value) } }),
    completed: (second: number, scheduledEventId: number, result: unknown) =>
      add(second, { activityTaskCompletedEventAttributes: { scheduledEventId, result: payloads(result) } }),
    timedOut: (second: number, scheduledEventId: number) => add(second, { activityTaskTimedOutEventAttributes: { scheduledEventId } }),
    charge: (second: number, charged: ChargeCycleInput, result: ChargeResult) =>
      run.completed(second + 1, run.schedule(second, 'chargeCycle', charged), result),
  };
  return run;
}

const captured = (chargeId: string): ChargeResult => ({ kind: 'charged', chargeId, state: 'Captured', requestId: `req-${chargeId}`, statusRecorded: true });

describe('ledgerRowsOfRuns: the ledger rows a workflow’s runs show', () => {
  it('one row per Create Charge attempt the workflow got an answer to, across a continue-as-new, as the activity wrote it', () => {
    const first = history();
    first.started(0);
    first.completed(
      3,
      first.schedule(2, 'recordCheckoutCharge', { subscriptionId: SUB, chargeId: 'S01-C0', amountMinor: '1400', currency: 'EUR', state: 'Captured' }),
      {
        state: 'Captured',
        at: t(3).toISOString(),
      },
    );
    first.charge(10, input(1, 1), { kind: 'soft_decline', reasonCode: 'SoftDeclined', message: 'declined', requestId: 'req-d' });
    first.charge(20, input(1, 2), { kind: 'pending', chargeId: 'S01-C1', state: 'AuthorizationInitiated', requestId: 'req-p' });
    first.completed(
      31,
      first.schedule(30, 'recordChargeResolution', { subscriptionId: SUB, cycle: 1, attempt: 2, chargeId: 'S01-C1', state: 'Captured', reasonCode: null }),
      null,
    );
    first.schedule(32, 'recordStatus', { subscriptionId: SUB });
    const second = history();
    second.started(40);
    // A later run's record of the checkout's charge keeps the row the first wrote (insertCheckoutCharge).
    second.completed(
      40,
      second.schedule(40, 'recordCheckoutCharge', { subscriptionId: SUB, chargeId: 'S01-C0', amountMinor: '1400', currency: 'EUR', state: 'Authorized' }),
      { state: 'Captured', at: t(3).toISOString() },
    );
    second.charge(41, input(2, 1, '2000'), captured('S01-C2'));
    second.timedOut(55, second.schedule(50, 'chargeCycle', input(3, 1, '2000')));
    second.charge(56, input(3, 2, '2000'), { kind: 'not_sent', reason: 'StopRequested' });
    second.schedule(58, 'chargeCycle', input(4, 1, '2000'));

    const key = (cycle: number, attempt: number) => chargeIdempotencyKey({ subscriptionId: SUB, chargePermissionId: CP, cycle, attempt });
    expect(ledgerRowsOfRuns([first.events, second.events])).toEqual([
      {
        subscriptionId: SUB,
        cycle: 0,
        attempt: 0,
        idempotencyKey: 'checkout:S01-C0',
        amountMinor: 1400n,
        currency: 'EUR',
        chargeId: 'S01-C0',
        state: 'Captured',
        outcome: 'checkout',
        reasonCode: null,
        requestedAt: t(3),
        completedAt: t(3),
      },
      {
        subscriptionId: SUB,
        cycle: 1,
        attempt: 1,
        idempotencyKey: key(1, 1),
        amountMinor: 1400n,
        currency: 'EUR',
        chargeId: null,
        state: 'Refused',
        outcome: 'soft_decline',
        reasonCode: 'SoftDeclined',
        amazonRequestId: 'req-d',
        requestedAt: t(10),
        completedAt: t(11),
        possiblyProcessed: true,
      },
      {
        subscriptionId: SUB,
        cycle: 1,
        attempt: 2,
        idempotencyKey: key(1, 2),
        amountMinor: 1400n,
        currency: 'EUR',
        chargeId: 'S01-C1',
        // The pending authorization's final state, as the workflow recorded it.
        state: 'Captured',
        outcome: 'ok',
        reasonCode: null,
        amazonRequestId: 'req-p',
        requestedAt: t(20),
        completedAt: t(31),
        possiblyProcessed: true,
      },
      {
        subscriptionId: SUB,
        cycle: 2,
        attempt: 1,
        idempotencyKey: key(2, 1),
        amountMinor: 2000n,
        currency: 'EUR',
        chargeId: 'S01-C2',
        state: 'Captured',
        outcome: 'ok',
        reasonCode: null,
        amazonRequestId: 'req-S01-C2',
        requestedAt: t(41),
        completedAt: t(42),
        possiblyProcessed: true,
      },
      // Retries ran out: the outcome is unknown, so the row says it may have been processed (a resend uses its key).
      {
        subscriptionId: SUB,
        cycle: 3,
        attempt: 1,
        idempotencyKey: key(3, 1),
        amountMinor: 2000n,
        currency: 'EUR',
        chargeId: null,
        state: 'pending',
        outcome: null,
        requestedAt: t(50),
        possiblyProcessed: true,
      },
      // Not sent (a stop), and still running: no row; the running attempt writes its own.
    ]);
  });

  it('an answer recorded again in a later attempt of the same cycle and attempt replaces the earlier one (the latest is what the ledger holds)', () => {
    const run = history();
    run.started(0);
    run.timedOut(5, run.schedule(1, 'chargeCycle', input(0, 1)));
    run.charge(10, input(0, 1), captured('S01-C0'));
    expect(ledgerRowsOfRuns([run.events]).map((r) => [r.cycle, r.attempt, r.state, r.chargeId])).toEqual([[0, 1, 'Captured', 'S01-C0']]);
  });

  it('a history without charges gives no rows; an input that is not a charge’s throws', () => {
    const quiet = history();
    quiet.started(0);
    quiet.completed(2, quiet.schedule(1, 'recordStatus', { subscriptionId: SUB }), null);
    expect(ledgerRowsOfRuns([quiet.events])).toEqual([]);
    const broken = history();
    broken.started(0);
    broken.charge(1, { ...input(0, 1), chargePermissionId: 'not a permission' }, captured('S01-C0'));
    expect(() => ledgerRowsOfRuns([broken.events])).toThrow(/chargePermissionId/);
  });
});
