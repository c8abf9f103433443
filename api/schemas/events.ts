// The event log's shapes (docs/events.md): one zod schema per event type's `data`, and the
// envelope every event has. The same schemas describe GET /v1/events (components in the OpenAPI
// document) and the body of a webhook delivery, and the integration tests validate every event
// written against them. Field names are snake_case, as webhook payloads usually are.
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../../billing/event-types.js';
import { SUBSCRIPTION_STATUSES } from '../../billing/types.js';

const instant = (description: string) => z.string().describe(`${description} (ISO-8601 UTC, e.g. "2026-01-31T09:00:00.000Z")`);
const decimalAmount = z.string().describe('Decimal string in major units with the currency\'s decimals: "14.00" (USD), "500" (JPY)');
const currency = z.string().describe('ISO 4217 code, upper case');
const status = z.enum(SUBSCRIPTION_STATUSES);

const EventPlanSchema = z
  .strictObject({
    amount: decimalAmount,
    currency,
    interval: z.strictObject({ unit: z.string(), count: z.number().int() }),
  })
  .meta({ id: 'EventPlan', description: 'A plan as events carry it: price per cycle and cycle length.' });

export const SubscriptionStartedDataSchema = z
  .strictObject({
    status: status.describe('active, or trialing when a trial comes first'),
    charge_permission_id: z.string(),
    plan: EventPlanSchema,
    anchor: z
      .strictObject({
        local_date_time: z.string(),
        zone: z.string(),
        day_of_month: z
          .number()
          .int()
          .optional()
          .describe(
            "Only when local_date_time's day is a clamped month end: the day month/year cycles bill on where the month has it (a replacement checkout continuing a Jan 31 plan from Feb 28: 31)",
          ),
      })
      .describe("When cycle 0 is due, as a wall time in the buyer's zone"),
    trial: z.strictObject({ unit: z.string(), count: z.number().int() }).nullable(),
    end: z.union([z.strictObject({ after_cycles: z.number().int() }), z.strictObject({ at: instant('No cycle due at or after it is billed') })]).nullable(),
    first_charge_id: z.string().nullable().describe('The Charge captured at checkout (cycle 0), if any'),
  })
  .meta({ id: 'SubscriptionStartedData' });

const statusFields = {
  status: status.describe('The status it has now'),
  previous_status: status.describe('The status it had before'),
  reason: z
    .string()
    .nullable()
    .describe("Why: an Amazon Pay reason code (SoftDeclined, HardDeclined, BuyerCanceled, …), an operator's text, or a rule (DunningExhausted:<code>, …)"),
  cycle: z.number().int().describe('The cycle it is at (0 is the first)'),
  next_billing_at: instant('When the current cycle is due').nullable(),
};

export const SubscriptionPastDueDataSchema = z
  .strictObject({
    ...statusFields,
    next_retry_at: instant('When the cycle is tried again (dunning, or after the monthly cap resets)').nullable(),
    dunning_step: z.number().int().nullable().describe('Which dunning retry comes next (1 is the first); null for a monthly-cap wait'),
    dunning_steps: z.number().int().nullable().describe('How many dunning retries the policy has'),
  })
  .meta({ id: 'SubscriptionPastDueData' });

export const SubscriptionPaymentMethodRequiredDataSchema = z
  .strictObject({
    ...statusFields,
    grace_ends_at: instant('When the final action runs if the buyer has not fixed the payment method').nullable(),
    payment_method_update_url: z
      .string()
      .nullable()
      .describe(
        'Where the buyer updates the payment method (Amazon Pay US and JP); null in the EU region, which has no such link: send the buyer to your integration of the hosted Update page',
      ),
  })
  .meta({ id: 'SubscriptionPaymentMethodRequiredData' });

export const SubscriptionNeedsAttentionDataSchema = z
  .strictObject({ ...statusFields, last_failure: z.string().nullable().describe('The failure that stopped billing, at most 500 characters') })
  .meta({ id: 'SubscriptionNeedsAttentionData', description: 'needs_attention or unpaid: billing waits for an operator.' });

