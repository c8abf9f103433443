// Shapes the subscription workflow carries, sends and returns. Dependency-free apart from
// billing/types.ts and billing/vocabulary.ts (types only): the workflow bundle, activities and the admin client all import them.
import type { BillingAnchor, BillingEnvironment, BillingInterval, MerchantMetadata, MoneyDto, SubscriptionEnd, SubscriptionStatus } from '../billing/types.js';
import type { FinalSubscriptionStatus } from '../billing/vocabulary.js';

/**
 * Billing dates of cycles fromCycle.. are billingInstant(anchor, interval, cycle - fromCycle).
 * A plan's interval change starts a new segment anchored at the wall time the old schedule
 * gave that cycle, so dates stay a pure function of stored anchors, never chained.
 */
export interface ScheduleSegment {
  fromCycle: number;
  anchor: BillingAnchor;
  interval: BillingInterval;
}

/** When a cycle is due (UTC ISO) and whether it falls inside the subscription's term. */
export interface CyclePlan {
  dueAt: string;
  inTerm: boolean;
}

export interface PlannedCycle extends CyclePlan {
  cycle: number;
}

export interface AmountChange {
  fromCycle: number;
  amountMinor: string;
}

/** What follows a failed charge; configurable globally and per subscription. Durations in ms. */
export interface BillingPolicy {
  /** Delays after the first soft decline at which the cycle is tried again (each a new attempt). */
  dunningRetryDelaysMs: number[];
  /** When dunning or the payment-method grace period runs out. */
  finalAction: 'cancel' | 'cancel_and_close_permission' | 'mark_unpaid';
  /** How long a subscription waits in payment_method_required for the buyer to fix the method. */
  paymentMethodGraceMs: number;
  /** How often the Charge Permission is checked while waiting, in case its IPN never comes. */
  paymentMethodCheckIntervalMs: number;
  /** Ask Amazon Pay for asynchronous authorization (canHandlePendingAuthorization). */
  usePendingAuthorization: boolean;
  /** Polling of a pending authorization when no CHARGE IPN arrives: first delay, cap, total limit. */
  pendingPollInitialMs: number;
  pendingPollMaxMs: number;
  pendingMaxWaitMs: number;
  /** Durable retries of throttled/transient Create Charge calls: total time before the outcome is declared unknown. */
  chargeRetryWindowMs: number;
  /**
   * Longest single Create Charge attempt (default 2 minutes): also how long a charge waits
   * before it is retried (same key) after its worker died mid-call. Keep it above the HTTP timeout.
   */
  chargeAttemptTimeoutMs?: number;
  /**
   * How long a Create Charge attempt may go without a heartbeat (default 20 s,
   * workflows/proxies.ts DEFAULT_CHARGE_HEARTBEAT_TIMEOUT_MS): an attempt whose task never reached
   * a worker is retried after this, not after chargeAttemptTimeoutMs. Runs before patch
   * charge-attempt-heartbeat have none.
   */
  chargeHeartbeatTimeoutMs?: number;
  /** After PeriodicAmountExceeded, how long after the UTC month boundary to try again (default 5 minutes: clock skew). */
  monthlyCapRetryMarginMs?: number;
  /**
   * How long a failing database write, schedule computation or Amazon Pay read (everything but
   * Create Charge) is retried by Temporal before the subscription goes to needs_attention
   * (default 1 hour). Absent in older workflow inputs.
   */
  activityRetryWindowMs?: number;
  /**
   * Then: delays between automatic retries of the failed call (the last one repeats); an
   * operator's resume retries at once. Default 5 min, 30 min, 2 h, 6 h (workflows/guarded-calls.ts).
   */
  failedCallRetryDelaysMs?: number[];
  /**
   * A subscription's run continues as new after this many settled cycles (between cycles, at
   * most one continue-as-new per this many charges), so no run is older than that many billing
   * intervals and patches can be retired on a schedule (workflows/patches.ts). Default 12;
   * absent in older workflow inputs.
   */
  continueAsNewEveryCycles?: number;
}

/** policy.continueAsNewEveryCycles: the default, and the range billing.yaml accepts. */
export const DEFAULT_CONTINUE_AS_NEW_EVERY_CYCLES = 12;
export const MIN_CONTINUE_AS_NEW_EVERY_CYCLES = 1;
export const MAX_CONTINUE_AS_NEW_EVERY_CYCLES = 120;

