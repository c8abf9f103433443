import { z } from 'zod';
import { validate as validateCron } from 'node-cron';
import type { BillingPolicy } from '../workflows/types.js';
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
const cron = z.string({ error: 'a cron expression such as "*/5 * * * *"' }).refine((text) => validateCron(text), 'a valid cron expression such as "*/5 * * * *" (minute hour day month weekday, optional seconds first)');
const port = z.number({ error: 'a port number 0-65535 (0: any free port)' }).int('a whole port number').min(0, 'a port number 0-65535').max(65535, 'a port number 0-65535');

const policySchema = z
  .strictObject({
    dunningRetryDelays: z.array(duration, { error: `a list of delays, each ${DURATION_HELP}` }).max(20, 'at most 20 retries').optional(),
    finalAction: z.enum(['cancel', 'cancel_and_close_permission', 'mark_unpaid'], { error: 'one of cancel, cancel_and_close_permission, mark_unpaid' }).optional(),
    paymentMethodGrace: duration.optional(),
    paymentMethodCheckInterval: duration.optional(),
    usePendingAuthorization: z.boolean({ error: 'true or false' }).optional(),
    pendingPollInitial: duration.optional(),
    pendingPollMax: duration.optional(),
    pendingMaxWait: duration.optional(),
    chargeRetryWindow: duration.optional(),
  })
  .default({});

const billingFileSchema = z.strictObject({
  policy: policySchema,
  ipn: z
    .strictObject({
      port: port.default(8787),
      host: z.string({ error: 'an IP address to bind' }).default('127.0.0.1'),
      path: z.string({ error: 'a URL path starting with /' }).regex(/^\//, 'a URL path starting with /').default('/ipn'),
      maxBodyBytes: z.number({ error: 'a byte count' }).int().min(1024, 'at least 1024 bytes').max(10 * 1024 * 1024, 'at most 10 MiB').default(256 * 1024),
    })
    .default({ port: 8787, host: '127.0.0.1', path: '/ipn', maxBodyBytes: 256 * 1024 }),
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
      maxBodyBytes: z.number({ error: 'a byte count' }).int().min(1024, 'at least 1024 bytes').max(10 * 1024 * 1024, 'at most 10 MiB').default(64 * 1024),
      /** Serve the browsable API reference at /v1/docs (npm run dev always does). */
      referencePage: z.boolean({ error: 'true or false' }).default(false),
    })
    .default({ host: '127.0.0.1', port: 8788, maxBodyBytes: 64 * 1024, referencePage: false }),
  housekeeping: z
    .strictObject({
      inboxRetry: cron.default('*/1 * * * *'),
      reconcile: cron.default('*/15 * * * *'),
      drift: cron.default('*/10 * * * *'),
      prune: cron.default('30 3 * * *'),
      /** Amazon Pay reads (Get Refund for stale refunds, at most a quarter; Get Charge Permission) one reconciliation run may spend, leaving the quota to billing. */
      reconcileBudget: z.number({ error: 'a whole number ≥ 0' }).int().min(0, 'a whole number ≥ 0').default(100),
      pruneAfter: duration.default(30 * 86_400_000),
    })
    .default({ inboxRetry: '*/1 * * * *', reconcile: '*/15 * * * *', drift: '*/10 * * * *', prune: '30 3 * * *', reconcileBudget: 100, pruneAfter: 30 * 86_400_000 }),
  shutdownGrace: duration.default(30_000),
});

type BillingFile = z.infer<typeof billingFileSchema>;

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
  };
  if (policy.pendingPollMaxMs < policy.pendingPollInitialMs) throw new ConfigError(source, ['policy.pendingPollMax: must not be shorter than policy.pendingPollInitial']);
  return Object.freeze({ ...file, policy: Object.freeze(policy) });
}

export function readBillingYaml(path: string): BillingConfig {
  return parseBillingYaml(readSettingsFile(path), path);
}