/**
 * activated, paused, resumed, canceled, ended. A status that has its own details (resumed into
 * past_due, payment_method_required, needs_attention or unpaid) carries them too.
 */
export const SubscriptionStatusDataSchema = z
  .strictObject({
    ...statusFields,
    next_retry_at: SubscriptionPastDueDataSchema.shape.next_retry_at.optional(),
    dunning_step: SubscriptionPastDueDataSchema.shape.dunning_step.optional(),
    dunning_steps: SubscriptionPastDueDataSchema.shape.dunning_steps.optional(),
    grace_ends_at: SubscriptionPaymentMethodRequiredDataSchema.shape.grace_ends_at.optional(),
    payment_method_update_url: SubscriptionPaymentMethodRequiredDataSchema.shape.payment_method_update_url.optional(),
    last_failure: SubscriptionNeedsAttentionDataSchema.shape.last_failure.optional(),
    replaced_by: z
      .string()
      .optional()
      .describe(
        'On subscription.canceled with reason ReplacedBy:<id>: the subscription that replaced this one (a checkout with replacesSubscriptionId, completed); absent otherwise',
      ),
  })
  .meta({ id: 'SubscriptionStatusData', description: 'A status change: activated, paused, resumed, canceled, ended.' });

export const SubscriptionPlanChangedDataSchema = z
  .strictObject({
    from_cycle: z.number().int().describe('The first cycle billed on the new plan'),
    plan: EventPlanSchema,
    changed: z.array(z.enum(['amount', 'interval'])),
  })
  .meta({ id: 'SubscriptionPlanChangedData' });

export const SubscriptionCancelScheduledDataSchema = z
  .strictObject({
    reason: z.string().describe('Why the stop was asked for (the reason the subscription is canceled with)'),
    after_cycle: z.number().int().describe('The last cycle that may still be billed; -1 when nothing was billed yet'),
    ends_at: instant('When the paid period ends and the subscription is canceled, billing nothing more').nullable(),
  })
  .meta({ id: 'SubscriptionCancelScheduledData' });

export const SubscriptionTrialWillEndDataSchema = z
  .strictObject({ trial_ends_at: instant('When the trial ends and the first cycle is due'), cycle: z.number().int() })
  .meta({ id: 'SubscriptionTrialWillEndData' });

export const SubscriptionPermissionWillExpireDataSchema = z
  .strictObject({
    charge_permission_id: z.string(),
    permission_expires_at: instant(
      "The Charge Permission's expirationTimestamp as Amazon Pay last answered it: no charge is sent at or after it; the cycle due then asks Amazon Pay again and, when it confirms, ends the subscription (ChargePermissionExpired). A later event of this type carries a date Amazon moved it to",
    ),
  })
  .meta({ id: 'SubscriptionPermissionWillExpireData' });

const chargeFields = {
  charge_id: z.string().nullable().describe('Amazon Pay ChargeId; null when Amazon Pay created no Charge (a refused Create Charge)'),
  cycle: z.number().int(),
  attempt: z.number().int().describe('The attempt of the cycle (each dunning retry is a new one)'),
  state: z.string().describe('The ledger state: an Amazon Pay Charge state, or Refused / failed when no Charge exists'),
  amount: decimalAmount,
  currency,
};

export const ChargeSucceededDataSchema = z
  .strictObject({
    ...chargeFields,
    period: z
      .strictObject({
        start: instant("The cycle's billing date").nullable(),
        end: instant(
          "The next cycle's billing date; null when not known at the charge (a retry after a decline, the last cycle, the checkout charge)",
        ).nullable(),
      })
      .describe('The period the charge pays for'),
  })
  .meta({ id: 'ChargeSucceededData' });

export const ChargePendingDataSchema = z
  .strictObject(chargeFields)
  .meta({ id: 'ChargePendingData', description: 'Amazon Pay is authorizing (AuthorizationInitiated).' });

