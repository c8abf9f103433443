// JSON-safe shapes that cross process boundaries (workflow arguments, update payloads,
// activity inputs, admin client). Dependency-free: workflow code imports this file, and
// Temporal's sandbox bundle must not reach node: modules, luxon or zod through it.
// Money here is always a digit string of minor units plus an ISO 4217 code, because
// Temporal's default payload converter is JSON and JSON.stringify throws on bigint.

/** Calendar units (day..year) use local wall-clock arithmetic; short units (second..hour) are elapsed time and sandbox-only. */
export const INTERVAL_UNITS = ['second', 'minute', 'hour', 'day', 'week', 'month', 'year'] as const;
export type IntervalUnit = (typeof INTERVAL_UNITS)[number];

/** Units measured as elapsed time from the anchor instant; allowed only in the sandbox environment. */
export const SHORT_INTERVAL_UNITS = ['second', 'minute', 'hour'] as const;
export type ShortIntervalUnit = (typeof SHORT_INTERVAL_UNITS)[number];

export interface BillingInterval {
  unit: IntervalUnit;
  /** Positive integer number of units per billing cycle. */
  count: number;
}

export interface BillingAnchor {
  /** Wall time in `zone`, 'YYYY-MM-DDTHH:mm' or 'YYYY-MM-DDTHH:mm:ss', no offset. */
  localDateTime: string;
  /** IANA zone name, e.g. 'America/New_York'. */
  zone: string;
  /**
   * Set by the daemon only (trial end, plan change): the day of month month/year intervals bill
   * on when `localDateTime`'s day is a clamped one, e.g. 31 for '2025-02-28T09:00' of a plan
   * started Jan 31 (billing/schedule.ts). 29..31, above the day of `localDateTime`.
   */
  dayOfMonth?: number;
}

export interface Plan {
  /** Positive integer minor units as a digit string, e.g. '1400' for 14.00 USD. */
  amountMinor: string;
  /** ISO 4217 code from the supported list (see plan-rules.ts CURRENCY_EXPONENTS). */
  currency: string;
  interval: BillingInterval;
}

/** Money in a DTO: minor units as a digit string (optionally '-'-prefixed) plus ISO code. */
export interface MoneyDto {
  amountMinor: string;
  currency: string;
}

export interface MerchantMetadata {
  merchantReferenceId?: string;
  merchantStoreName?: string;
  noteToBuyer?: string;
  customInformation?: string;
}

/**
 * When a subscription stops billing by itself.
 * - afterCycles: N cycles are billed in total, cycles 0..N-1 (cycle 0 included, even if it
 *   was captured at checkout via firstChargeId).
 * - at: ISO-8601 instant with 'Z' or an offset; a cycle due at or after it is not billed.
 */
export type SubscriptionEnd = { afterCycles: number } | { at: string };

export interface SubscriptionSpec {
  /** Our id, 1..64 chars of [A-Za-z0-9_.:-]; the workflow id is derived from it. */
  id: string;
  /** Amazon Pay Charge Permission, e.g. 'S01-1234567-1234567'. */
  chargePermissionId: string;
  plan: Plan;
  /** Subscription start in the buyer's zone; see billing/schedule.ts for how cycles derive from it. */
  anchor: BillingAnchor;
  /** Free trial length; cycle 0 is then due when the trial ends (billing/schedule.ts firstBillingAnchor). */
  trial?: BillingInterval;
  end?: SubscriptionEnd;
  /** Statement descriptor for Create Charge, at most 16 bytes. */
  softDescriptor?: string;
  merchantMetadata?: MerchantMetadata;
  /** Charge captured at checkout; it is cycle 0, so the workflow starts billing at cycle 1. */
  firstChargeId?: string;
}

export const SUBSCRIPTION_STATUSES = [
  'active',
  'trialing',
  'paused',
  'past_due',
  'payment_method_required',
  'unpaid',
  'needs_attention',
  'canceled',
  'ended',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** Amazon Pay environment the daemon talks to; short billing intervals exist only in 'sandbox'. */
export type BillingEnvironment = 'sandbox' | 'live';

/** One validation finding; an empty list means valid. `field` is a dotted path such as 'plan.interval.count'. */
export interface Problem {
  field: string;
  message: string;
}
