// Response shapes of the HTTP API (see api/schemas/common.ts for the conventions).
import { z } from 'zod';
import { StoredAnchorSchema, EndSchema, IntervalSchema, MoneySchema, StatusSchema } from './common.js';

const instant = z.string().describe('ISO-8601 instant in UTC');

export const PlanSchema = z
  .strictObject({ price: MoneySchema, interval: IntervalSchema })
  .meta({ id: 'Plan', description: 'Price per cycle and cycle length.' });

export const SubscriptionSchema = z
  .strictObject({
    id: z.string(),
    account: z.string().nullable().describe('Reserved for several Amazon Pay merchant accounts (NA, EU/UK, JP); always null today'),
    status: StatusSchema,
    statusReason: z.string().nullable(),
    chargePermissionId: z.string(),
    environment: z.enum(['sandbox', 'live']),
    plan: PlanSchema.describe(
      'The plan going forward: updated by every plan change, also one that applies only from the next cycle; `live` of GET /v1/subscriptions/{id} has the amount of the cycle in progress',
    ),
    anchor: StoredAnchorSchema,
    trial: IntervalSchema.nullable(),
    end: EndSchema.nullable(),
    firstChargeId: z.string().nullable().describe('Charge captured at checkout, billed as cycle 0'),
    currentCycle: z.number().int(),
    nextBillingAt: instant
      .nullable()
      .describe(
        'When the cycle the workflow waits for is charged, as it recorded; null before it has planned one, after it ended, and when a stop at period end means that cycle is not charged (stopAtPeriodEnd.endsAt: when it ends)',
      ),
    createdAt: instant,
    endedAt: instant.nullable(),
    stopRequested: z
      .object({ at: instant, reason: z.string() })
      .nullable()
      .describe(
        'A cancel "now" recorded before the workflow was told: when and why (the subscription ends canceled with this reason); null when none was asked for',
      ),
    stopAtPeriodEnd: z
      .strictObject({
        at: instant.describe('When the cancel at_period_end was asked for'),
        reason: z.string().describe('Why: the subscription ends canceled with this reason'),
        afterCycle: z.number().int().describe('The last cycle that may still be billed; -1 when nothing was billed yet'),
        endsAt: instant.nullable().describe('When the paid period ends and the subscription is canceled (the next cycle is not billed); null when not known'),
      })
      .nullable()
      .describe(
        'A cancel at_period_end recorded before the workflow was told: no cycle after afterCycle is charged, even if the workflow is not running (then billing is not running, and a repair finishes it); null when none was asked for',
      ),
    permissionExpiresAt: instant
      .nullable()
      .describe(
        "The Charge Permission's expirationTimestamp as Amazon Pay last answered it (at start, the subscription's own checks, IPNs, reconciliation, plan changes); null when it has none. No charge is sent at or after it: the cycle due then asks Amazon Pay again and, when it confirms, ends the subscription (ChargePermissionExpired)",
      ),
    workflowId: z.string().describe('Temporal workflow of this subscription'),
  })
  .meta({ id: 'Subscription' });

export const LiveStateSchema = z
  .strictObject({
    status: StatusSchema,
    statusReason: z.string().nullable(),
    cycle: z.number().int(),
    attempt: z.number().int(),
    nextBillingAt: instant.nullable().describe('When the next cycle is charged; null when none is scheduled (paused, or canceled at period end: see endsAt)'),
    endsAt: instant.nullable().describe('After cancel at_period_end: when the paid period ends and the subscription ends, charging nothing; otherwise null'),
    nextRetryAt: instant.nullable(),
    dunningStep: z.number().int(),
    paused: z.boolean(),
    cancelAtPeriodEnd: z.boolean(),
    plan: PlanSchema,
    outstanding: z.strictObject({ cycle: z.number().int(), attempt: z.number().int(), reasonCode: z.string().nullable() }).nullable(),
    chargesMade: z.number().int(),
  })
  .meta({ id: 'LiveState', description: "The running workflow's own view: current plan, dunning, pause and cancel flags." });

export const ChargeSchema = z
  .strictObject({
    chargeId: z.string().nullable().describe('Amazon Pay ChargeId; null when Amazon Pay made no Charge (state pending, Refused or failed)'),
    cycle: z.number().int(),
    attempt: z.number().int(),
    amount: MoneySchema,
    state: z
      .string()
      .describe(
        'Without a Charge (chargeId null): pending (sent or about to be; outcome not known yet), Refused (Create Charge answered with a decline or another business error, e.g. SoftDeclined, HardDeclined, InvalidChargePermissionStatus, PeriodicAmountExceeded: see reasonCode), failed (an invalid request: a configuration or validation fault). With a Charge: its Amazon Pay state, AuthorizationInitiated, Authorized, CaptureInitiated, Captured, Declined (a pending authorization declined later) or Canceled.',
      ),
    outcome: z.string().nullable(),
    reasonCode: z.string().nullable(),
    idempotencyKey: z.string().describe('The Create Charge idempotency key sent to Amazon Pay'),
    requestedAt: instant,
    completedAt: instant.nullable(),
  })
  .meta({ id: 'Charge', description: 'One Create Charge attempt of the ledger.' });

