// GET /v1/dashboard: what the billing dashboard (GET /dashboard) draws; see client/dashboard/data.ts.
import { z } from 'zod';

const instant = z.string().describe('ISO-8601 instant in UTC');
const minor = z
  .string()
  .regex(/^-?\d+$/)
  .describe('Amount in minor units (a decimal string of an integer)');

const ForecastHourSchema = z.strictObject({
  hourStart: instant,
  due: z.number().int(),
  capacity: z.number().int().describe('Create Charge calls the deployment can send in one hour (forecast.ratePerSecond × 3,600)'),
  backlogAtStart: z.number().int(),
  maxLatenessSeconds: z
    .number()
    .nullable()
    .describe('The longest wait (seconds) of a charge due in this hour between its due time and when it is sent; null: none due'),
  lastChargeSentAt: instant.nullable().describe('When the last of the charges due in this hour is sent; null: none due'),
});

const ForecastPeakSchema = z.strictObject({
  startsAt: instant,
  finishesAt: instant,
  charges: z.number().int(),
  maxLatenessSeconds: z.number().describe('The longest wait (seconds) of one of its charges after its due time'),
  lastDueAt: instant,
  late: z.boolean().describe('Whether one of its charges is sent more than forecast.warnAfterSeconds after it is due (billing.yaml forecast.warnAfter)'),
});

const SaturatedStretchSchema = z.strictObject({
  startsAt: instant,
  endsAt: instant,
  charges: z.number().int(),
  ratePerSecond: z.number().describe('Charges sent per second over the stretch'),
  rateLimitPerSecond: z.number().describe('The Create Charge rate limit they were sent under'),
  limitedBy: z
    .enum(['quota', 'daemon'])
    .describe('quota: the daemon kept up with its rate limit (its throughput is at least this); daemon: its own throughput held the charges back'),
  wakeUpSeconds: z
    .number()
    .describe("How much later the stretch's peak finished than the forecast's model at its rate explains (timers firing, workflows starting); at least 0"),
});

const ChargeRateSchema = z
  .strictObject({
    ratePerSecond: z
      .number()
      .describe('The rate the forecast runs at: the lower of quotaPerSecond × quotaShareSent (the whole quota when null) and capacityPerSecond'),
    quotaPerSecond: z.number().describe('temporal.yaml rateLimits.createChargePerSecond'),
    quotaShareSent: z
      .number()
      .nullable()
      .describe('The share (0–1) of its quota the deployment sent on the ledger peak the quota held back; null: no such peak'),
    wakeUpSeconds: z
      .number()
      .describe("Seconds after its due time from which the forecast counts each charge (the evidence's wakeUpSeconds; 0 without evidence)"),
    capacityPerSecond: z.number().nullable().describe("The daemon's own charges per second, measured on the ledger or configured; null: not known"),
    capacitySource: z.enum(['ledger', 'configured']).nullable(),
    limitedBy: z.enum(['quota', 'capacity']),
    evidence: SaturatedStretchSchema.nullable().describe("The ledger's highest sustained peak in the evidence window; null: none"),
    evidenceWindow: z.strictObject({ from: instant, until: instant }),
    summary: z.string().describe('One sentence: which limit applies and from what evidence'),
  })
  .describe("Which limit the forecast runs at — the Create Charge quota or the daemon's own throughput — and why");

const BacklogSchema = z.strictObject({ pending: z.number().int(), failed: z.number().int(), oldestPendingSeconds: z.number().int().nullable() });

export const DashboardSchema = z
  .strictObject({
    generatedAt: instant,
    statuses: z.array(z.strictObject({ status: z.string(), count: z.number().int() })),
    attention: z
      .array(
        z.strictObject({
          subscriptionId: z.string(),
          status: z.string(),
          reason: z.string().nullable(),
          since: instant,
          ageSeconds: z.number().int(),
          workflowUrl: z.string().nullable().describe("The subscription's workflow in the Temporal Web UI; null when no Web UI is configured"),
        }),
      )
      .describe('Subscriptions in needs_attention, payment_method_required, unpaid or past_due, longest waiting first (at most 200)'),
    money: z.array(
      z.strictObject({
        environment: z.string().describe('Amazon Pay environment of the subscriptions summed: live, or sandbox (test money, not revenue)'),
        currency: z.string().length(3),
        capturedToday: minor,
        capturedThisMonth: minor,
        refundedThisMonth: minor,
        mrr: minor.describe(
          'Monthly recurring revenue of active and past_due subscriptions (an average month); one asked to stop at period end counts until it ends',
        ),
      }),
    ),
    outcomes: z.array(
      z.strictObject({
        hourStart: instant,
        captured: z.number().int(),
        declinedSoft: z.number().int(),
        declinedHard: z.number().int(),
        pending: z.number().int(),
        throttled: z.number().int(),
        failed: z.number().int(),
      }),
    ),
    lag: z.array(z.strictObject({ hourStart: instant, charges: z.number().int(), averageSeconds: z.number(), maxSeconds: z.number() })),
    forecast: z.strictObject({
      from: instant,
      until: instant,
      ratePerSecond: z.number().describe('Create Charge calls per second the forecast runs at (limit.ratePerSecond)'),
      limit: ChargeRateSchema,
      totalDue: z.number().int(),
      minPeakLatenessSeconds: z
        .number()
        .describe('A busy period is a peak when one of its charges waits at least this long: 60 s, or warnAfterSeconds when less'),
      warnAfterSeconds: z
        .number()
        .describe(
          'A peak is late when one of its charges is sent more than this after it is due (billing.yaml forecast.warnAfter; `billing forecast` warns about the same peaks)',
        ),
      hours: z.array(ForecastHourSchema),
      peaks: z.array(ForecastPeakSchema),
    }),
    backlogs: z.strictObject({ ipnInbox: BacklogSchema, webhookDeliveries: BacklogSchema }),
  })
  .meta({ id: 'Dashboard' });

/** GET /v1/dashboard takes no parameters: one refused names itself rather than being ignored (the forecast window is billing.yaml's). */
export const DashboardQuery = z.strictObject({});
