// Request shapes of the HTTP API: strict objects (an unknown field is refused, so a typo never
// silently drops a setting) with length caps on every string. Shape errors are 400; the
// library's own checks (ids, zones, amounts, Amazon Pay) answer 422.
import { z } from 'zod';
import { AnchorSchema, EndSchema, IntervalSchema, MoneySchema, ReasonSchema, StatusSchema, text } from './common.js';

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
    account: text(64, 'Reserved for several Amazon Pay merchant accounts; not accepted yet (422)').optional(),
  })
  .meta({ id: 'StartSubscriptionRequest' });

export const ListSubscriptionsQuery = z.strictObject({
  status: StatusSchema.optional(),
  chargePermissionId: text(64).optional(),
  dueBefore: text(40, 'ISO instant: only subscriptions whose next billing date is before it').optional(),
  limit: z.coerce.number().int().min(1).max(500).optional().describe('Page size, default 50'),
  cursor: text(200, 'nextCursor of the previous page').optional(),
});

export const PauseBody = z.strictObject({ reason: ReasonSchema.optional() }).meta({ id: 'PauseRequest' });
export const ResumeBody = z.strictObject({ reason: ReasonSchema.optional() }).meta({ id: 'ResumeRequest' });

export const CancelBody = z
  .strictObject({
    mode: z.enum(['now', 'at_period_end']).default('now').describe('now: no further charge; at_period_end: the paid period runs out, nothing is billed after it'),
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
  interval: z.enum(['second', 'minute', 'hour', 'day', 'week', 'month', 'year']).describe('Unit of a cycle'),
  intervalCount: z.coerce.number().int().min(1).max(1_000_000).default(1),
  anchor: text(32, 'Wall time of cycle 0 in `zone`, e.g. 2026-01-31T09:00; default now').optional(),
  zone: text(64, 'IANA zone, default UTC').optional(),
  trial: z.enum(['second', 'minute', 'hour', 'day', 'week', 'month', 'year']).optional().describe('Unit of a free trial before cycle 0'),
  trialCount: z.coerce.number().int().min(1).max(1_000_000).optional().describe('Units of the trial, default 1; only with `trial` (without it, 422)'),
  count: z.coerce.number().int().min(1).max(100).default(12),
  fromCycle: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
