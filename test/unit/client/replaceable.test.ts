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
    [
      'being stopped',
      { stopRequestedAt: at, stopRequestedReason: 'Fraud' },
      /^Subscription sub-1 is being stopped \(stop requested: Fraud\); a checkout does not replace a subscription with a stop recorded: start the new plan with a checkout without replacesSubscriptionId once it has ended$/,
    ],
    [
      'stopping at period end',
      { periodEndStopRequestedAt: at, periodEndStopReason: 'StopRequested', periodEndStopEndsAt: at },
      /^Subscription sub-1 stops at the end of its period \(StopRequested, on 2026-12-01T00:00:00\.000Z\); .*once it has ended on 2026-12-01T00:00:00\.000Z \(a checkout before then would charge for a period already paid\)$/,
    ],
    ['paused', { status: 'paused' }, /^Subscription sub-1 is paused: .*resume it first$/],
    [
      'needing attention after a failed call (not an unpaid cycle)',
      { status: 'needs_attention', statusReason: 'CallFailed:recordStatus' },
      /^Subscription sub-1 needs attention \(CallFailed:recordStatus\): .*once it is active again \(`billing show sub-1` says what it waits for\), try again$/,
    ],
    ['in dunning', { status: 'past_due', statusReason: 'SoftDeclined' }, /^Subscription sub-1 is past_due \(SoftDeclined\): its current cycle 3 is not paid/],
  ] as const)('%s', (_name, change, expected) => {
    const blocker = replacementBlocker({ ...row, ...change });
    if (expected === null) expect(blocker).toBeNull();
    else expect(blocker).toMatch(expected);
  });
});
