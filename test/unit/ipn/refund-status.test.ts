// Get Refund → what the refunds row records.
import { describe, expect, it } from 'vitest';
import type { Refund } from '../../../amazonpay/types.js';
import { parseCompactTimestamp } from '../../../amazonpay/compact-timestamp.js';
import { refundStatusUpdate } from '../../../ipn/refund-reaction.js';

const now = new Date('2026-03-01T12:00:00.000Z');
function refund(statusDetails: Partial<Refund['statusDetails']>): Refund {
  return {
    refundId: 'S01-5105180-3221187-R022311',
    chargeId: 'S01-5105180-3221187-C056351',
    refundAmount: { amount: '14.00', currencyCode: 'USD' },
    softDescriptor: null,
    creationTimestamp: '20260301T110000Z',
    statusDetails: { state: 'RefundInitiated', reasonCode: null, reasonDescription: null, lastUpdatedTimestamp: '20260301T113000Z', ...statusDetails },
    releaseEnvironment: 'Sandbox',
  };
}

describe('refund status from Get Refund', () => {
  it.each([
    ['compact form', '20190714T155300Z', '2019-07-14T15:53:00.000Z'],
    ['absent', null, null],
    ['ISO extended form (not what Amazon sends)', '2019-07-14T15:53:00Z', null],
    ['garbage', 'yesterday', null],
  ])('parses Amazon timestamps: %s', (_case, input, expected) => {
    expect(parseCompactTimestamp(input)?.toISOString() ?? null).toBe(expected);
  });

  it('RefundInitiated: not resolved yet', () => {
    expect(refundStatusUpdate(refund({}), now)).toEqual({ state: 'RefundInitiated', reasonCode: null, resolvedAt: null, at: now });
  });

  it("Refunded: resolved at Amazon's lastUpdatedTimestamp", () => {
    expect(refundStatusUpdate(refund({ state: 'Refunded' }), now)).toEqual({
      state: 'Refunded',
      reasonCode: null,
      resolvedAt: new Date('2026-03-01T11:30:00Z'),
      at: now,
    });
  });

  it('Declined: the reason code, else the description; resolved now when Amazon gives no time', () => {
    expect(refundStatusUpdate(refund({ state: 'Declined', reasonCode: 'AmazonRejected' }), now)).toMatchObject({
      state: 'Declined',
      reasonCode: 'AmazonRejected',
    });
    expect(refundStatusUpdate(refund({ state: 'Declined', reasonDescription: 'Refund declined by the issuer', lastUpdatedTimestamp: '' }), now)).toEqual({
      state: 'Declined',
      reasonCode: 'Refund declined by the issuer',
      resolvedAt: now,
      at: now,
    });
  });
});