export interface SubscriptionWorkflowInput {
  subscriptionId: string;
  chargePermissionId: string;
  environment: BillingEnvironment;
  currency: string;
  softDescriptor?: string;
  merchantMetadata?: MerchantMetadata;
  end?: SubscriptionEnd;
  /** Charge captured at checkout: recorded as cycle 0 and never charged again. */
  firstChargeId?: string;
  /** A trial precedes cycle 0 (its due date already includes the trial). */
  trialing?: boolean;
  /**
   * The Charge Permission's expirationTimestamp (ISO instant) as last known: read at start, then
   * carried across continue-as-new as the run last knew it; absent: none known. A cycle due at or
   * after it asks Amazon before it ends the subscription (workflows/settle-cycle.ts permissionExpired).
   */
  permissionExpiresAt?: string;
  policy: BillingPolicy;
  taskQueues: { charges: string; amazonReads: string };
  /** Carried across continue-as-new; absent on the first run. */
  state?: CarriedState;
  /** Initial plan; ignored when `state` is present. */
  amountMinor: string;
  segments: ScheduleSegment[];
}

export interface LastCharge {
  cycle: number;
  attempt: number;
  chargeId: string | null;
  state: string;
  reasonCode: string | null;
  at: string;
}

export interface CarriedState {
  cycle: number;
  attempt: number;
  status: SubscriptionStatus;
  statusReason: string | null;
  paused: boolean;
  cancelAtPeriodEnd: { reason: string } | null;
  amountChanges: AmountChange[];
  segments: ScheduleSegment[];
  lastCharge: LastCharge | null;
  dunningStep: number;
  chargesMade: number;
  /** When this cycle's first hard decline started the payment-method grace period (ISO UTC); null/absent otherwise. */
  graceStartedAt?: string | null;
  /** How long an operator's pause has held that grace period so far (ms): the grace ends this much later. Absent/null when none. */
  gracePausedMs?: number | null;
  /** The cycle that already waited once for the monthly cap to reset; absent/null when none. */
  capWaitedCycle?: number | null;
  /**
   * Set by `billing repair` when the stopped workflow was waiting in `unpaid` or
   * `payment_method_required` for this cycle: the new run starts in that wait instead of charging
   * (REPAIR_RESTORES_WAIT). Cleared once entered; absent/null otherwise.
   */
  restoredWait?: RestoredWait | null;
  /** When the operator's pause in force began (workflow time at its signal, ISO UTC); absent/null when not paused. */
  pausedSince?: string | null;
  /**
   * Operator pauses already lifted, from the pause signal to the resume that lifted it (workflow
   * time, ISO UTC): a cycle due inside one is skipped, not billed late. Pruned once no cycle left can fall inside.
   */
  pauseWindows?: PauseWindow[];
  /** Why an operator paused it, carried while `paused` holds across a continue-as-new; absent otherwise. */
  pauseReason?: string | null;
}

/** A wait a repaired subscription starts in, with the reason it showed (e.g. DunningExhausted:SoftDeclined, HardDeclined). */
export interface RestoredWait {
  status: 'unpaid' | 'payment_method_required';
  reason: string;
}

/** An operator's pause, [from, to) in workflow time (ISO UTC). */
export interface PauseWindow {
  from: string;
  to: string;
}

export type CancelMode = 'now' | 'period_end';
export interface CancelRequest {
  mode: CancelMode;
  reason: string;
  /**
   * The final status a stop "now" ends the subscription with: `ended` only when the daemon
   * stops it for a fact that ends it (a Charge Permission Amazon closed as Expired,
   * billing/permission-end.ts); absent (operators, the HTTP API, signals sent before this field)
   * or `canceled`: canceled. Never inferred from `reason`, which an operator types.
   */
  status?: FinalSubscriptionStatus;
}

export interface ChangePlanRequest {
  amountMinor?: string;
  interval?: BillingInterval;
}
export interface ChangePlanResult {
  fromCycle: number;
  amountMinor: string;
  interval: BillingInterval;
}

/** Everything an operator or the admin client asks about a running subscription. */
export interface SubscriptionState {
  subscriptionId: string;
  chargePermissionId: string;
  status: SubscriptionStatus;
  statusReason: string | null;
  cycle: number;
  attempt: number;
  nextBillingAt: string | null;
  nextRetryAt: string | null;
  dunningStep: number;
  paused: boolean;
  cancelAtPeriodEnd: boolean;
  amountMinor: string;
  currency: string;
  interval: BillingInterval;
  lastCharge: LastCharge | null;
  outstanding: { cycle: number; attempt: number; reasonCode: string | null } | null;
  chargesMade: number;
  /** The Charge Permission as last seen by this workflow (signal or check), if at all. */
  permission: NotedPermission | null;
  /** An activity call that failed and waits for its retry (status needs_attention, reason CallFailed:<activity>). */
  failedCall?: FailedCall | null;
  /** Billing dates planned under the current plan, from the current cycle on (up to 13); empty while re-planning. */
  upcoming?: PlannedCycle[];
}

/** A failed activity call the workflow waits to retry (workflows/guarded-calls.ts). */
export interface FailedCall {
  activity: string;
  /** The failure's type and message, at most 500 characters. */
  failure: string;
  /** Failed tries so far, each after the activity's own retry policy gave up. */
  failures: number;
  /** When it is tried again without an operator (UTC ISO). */
  nextRetryAt: string;
}

