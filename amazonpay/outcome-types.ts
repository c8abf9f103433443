// Outcome types of amazonpay/outcomes.ts: what a call to Amazon Pay can come back as.
// Kept apart from the classifier so activities and the ledger can import the shapes alone.

export type AmazonPayOperation =
  | 'createCharge'
  | 'getCharge'
  | 'captureCharge'
  | 'cancelCharge'
  | 'getChargePermission'
  | 'updateChargePermission'
  | 'closeChargePermission'
  | 'createRefund'
  | 'getRefund'
  | 'getCheckoutSession'
  | 'completeCheckoutSession';

export type SoftDeclineCode = 'SoftDeclined' | 'ProcessingFailure';
export type HardDeclineCode = 'HardDeclined' | 'PaymentMethodNotAllowed' | 'MFANotCompleted';
export type RefusedCode =
  | 'PeriodicAmountExceeded'
  | 'TransactionAmountExceeded'
  | 'CurrencyMismatch'
  | 'AmazonRejected'
  | 'TransactionTimedOut'
  | 'TransactionCountExceeded'
  | 'AmountMismatch'
  | 'CheckoutSessionCanceled';
export type PermissionStateCode =
  'InvalidChargePermissionStatus' | 'ResourceNotFound' | 'InvalidChargeStatus' | 'ChargePermissionNotModifiable' | 'InvalidCheckoutSessionStatus';

interface Common {
  status: number;
  reasonCode: string;
  message: string;
  requestId: string | undefined;
}

export interface OkOutcome<T> {
  kind: 'ok';
  status: number;
  body: T;
  requestId: string | undefined;
}
export interface ThrottledOutcome extends Common {
  kind: 'throttled';
  status: 429;
}
/** Retry with the same idempotency key. */
export interface TransientOutcome {
  kind: 'transient';
  status: number | undefined;
  reasonCode: string | undefined;
  message: string;
  requestId: string | undefined;
  /** False only when the request provably never reached Amazon (refused connection, DNS failure, never connected). */
  mayHaveBeenProcessed: boolean;
}
export interface SoftDeclineOutcome extends Common {
  kind: 'soft_decline';
  reasonCode: SoftDeclineCode;
}
export interface HardDeclineOutcome extends Common {
  kind: 'hard_decline';
  reasonCode: HardDeclineCode;
}
/** A business refusal no immediate retry fixes. reasonCode may be an unknown 422 code, kept raw. */
export interface RefusedOutcome extends Omit<Common, 'reasonCode'> {
  kind: 'refused';
  reasonCode: RefusedCode | (string & {});
}
export interface PermissionStateOutcome extends Common {
  kind: 'permission_state';
  reasonCode: PermissionStateCode;
}
/**
 * Validation, auth or configuration problem: a bug or a misconfiguration, never retried.
 * `status` is undefined when the client refused to send the request (e.g. a malformed idempotency key).
 * `DuplicateIdempotencyKey` lands here with its reasonCode kept: it means we reused a key with a different body.
 */
export interface InvalidRequestOutcome extends Omit<Common, 'status'> {
  kind: 'invalid_request';
  status: number | undefined;
}

export type FailureOutcome =
  ThrottledOutcome | TransientOutcome | SoftDeclineOutcome | HardDeclineOutcome | RefusedOutcome | PermissionStateOutcome | InvalidRequestOutcome;

export type AmazonPayOutcome<T> = OkOutcome<T> | FailureOutcome;
export type OutcomeKind = AmazonPayOutcome<unknown>['kind'];
