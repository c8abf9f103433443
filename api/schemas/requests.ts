// Request shapes of the HTTP API: strict objects (an unknown field is refused, so a typo never
// silently drops a setting) with length caps on every string. Shape errors are 400; the
// library's own checks (ids, zones, amounts, Amazon Pay) answer 422.
import { z } from 'zod';
import { INTERVAL_UNITS, SUBSCRIPTION_STATUSES } from '../../billing/types.js';
import { AnchorSchema, EndSchema, IntervalSchema, MoneySchema, queryEnum, queryInt, queryText, ReasonSchema, text } from './common.js';

export const StartSubscriptionBody = z
  .strictObject({
    id: text(64, 'Your id for the subscription: 1-64 of A-Z a-z 0-9 _ . : -. Starting the same id with the same terms again returns it unchanged'),
    chargePermissionId: text(64, 'From Complete Checkout Session, e.g. S01-1234567-1234567'),
    plan: z.strictObject({ price: MoneySchema, interval: IntervalSchema }),
    anchor: AnchorSchema.optional().describe('Default: now in `zone`'),
    zone: text(64, 'IANA zone for the default anchor (default UTC); with anchor it must equal anchor.zone (else 422)').optional(),
    trial: IntervalSchema.optional().describe('Free trial; cycle 0 is billed when it ends'),
    end: EndSchema.optional(),
    firstChargeId: text(64, 'ChargeId of the payment captured at checkout: it is cycle 0').optional(),
    softDescriptor: text(64, 'Statement descriptor, at most 16 bytes').optional(),
    merchantMetadata: z
      .strictObject({
        merchantReferenceId: text(256).optional(),
        merchantStoreName: text(50).optional(),
        noteToBuyer: text(255, undefined, { multiLine: true }).optional(),
        customInformation: text(4096, undefined, { multiLine: true }).optional(),
      })
      .optional()
      .describe('Sent with every Create Charge'),
    account: text(64, 'Reserved for several Amazon Pay merchant accounts: null or left out today (any other value is 422)').nullish(),
  })
  .meta({ id: 'StartSubscriptionRequest' });

export const ListSubscriptionsQuery = z.strictObject({
  status: queryEnum(SUBSCRIPTION_STATUSES).optional(),
  chargePermissionId: queryText(64).optional(),
  dueBefore: queryText(40, 'ISO instant: only subscriptions whose next billing date is before it').optional(),
  limit: queryInt(1, 500).optional().describe('Page size, 1-500, default 50'),
  cursor: queryText(200, 'nextCursor of the previous page').optional(),
});

export const PauseBody = z.strictObject({ reason: ReasonSchema.optional() }).meta({ id: 'PauseRequest' });
export const ResumeBody = z.strictObject({ reason: ReasonSchema.optional() }).meta({ id: 'ResumeRequest' });

export const CancelBody = z
  .strictObject({
    mode: z
      .enum(['now', 'at_period_end'])
      .default('now')
      .describe('now: no further charge; at_period_end: the paid period runs out, nothing is billed after it'),
    reason: ReasonSchema.optional(),
  })
  .meta({ id: 'CancelRequest' });

export const ChangePlanBody = z
  .strictObject({
    price: MoneySchema.optional().describe("New price per cycle, in the subscription's currency"),
    interval: IntervalSchema.optional(),
  })
  .meta({ id: 'ChangePlanRequest', description: 'Applies from the next cycle that has not started billing; at least one of price and interval.' });

export const RefundBody = z
  .strictObject({
    amount: MoneySchema.optional().describe("Default: everything not refunded yet; in the charge's currency"),
    reason: ReasonSchema.optional(),
  })
  .meta({ id: 'RefundRequest' });

export const SchedulePreviewQuery = z.strictObject({
  interval: queryEnum(INTERVAL_UNITS).describe('Unit of a cycle'),
  intervalCount: queryInt(1, 1_000_000).default(1).describe('Units per cycle, default 1'),
  anchor: queryText(32, 'Wall time of cycle 0 in `zone`, e.g. 2026-01-31T09:00; default now').optional(),
  zone: queryText(64, 'IANA zone, default UTC').optional(),
  trial: queryEnum(INTERVAL_UNITS).optional().describe('Unit of a free trial before cycle 0'),
  trialCount: queryInt(1, 1_000_000).optional().describe('Units of the trial, default 1; only with `trial` (without it, 422)'),
  count: queryInt(1, 100).default(12).describe('How many dates, 1-100, default 12'),
  fromCycle: queryInt(0, 1_000_000).default(0).describe('First cycle listed, default 0'),
});