/** A Charge Permission's state as Amazon Pay answered Get Charge Permission (amazonpay/reads.ts). */
export interface PermissionStatus {
  state: 'Chargeable' | 'NonChargeable' | 'Closed' | 'NotFound';
  reasons: string[];
  /** Amazon's payment descriptor (e.g. "Visa ****1111"); a change means the buyer replaced the payment method. Absent in older signals. */
  paymentDescriptor?: string | null;
  /** The permission's monthly cap (limits.amountLimit), minor units; null when it has none. Absent in older signals. */
  amountLimit?: MoneyDto | null;
  /**
   * The permission's expirationTimestamp as an ISO instant (UTC); null when it has none (Amazon
   * moves it: a plan change's recurringMetadata, a charge). Absent in older signals and histories,
   * and when Amazon's value could not be read: then nothing is known about it from this answer.
   */
  expiresAt?: string | null;
}

/**
 * The permissionStatus signal's payload (workflows/messages.ts builds and reads it): Amazon's
 * answer and whether it is evidence of a change. Signals sent before issue 15 carry `source`
 * instead; both are read (a signal's payload stays in history for replays).
 */
export interface PermissionStatusSignal extends PermissionStatus {
  /**
   * true: evidence of a change — Amazon's answer fetched after a CHARGE_PERMISSION IPN, or a
   * reconciliation check that found a state other than the one it saw last; false: a routine
   * check (a first look, a periodic poll). Absent in signals sent before issue 15.
   */
  evidenceOfChange?: boolean;
  /** @deprecated The name before evidenceOfChange: 'ipn' = evidence of a change, 'poll' = a routine check; absent = 'ipn'. */
  source?: 'ipn' | 'poll';
}

/** The Charge Permission as the workflow last saw it, by a signal or its own check. */
export interface NotedPermission extends PermissionStatus {
  /** Whether it was evidence of a change (see PermissionStatusSignal); the workflow's own checks are routine. */
  evidenceOfChange: boolean;
}

/** An asynchronous charge outcome (CHARGE IPN or polling). */
export interface ChargeUpdate {
  chargeId: string;
  state: string;
  reasonCode: string | null;
}

/** What the Create Charge activity reports back; transient faults never reach the workflow (retried). */
export type ChargeResult =
  | {
      kind: 'charged';
      chargeId: string;
      state: 'Captured' | 'Authorized' | 'CaptureInitiated';
      requestId: string | null;
      /** True when the activity also wrote the input's `onPaid` status (absent from older results). */
      statusRecorded?: boolean;
    }
  | { kind: 'pending'; chargeId: string; state: 'AuthorizationInitiated'; requestId: string | null }
  | {
      kind: 'soft_decline' | 'hard_decline' | 'refused' | 'permission_state' | 'invalid_request';
      reasonCode: string;
      message: string;
      requestId: string | null;
    }
  /**
   * Nothing was sent: a stop "now" was recorded and no request of this attempt may have been
   * processed (only with `notSentAfterStop`); `reason` and `status` are the recorded stop's
   * (`status` absent from older results: canceled).
   */
  | { kind: 'not_sent'; reason: string; status?: FinalSubscriptionStatus };

export interface ChargeCycleInput {
  subscriptionId: string;
  chargePermissionId: string;
  environment: BillingEnvironment;
  cycle: number;
  attempt: number;
  amountMinor: string;
  currency: string;
  softDescriptor?: string;
  merchantMetadata?: MerchantMetadata;
  canHandlePendingAuthorization: boolean;
  /**
   * The workflow understands a `not_sent` result (patch CHARGE_NOT_SENT_AFTER_STOP): the activity
   * may skip a send when a stop was recorded and nothing with this key may have been processed. Absent from older workflows' inputs.
   */
  notSentAfterStop?: boolean;
  /**
   * The subscription's status after this charge if it is paid at once (next cycle and its due
   * time, or ended): written by the activity right after the ledger row, which saves the
   * workflow a separate status write on every paid cycle.
   */
  onPaid?: StatusChange;
}

export interface StatusChange {
  subscriptionId: string;
  status: SubscriptionStatus;
  reasonCode: string | null;
  cycle: number;
  nextBillingAt: string | null;
  detail?: Record<string, unknown>;
  /** Set when the subscription reached a final state. */
  ended?: boolean;
}

/** An event in a subscription's history (subscription_events), recorded by the workflow. */
export interface SubscriptionEvent {
  subscriptionId: string;
  kind: string;
  cycle: number;
  detail: Record<string, unknown>;
}

/** A plan change from `fromCycle` on, as the workflow asks it written (the row's plan and its event). */
export interface PlanChangeRecord {
  subscriptionId: string;
  fromCycle: number;
  /** New amount in minor units; absent when unchanged. */
  amountMinor?: string | undefined;
  /** New interval; absent when unchanged. */
  interval?: BillingInterval | undefined;
}
