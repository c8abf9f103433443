import { z } from 'zod';
import { validate as validateCron } from 'node-cron';
import { MAX_CONTINUE_AS_NEW_EVERY_CYCLES, MIN_CONTINUE_AS_NEW_EVERY_CYCLES, type BillingPolicy } from '../workflows/types.js';
import { DURATION_HELP, parseDuration } from './durations.js';
import { ConfigError } from './errors.js';
import { DEFAULT_BILLING_POLICY } from './policy.js';
import { parseYamlSettings, readSettingsFile } from './yaml-file.js';

/**
 * billing.yaml: the daemon's own settings — billing policy (dunning, grace, pending
 * authorizations), the IPN endpoint, housekeeping schedules and the operations HTTP port.
 * Absent file or keys: defaults. Read once, validated, frozen.
 */

const duration = z.string({ error: DURATION_HELP }).transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: DURATION_HELP });
    return z.NEVER;
  }
  return ms;
});
const cron = z
  .string({ error: 'a cron expression such as "*/5 * * * *"' })
  .refine((text) => validateCron(text), 'a valid cron expression such as "*/5 * * * *" (minute hour day month weekday, optional seconds first)');
const port = z
  .number({ error: 'a port number 0-65535 (0: any free port)' })
  .int('a whole port number')
  .min(0, 'a port number 0-65535')
  .max(65535, 'a port number 0-65535');

/** An SNS topic ARN (partition aws, aws-cn or aws-us-gov); the topic name `*` accepts every topic of that account in that region. */
const TOPIC_ARN = /^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:([A-Za-z0-9_-]{1,256}(\.fifo)?|\*)$/;
const topicArn = z
  .string({ error: 'an SNS topic ARN such as "arn:aws:sns:us-east-1:123456789012:name"' })
  .regex(TOPIC_ARN, 'an SNS topic ARN such as "arn:aws:sns:us-east-1:123456789012:name" (or "…:123456789012:*" for every topic of that account and region)');
const CONTINUE_AS_NEW_RANGE = `${MIN_CONTINUE_AS_NEW_EVERY_CYCLES}-${MAX_CONTINUE_AS_NEW_EVERY_CYCLES}`;
const timeout = duration.refine((ms) => ms >= 100 && ms <= 600_000, 'a duration from "100ms" to "10m"');