export const RefundSchema = z
  .strictObject({
    chargeId: z.string(),
    seq: z.number().int().describe('1-based refund number against the charge'),
    amount: MoneySchema,
    refundId: z.string().nullable(),
    state: z.string().describe('pending (not confirmed by Amazon Pay yet), RefundInitiated, Refunded, Declined, failed'),
    reasonCode: z.string().nullable(),
    reason: z.string().nullable(),
    requestedAt: instant,
  })
  .meta({ id: 'Refund' });

export const StatusEventSchema = z
  .strictObject({ at: instant, fromStatus: z.string().nullable(), toStatus: z.string(), reasonCode: z.string().nullable(), cycle: z.number().int().nullable() })
  .meta({ id: 'StatusEvent' });

export const SubscriptionDetailsSchema = z
  .strictObject({
    subscription: SubscriptionSchema,
    live: LiveStateSchema.nullable().describe('Null when the workflow has finished or did not answer (see workflow.note)'),
    workflow: z.strictObject({ workflowId: z.string(), status: z.string().nullable(), note: z.string().nullable() }),
    charges: z.array(ChargeSchema),
    refunds: z.array(RefundSchema),
    history: z.array(StatusEventSchema),
    paymentMethodUpdateUrl: z.string().nullable().describe('Where the buyer fixes the payment method; null where Amazon Pay documents no link'),
  })
  .meta({ id: 'SubscriptionDetails' });

export const SubscriptionPageSchema = z
  .strictObject({ items: z.array(SubscriptionSchema), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page') })
  .meta({ id: 'SubscriptionPage' });

export const StartResultSchema = z
  .strictObject({ subscription: SubscriptionSchema, created: z.boolean().describe('false: it already existed with the same terms (201 vs 200)') })
  .meta({ id: 'StartSubscriptionResult' });

export const LifecycleResultSchema = z
  .strictObject({ subscriptionId: z.string(), live: LiveStateSchema.nullable().describe('Null after a cancel now: the workflow has stopped') })
  .meta({ id: 'LifecycleResult' });

export const CancelResultSchema = z
  .strictObject({
    subscriptionId: z.string(),
    mode: z.enum(['now', 'at_period_end']),
    live: LiveStateSchema.nullable().describe('Null after a cancel now: the workflow has stopped; after at_period_end when the workflow is not running'),
    stopAtPeriodEnd: z
      .strictObject({
        at: instant,
        reason: z.string(),
        afterCycle: z.number().int().describe('The last cycle that may still be billed; -1 when nothing was billed yet'),
        endsAt: instant.nullable(),
        workflowRunning: z
          .boolean()
          .describe('false: billing is not running (its workflow failed or was terminated); the stop is kept and a repair finishes the subscription'),
      })
      .nullable()
      .describe('After at_period_end: the stop as recorded; null after a cancel now'),
  })
  .meta({ id: 'CancelResult' });

export const PlanChangeResultSchema = z
  .strictObject({ subscriptionId: z.string(), fromCycle: z.number().int().describe('First cycle billed on the new plan'), plan: PlanSchema })
  .meta({ id: 'PlanChangeResult' });

export const ChargeDetailsSchema = z
  .strictObject({
    subscriptionId: z.string(),
    charge: ChargeSchema,
    refunds: z.array(RefundSchema),
    refundable: MoneySchema.describe('Captured minus refunds not declined'),
  })
  .meta({ id: 'ChargeDetails' });

export const RefundResultSchema = z
  .strictObject({
    subscriptionId: z.string(),
    refund: RefundSchema,
    remaining: MoneySchema.describe('Still refundable after this refund'),
    resent: z.boolean().describe('true: an earlier unconfirmed refund was re-sent with its original Amazon Pay key'),
  })
  .meta({ id: 'RefundResult' });

export const SchedulePreviewSchema = z
  .strictObject({
    items: z.array(
      z.strictObject({
        cycle: z.number().int(),
        dueAt: instant,
        local: z.string().describe('The same instant in the anchor zone, with offset'),
        zone: z.string(),
      }),
    ),
  })
  .meta({ id: 'SchedulePreview' });
