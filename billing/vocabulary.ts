// The words modules share, in one dependency-free place that workflow code may import too
// (eslint.config.js allows it): Temporal failure types with their retry stance, Amazon Pay
// charge and refund states grouped by what each group means here, IPN object types, and the
// subscription statuses that end a subscription. Activities, workflows, ipn/ and db/ import
// these names instead of retyping the strings, so a new state or type is added in one place
// and a misspelt one fails `npm run typecheck`.

// ---- Failure types (ApplicationFailure.type) raised by activities, read by workflows ----

/**
 * Every failure type an activity raises, with whether Temporal retries it. The types are explicit
 * strings, never class names (which bundlers rename); they are stored in workflow histories, so
 * an existing value never changes.
 */
export const FAILURE_TYPES = {
  /** 429 from Amazon Pay: retried with jittered backoff under the same idempotency key. */
  AmazonPayThrottled: { retryable: true },
  /** 5xx, timeouts, resets: retried with the same idempotency key (Amazon replays what it processed). */
  AmazonPayTransient: { retryable: true },
  /** A validation, authentication or configuration refusal that no retry fixes. */
  AmazonPayInvalidRequest: { retryable: false },
  /** A second successful charge for one cycle reached the ledger's unique constraint. */
  DuplicateChargeRecorded: { retryable: false },
  /** The charge activity's input fails its own checks (a bug in the caller). */
  InvalidChargeInput: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type FailureType = keyof typeof FAILURE_TYPES;
export type RetryableFailureType = { [T in FailureType]: (typeof FAILURE_TYPES)[T]['retryable'] extends true ? T : never }[FailureType];
export type NonRetryableFailureType = Exclude<FailureType, RetryableFailureType>;

const failureTypesWhere = <R extends boolean>(retryable: R) =>
  (Object.keys(FAILURE_TYPES) as FailureType[]).filter((t) => FAILURE_TYPES[t].retryable === retryable);

/** For an activity's retry policy (`nonRetryableErrorTypes`): the types no retry can fix. */
export const NON_RETRYABLE_FAILURE_TYPES: readonly NonRetryableFailureType[] = failureTypesWhere(false) as NonRetryableFailureType[];
/** Types retried until the activity's window closes; a failure of one of these is "ran out of retries". */
export const RETRYABLE_FAILURE_TYPES: readonly RetryableFailureType[] = failureTypesWhere(true) as RetryableFailureType[];

/** Whether `type` (from a caught ApplicationFailure, possibly undefined) is one of `types`. */
export function isFailureType<T extends FailureType>(type: string | null | undefined, types: readonly T[]): type is T {
  return type != null && (types as readonly string[]).includes(type);
}

// ---- Amazon Pay charge states (Amazon Pay API v2: Charge object, statusDetails.state) ----

export const CHARGE_STATES = ['AuthorizationInitiated', 'Authorized', 'CaptureInitiated', 'Captured', 'Canceled', 'Declined'] as const;
export type ChargeState = (typeof CHARGE_STATES)[number];

/** The buyer has paid for the cycle: funds authorized or captured (capture may still be under way). */
export const PAID_CHARGE_STATES: readonly ChargeState[] = ['Authorized', 'Captured', 'CaptureInitiated'];
/** Amazon has not decided yet: a pending authorization (Amazon Pay's asynchronous processing). */
export const PENDING_CHARGE_STATES: readonly ChargeState[] = ['AuthorizationInitiated'];
/** The cycle's outcome is known: paid, or refused for good (what a pending charge is waited for). */
export const DECIDED_CHARGE_STATES: readonly ChargeState[] = ['Authorized', 'Captured', 'Declined', 'Canceled'];
/** States Amazon Pay never leaves (Authorized can still become Captured or Canceled). */
export const TERMINAL_CHARGE_STATES: readonly ChargeState[] = ['Captured', 'Declined', 'Canceled'];

/** Declines a later attempt may turn into a charge (Amazon Pay API v2: Charge reason codes); the rest are hard. */
export const SOFT_DECLINE_REASONS: readonly string[] = ['SoftDeclined', 'ProcessingFailure', 'TransactionTimedOut', 'AmazonRejected'];

/** Whether `state` (any string Amazon or the ledger holds) is in `states`. */
export function isChargeStateIn(state: string | null | undefined, states: readonly ChargeState[]): state is ChargeState {
  return state != null && (states as readonly string[]).includes(state);
}

// ---- Charge ledger states: Amazon Pay's charge states plus the ledger's own ----

/**
 * States the charge ledger writes itself, for attempts with no Amazon Pay Charge (charge_id null):
 * - `pending`: written before Create Charge is sent, kept while a 429/5xx is retried with the same
 *   idempotency key (or when the outcome was never learned): the attempt may still become a Charge.
 * - `Refused`: Create Charge answered with a business error: a decline (422 SoftDeclined,
 *   HardDeclined, …), a permission state (InvalidChargePermissionStatus, …) or a limit
 *   (PeriodicAmountExceeded, TransactionAmountExceeded, …). Amazon Pay created no Charge. Not Amazon's `Declined`, which is a
 *   Charge's state reached only later, by a pending authorization or a late capture, with a ChargeId
 *   (Amazon Pay "Asynchronous processing": a synchronous decline is a non-2xx answer).
 * - `failed`: Create Charge answered `invalid_request` (validation, authentication, configuration,
 *   a reused idempotency key, or the client refused to send it): a fault on the merchant's side
 *   that needs an operator, not the buyer; no Charge exists either.
 * Every other ledger state is the Charge's own (CHARGE_STATES, or a state Amazon adds later).
 */
export const LEDGER_ONLY_STATES = ['pending', 'Refused', 'failed'] as const;
export type LedgerOnlyState = (typeof LEDGER_ONLY_STATES)[number];
/** A charge ledger row's state: a ledger-only state, or the state of the Charge Amazon Pay created. */
export type LedgerState = LedgerOnlyState | ChargeState;

/**
 * Attempts Amazon answered with no payment, followed by a new attempt with a new key: refused at
 * once (no Charge) or a Charge declined later. Dunning counts the ones with a soft decline reason
 * (SOFT_DECLINE_REASONS); the rest (a hard decline, an unusable permission) start the
 * payment-method grace period.
 */
export const REFUSED_OR_DECLINED_STATES: readonly LedgerState[] = ['Refused', 'Declined'];

/** Whether `state` (any string the ledger holds) is in `states`. */
export function isLedgerStateIn<S extends LedgerState>(state: string | null | undefined, states: readonly S[]): state is S {
  return state != null && (states as readonly string[]).includes(state);
}

// ---- Refund states (Amazon Pay API v2: Refund object) ----

export const REFUND_STATES = ['RefundInitiated', 'Refunded', 'Declined'] as const;
export type RefundState = (typeof REFUND_STATES)[number];
/** States a refund never leaves. */
export const FINAL_REFUND_STATES: readonly RefundState[] = ['Refunded', 'Declined'];

// ---- IPN object types (Amazon Pay IPN v2: ObjectType) ----

export const IPN_OBJECT_TYPES = ['CHARGE_PERMISSION', 'CHARGE', 'REFUND'] as const;
export type IpnObjectType = (typeof IPN_OBJECT_TYPES)[number];

export function isIpnObjectType(value: unknown): value is IpnObjectType {
  return typeof value === 'string' && (IPN_OBJECT_TYPES as readonly string[]).includes(value);
}

/** For the end of an exhaustive switch: a new member of the union makes the call a type error. */
export function unreachable(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${String(value)}`);
}

// ---- Subscription statuses that end a subscription ----

/** A subscription in one of these is over: nothing bills it, nothing reopens it. */
export const FINAL_SUBSCRIPTION_STATUSES = ['canceled', 'ended'] as const;

/**
 * The start of the stop reason of a subscription replaced by a checkout (client/checkout/replace.ts):
 * `ReplacedBy:<id of the new subscription>`, its status reason once canceled; subscription.canceled
 * carries the id as `replaced_by` (docs/events.md). Operators' reasons may not start with it.
 */
export const REPLACED_BY_PREFIX = 'ReplacedBy:';
export type FinalSubscriptionStatus = (typeof FINAL_SUBSCRIPTION_STATUSES)[number];

/** Whether a subscription in `status` has ended for good (canceled, ended). */
export function isFinalSubscriptionStatus(status: string): status is FinalSubscriptionStatus {
  return (FINAL_SUBSCRIPTION_STATUSES as readonly string[]).includes(status);
}