const ipnSchema = z
  .strictObject({
    port: port.default(8787),
    host: z.string({ error: 'an IP address to bind' }).default('127.0.0.1'),
    path: z.string({ error: 'a URL path starting with /' }).regex(/^\//, 'a URL path starting with /').default('/ipn'),
    maxBodyBytes: z
      .number({ error: 'a byte count' })
      .int()
      .min(1024, 'at least 1024 bytes')
      .max(10 * 1024 * 1024, 'at most 10 MiB')
      .default(256 * 1024),
    /** SNS topics whose notifications are accepted; empty: any topic (with a start-up warning in production). */
    allowedTopicArns: z.array(topicArn, { error: 'a list of SNS topic ARNs' }).max(100, 'at most 100 topics').default([]),
    /** A Timestamp older than this (SNS keeps the first delivery's Timestamp on retries) is refused with 400. */
    maxMessageAge: duration.refine((ms) => ms >= 60_000, 'at least "1m"').default(86_400_000),
    /** A Timestamp further ahead of this host's clock than this is refused with 400. */
    maxClockSkew: duration.refine((ms) => ms <= 3_600_000, 'at most "1h"').default(300_000),
    /** Time to receive a request's headers (also a silent new connection's lifetime). */
    headersTimeout: timeout.default(10_000),
    /** Time to receive a whole request, headers and body. */
    requestTimeout: timeout.default(30_000),
    /** How long a connection may sit idle between requests. */
    keepAliveTimeout: timeout.default(5_000),
    /** Open connections at once; more are closed as soon as they are accepted. */
    maxConnections: z
      .number({ error: 'a whole number 1-100000' })
      .int('a whole number 1-100000')
      .min(1, 'a whole number 1-100000')
      .max(100_000, 'a whole number 1-100000')
      .default(256),
    /** Request line and headers together; more gets 431. */
    maxHeaderBytes: z
      .number({ error: 'a byte count' })
      .int('a whole byte count')
      .min(1024, 'at least 1024 bytes')
      .max(65_536, 'at most 65536 bytes')
      .default(16_384),
  })
  .prefault({});

const policySchema = z
  .strictObject({
    dunningRetryDelays: z
      .array(duration, { error: `a list of delays, each ${DURATION_HELP}` })
      .max(20, 'at most 20 retries')
      .optional(),
    finalAction: z
      .enum(['cancel', 'cancel_and_close_permission', 'mark_unpaid'], { error: 'one of cancel, cancel_and_close_permission, mark_unpaid' })
      .optional(),
    paymentMethodGrace: duration.optional(),
    paymentMethodCheckInterval: duration.optional(),
    usePendingAuthorization: z.boolean({ error: 'true or false' }).optional(),
    pendingPollInitial: duration.optional(),
    pendingPollMax: duration.optional(),
    pendingMaxWait: duration.optional(),
    chargeRetryWindow: duration.optional(),
    activityRetryWindow: duration.optional(),
    failedCallRetryDelays: z
      .array(duration, { error: `a list of delays, each ${DURATION_HELP}` })
      .min(1, 'at least one delay')
      .max(20, 'at most 20 delays')
      .optional(),
    continueAsNewEveryCycles: z
      .number({ error: `a whole number of cycles ${CONTINUE_AS_NEW_RANGE}` })
      .int(`a whole number of cycles ${CONTINUE_AS_NEW_RANGE}`)
      .min(MIN_CONTINUE_AS_NEW_EVERY_CYCLES, `a whole number of cycles ${CONTINUE_AS_NEW_RANGE}`)
      .max(MAX_CONTINUE_AS_NEW_EVERY_CYCLES, `a whole number of cycles ${CONTINUE_AS_NEW_RANGE}`)
      .optional(),
  })
  .default({});

/**
 * Webhook delivery (webhooks/): 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h five times between the
 * attempts of one event — 13 attempts over 3 days 5 h 35 min (Standard Webhooks and Svix retry on
 * a similar schedule for days). An endpoint with no success for that whole window is disabled.
 */
/** billing.yaml forecast.warnAfter's default: a peak whose last charge goes out more than 30 minutes late is warned about. */
export const DEFAULT_FORECAST_WARN_AFTER_MS = 30 * 60_000;

export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = ['5s', '5m', '30m', '2h', '5h', '10h', '10h', '10h', '10h', '10h', '10h', '10h'] as const;
const between = (min: number, max: number, what: string) =>
  z
    .number({ error: `${what} from ${min} to ${max}` })
    .int(`${what} from ${min} to ${max}`)
    .min(min, `${what} from ${min} to ${max}`)
    .max(max, `${what} from ${min} to ${max}`);
const webhooksSchema = z
  .strictObject({
    /** Delay before each retry of a failed delivery (plus up to 20 % jitter); after the last, the delivery fails. */
    retrySchedule: z
      .array(duration, { error: `a list of delays, each ${DURATION_HELP}` })
      .min(1, 'at least one delay')
      .max(50, 'at most 50 delays')
      .prefault([...DEFAULT_WEBHOOK_RETRY_SCHEDULE]),
    /** Time an endpoint has to answer one request (connect, headers and the first 1 KiB of body). */
    requestTimeout: duration.refine((ms) => ms >= 100 && ms <= 120_000, 'a duration from "100ms" to "2m"').default(15_000),
    /** Requests in flight at once per replica, all endpoints together. */
    concurrency: between(1, 1000, 'a whole number').default(32),
    /** Requests in flight at once per replica to one endpoint: a slow endpoint holds at most this many of `concurrency`. */
    perEndpointConcurrency: between(1, 100, 'a whole number').default(4),
    /** How often each replica looks for due deliveries without a notification (retries, missed NOTIFYs). */
    pollInterval: duration.refine((ms) => ms >= 10 && ms <= 60_000, 'a duration from "10ms" to "1m"').default(1_000),
    /** After rotate-secret, the old secret keeps signing (a second signature) this long. */
    secretGracePeriod: duration.refine((ms) => ms <= 30 * 86_400_000, 'at most "30d"').default(86_400_000),
  })
  .prefault({});

const billingFileSchema = z.strictObject({
  policy: policySchema,
  ipn: ipnSchema,
  operations: z
    .strictObject({
      /** Health, readiness and Prometheus metrics. */
      port: port.default(9464),
      host: z.string().default('127.0.0.1'),
      /** Temporal SDK runtime metrics (workflow/activity task latencies, slots, polls) in Prometheus format; null: off. */
      temporalMetricsPort: port.nullable().default(9465),
    })
    .default({ port: 9464, host: '127.0.0.1', temporalMetricsPort: 9465 }),
  api: z
    .strictObject({
      /** The versioned JSON HTTP API (api/, docs/api.md); loopback unless a proxy in front of it terminates TLS. */
      host: z.string({ error: 'an IP address to bind' }).default('127.0.0.1'),
      port: port.default(8788),
      maxBodyBytes: z
        .number({ error: 'a byte count' })
        .int()
        .min(1024, 'at least 1024 bytes')
        .max(10 * 1024 * 1024, 'at most 10 MiB')
        .default(64 * 1024),
      /** Serve the browsable API reference at /v1/docs (npm run dev always does). */
      referencePage: z.boolean({ error: 'true or false' }).default(false),
      /**
       * How long an Idempotency-Key's stored response is replayed; housekeeping's prune job
       * deletes older keys. At least a day: the replay window callers are promised (docs/api.md).
       */
      idempotencyRetention: duration
        .refine((ms) => ms >= 86_400_000 && ms <= 366 * 86_400_000, 'a duration from "24h" to "366d" (keys are replayed at least a day)')
        .default(86_400_000),
    })
    .default({ host: '127.0.0.1', port: 8788, maxBodyBytes: 64 * 1024, referencePage: false, idempotencyRetention: 86_400_000 }),
  housekeeping: z
    .strictObject({
      inboxRetry: cron.default('*/1 * * * *'),
      reconcile: cron.default('*/15 * * * *'),
      drift: cron.default('*/10 * * * *'),
      prune: cron.default('30 3 * * *'),
      trialWillEnd: cron.default('*/15 * * * *'),
      /** subscription.trial_will_end is emitted this long before a trial ends (docs/events.md). Default 3 days. */
      trialWillEndBefore: duration.default(3 * 86_400_000),
      permissionWillExpire: cron.default('*/15 * * * *'),
      /** subscription.permission_will_expire is emitted this long before a Charge Permission's expirationTimestamp (docs/events.md). Default 7 days. */
      permissionWillExpireBefore: duration.default(7 * 86_400_000),
      /** Amazon Pay reads (Get Refund for stale refunds, at most a quarter; Get Charge Permission) one reconciliation run may spend, leaving the quota to billing. */
      reconcileBudget: z.number({ error: 'a whole number ≥ 0' }).int().min(0, 'a whole number ≥ 0').default(100),
      pruneAfter: duration.default(30 * 86_400_000),
    })
    .default({
      inboxRetry: '*/1 * * * *',
      reconcile: '*/15 * * * *',
      drift: '*/10 * * * *',
      prune: '30 3 * * *',
      trialWillEnd: '*/15 * * * *',
      trialWillEndBefore: 3 * 86_400_000,
      permissionWillExpire: '*/15 * * * *',
      permissionWillExpireBefore: 7 * 86_400_000,
      reconcileBudget: 100,
      pruneAfter: 30 * 86_400_000,
    }),
  forecast: z
    .strictObject({
      /** `billing forecast` warns when a peak's last charge is sent this long after its due time. */
      warnAfter: duration.default(DEFAULT_FORECAST_WARN_AFTER_MS),
      /**
       * The daemon's own Create Charge throughput (charges/s) when the ledger holds no peak that
       * measured it (billing/capacity.ts chargeRate); null: the quota alone.
       */
      capacityPerSecond: z
        .number({ error: 'charges per second (a number > 0), or null' })
        .positive('charges per second (a number > 0), or null')
        .nullable()
        .default(null),
      /** How far back the ledger is read for the peaks that measure the daemon's throughput. */
      capacityLookback: duration.refine((ms) => ms >= 3_600_000 && ms <= 366 * 86_400_000, 'a duration from "1h" to "366d"').default(35 * 86_400_000),
    })
    .default({ warnAfter: DEFAULT_FORECAST_WARN_AFTER_MS, capacityPerSecond: null, capacityLookback: 35 * 86_400_000 }),
  webhooks: webhooksSchema,
  shutdownGrace: duration.default(30_000),
});

type BillingFile = z.infer<typeof billingFileSchema>;

/** billing.yaml `ipn`: the endpoint's address, limits, accepted topics and Timestamp window. Durations in ms. */
export type IpnSettings = BillingFile['ipn'];

/** billing.yaml `webhooks`: retry schedule, timeouts and concurrency of webhook delivery. Durations in ms. */
export type WebhookSettings = BillingFile['webhooks'];

/** `webhooks` with every key at its default. */
export const DEFAULT_WEBHOOK_SETTINGS: Readonly<WebhookSettings> = Object.freeze(webhooksSchema.parse({}));

/** `ipn` with every key at its default. */
export const DEFAULT_IPN_SETTINGS: Readonly<IpnSettings> = Object.freeze(ipnSchema.parse({}));

export interface BillingConfig extends Omit<BillingFile, 'policy'> {
  readonly policy: BillingPolicy;
}

export function parseBillingYaml(text: string, source: string): BillingConfig {
  const file = parseYamlSettings(billingFileSchema, text, source);
  const p = file.policy;
  const policy: BillingPolicy = {
    dunningRetryDelaysMs: p.dunningRetryDelays ?? DEFAULT_BILLING_POLICY.dunningRetryDelaysMs,
    finalAction: p.finalAction ?? DEFAULT_BILLING_POLICY.finalAction,
    paymentMethodGraceMs: p.paymentMethodGrace ?? DEFAULT_BILLING_POLICY.paymentMethodGraceMs,
    paymentMethodCheckIntervalMs: p.paymentMethodCheckInterval ?? DEFAULT_BILLING_POLICY.paymentMethodCheckIntervalMs,
    usePendingAuthorization: p.usePendingAuthorization ?? DEFAULT_BILLING_POLICY.usePendingAuthorization,
    pendingPollInitialMs: p.pendingPollInitial ?? DEFAULT_BILLING_POLICY.pendingPollInitialMs,
    pendingPollMaxMs: p.pendingPollMax ?? DEFAULT_BILLING_POLICY.pendingPollMaxMs,
    pendingMaxWaitMs: p.pendingMaxWait ?? DEFAULT_BILLING_POLICY.pendingMaxWaitMs,
    chargeRetryWindowMs: p.chargeRetryWindow ?? DEFAULT_BILLING_POLICY.chargeRetryWindowMs,
    activityRetryWindowMs: p.activityRetryWindow ?? DEFAULT_BILLING_POLICY.activityRetryWindowMs,
    failedCallRetryDelaysMs: p.failedCallRetryDelays ?? DEFAULT_BILLING_POLICY.failedCallRetryDelaysMs,
    continueAsNewEveryCycles: p.continueAsNewEveryCycles ?? DEFAULT_BILLING_POLICY.continueAsNewEveryCycles,
  };
  const problems: string[] = [];
  if (policy.pendingPollMaxMs < policy.pendingPollInitialMs) problems.push('policy.pendingPollMax: must not be shorter than policy.pendingPollInitial');
  if (file.ipn.headersTimeout > file.ipn.requestTimeout)
    problems.push('ipn.headersTimeout: must not be longer than ipn.requestTimeout (the whole request, headers included)');
  // A replayed notification is refused as a duplicate only while its inbox row exists.
  if (file.ipn.maxMessageAge >= file.housekeeping.pruneAfter)
    problems.push('ipn.maxMessageAge: must be shorter than housekeeping.pruneAfter, so a replayed notification still finds its inbox row');
  if (file.webhooks.perEndpointConcurrency > file.webhooks.concurrency)
    problems.push('webhooks.perEndpointConcurrency: must not be larger than webhooks.concurrency (all endpoints together)');
  if (problems.length > 0) throw new ConfigError(source, problems);
  return Object.freeze({ ...file, policy: Object.freeze(policy) });
}

export function readBillingYaml(path: string): BillingConfig {
  return parseBillingYaml(readSettingsFile(path), path);
}
