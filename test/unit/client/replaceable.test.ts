// client/checkout/replaceable.ts replacementBlocker: what a replacement checkout refuses, by the row alone.
import { describe, expect, it } from 'vitest';
import { replacementBlocker } from '../../../client/checkout/replaceable.js';

const row = {
  id: 'sub-1',
  status: 'active',
  statusReason: null,
  currentCycle: 3,
  stopRequestedAt: null,
  stopRequestedReason: null,
  periodEndStopRequestedAt: null,
  periodEndStopReason: null,
  periodEndStopEndsAt: null,
} as const;
const at = new Date('2026-12-01T00:00:00Z');

describe('replacementBlocker', () => {
  it.each([
    ['active', {}, null],
    ['trialing', { status: 'trialing' }, null],
    [
      'ended',
      { status: 'canceled', statusReason: 'BuyerCanceled' },
      /^Subscription sub-1 has ended \(status canceled, BuyerCanceled\): a checkout replaces only/,
    ],
    ['being stopped', { stopRequestedAt: at, stopRequestedReason: 'Fraud' }, /^Subscription sub-1 is being stopped \(stop requested: Fraud\)/],
    [
      'stopping at period end',
      { periodEndStopRequestedAt: at, periodEndStopReason: 'StopRequested', periodEndStopEndsAt: at },
      /^Subscription sub-1 stops at the end of its period \(StopRequested, on 2026-12-01T00:00:00\.000Z\): .*leave replacesSubscriptionId out to start a new one$/,
    ],
    ['paused', { status: 'paused' }, /^Subscription sub-1 is paused: .*resume it first$/],
    ['in dunning', { status: 'past_due', statusReason: 'SoftDeclined' }, /^Subscription sub-1 is past_due \(SoftDeclined\): its current cycle 3 is not paid/],
  ] as const)('%s', (_name, change, expected) => {
    const blocker = replacementBlocker({ ...row, ...change });
    if (expected === null) expect(blocker).toBeNull();
    else expect(blocker).toMatch(expected);
  });
});