export const ChargeFailedDataSchema = z
  .strictObject({
    ...chargeFields,
    reason_code: z.string().nullable().describe('Amazon Pay reason code (SoftDeclined, HardDeclined, PeriodicAmountExceeded, …)'),
    outcome: z
      .string()
      .nullable()
      .describe('How Create Charge answered: soft_decline, hard_decline, permission_state, refused, invalid_request; ok for a pending charge declined later'),
    decline: z
      .enum(['soft', 'hard'])
      .nullable()
      .describe(
        'soft: a later attempt may pass (dunning retries it; the time is in the subscription.past_due that follows); hard: the buyer must fix the payment method; null: not a decline',
      ),
  })
  .meta({ id: 'ChargeFailedData' });

export const RefundDataSchema = z
  .strictObject({
    refund_id: z.string().nullable().describe('Amazon Pay RefundId; null when refused before Amazon Pay created one'),
    charge_id: z.string(),
    refund_number: z.number().int().describe('1, 2, … per charge'),
    amount: decimalAmount,
    currency,
    state: z.string().describe('Refunded, Declined or failed'),
    reason_code: z.string().nullable(),
    reason: z.string().nullable().describe("The merchant's reason given with the refund"),
  })
  .meta({ id: 'RefundData' });

/** Every event type's data schema: the one place that says what `data` holds. */
export const EVENT_DATA_SCHEMAS = {
  'subscription.started': SubscriptionStartedDataSchema,
  'subscription.trial_will_end': SubscriptionTrialWillEndDataSchema,
  'subscription.permission_will_expire': SubscriptionPermissionWillExpireDataSchema,
  'subscription.activated': SubscriptionStatusDataSchema,
  'subscription.past_due': SubscriptionPastDueDataSchema,
  'subscription.payment_method_required': SubscriptionPaymentMethodRequiredDataSchema,
  'subscription.paused': SubscriptionStatusDataSchema,
  'subscription.resumed': SubscriptionStatusDataSchema,
  'subscription.plan_changed': SubscriptionPlanChangedDataSchema,
  'subscription.cancel_scheduled': SubscriptionCancelScheduledDataSchema,
  'subscription.needs_attention': SubscriptionNeedsAttentionDataSchema,
  'subscription.unpaid': SubscriptionNeedsAttentionDataSchema,
  'subscription.canceled': SubscriptionStatusDataSchema,
  'subscription.ended': SubscriptionStatusDataSchema,
  'charge.succeeded': ChargeSucceededDataSchema,
  'charge.pending': ChargePendingDataSchema,
  'charge.failed': ChargeFailedDataSchema,
  'refund.succeeded': RefundDataSchema,
  'refund.failed': RefundDataSchema,
} as const satisfies Record<EventType, z.ZodType>;

const envelope = {
  id: z.string().describe('Unique event id ("evt_" + 32 hex digits); the webhook-id of its deliveries'),
  subscription_id: z.string(),
  sequence: z.number().int().min(1).describe('1, 2, 3 … per subscription, with no gaps: sort by it to apply events in order'),
  account: z.string().nullable().describe('The Amazon Pay merchant account; null: the deployment has one'),
  occurred_at: instant('When the fact happened'),
};

const pascal = (type: string) =>
  type
    .split(/[._]/)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** One envelope schema per type (component `<Type>Event`, e.g. ChargeSucceededEvent), discriminated by `type`. */
const eventSchemas = EVENT_TYPES.map((type) =>
  z.strictObject({ ...envelope, type: z.literal(type), data: EVENT_DATA_SCHEMAS[type] }).meta({ id: `${pascal(type)}Event` }),
);

export const EventSchema = z
  .discriminatedUnion('type', eventSchemas as unknown as [(typeof eventSchemas)[number], ...(typeof eventSchemas)[number][]])
  .meta({ id: 'Event', description: 'An event of the log: a business fact of one subscription (docs/events.md).' });

export type EventView = z.infer<typeof EventSchema>;

export const EventPageSchema = z
  .strictObject({
    data: z.array(EventSchema).describe('Oldest first'),
    next_cursor: z.string().describe('Pass as `after` to continue; the same cursor comes back while nothing new is readable'),
  })
  .meta({ id: 'EventPage' });
