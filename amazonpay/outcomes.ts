// The one place that turns an Amazon Pay HTTP response or network failure into a decision.
// Pure: (operation, status, body, requestId) → outcome. Activities map outcomes to Temporal
// failures; nothing else inspects status codes or reason codes.
//
// Sources: Amazon Pay "Asynchronous processing" and "Manage recurring payments" (declines are non-2xx),
// Amazon Pay API v2 error codes (status per reasonCode), the official Amazon Pay SDKs' retry lists
// (retryable statuses: 408, 425, 429, 500, 502, 503, 504, network errors). The kinds are our own.

import type {
  AmazonPayOperation,
  AmazonPayOutcome,
  FailureOutcome,
  HardDeclineCode,
  PermissionStateCode,
  SoftDeclineCode,
  TransientOutcome,
} from './outcome-types.js';

export type * from './outcome-types.js';

/** The id field a successful response body must carry, per operation. */
const SUCCESS_ID_FIELD: Readonly<Record<AmazonPayOperation, string>> = {
  createCharge: 'chargeId',
  getCharge: 'chargeId',
  captureCharge: 'chargeId',
  cancelCharge: 'chargeId',
  getChargePermission: 'chargePermissionId',
  updateChargePermission: 'chargePermissionId',
  closeChargePermission: 'chargePermissionId',
  createRefund: 'refundId',
  getRefund: 'refundId',
  getCheckoutSession: 'checkoutSessionId',
  completeCheckoutSession: 'checkoutSessionId',
};

type KnownKind = 'soft_decline' | 'hard_decline' | 'refused' | 'permission_state' | 'invalid_request' | 'transient' | 'throttled';

// Every reasonCode of the Amazon Pay API v2 error codes, by the kind it means when it arrives with
// its documented status.
const KIND_BY_REASON_CODE: Readonly<Record<string, KnownKind>> = {
  // 400, validation
  InvalidHeaderValue: 'invalid_request',
  InvalidRequest: 'invalid_request',
  InvalidParameterValue: 'invalid_request',
  InvalidRequestFormat: 'invalid_request',
  MissingHeader: 'invalid_request',
  MissingHeaderValue: 'invalid_request',
  MissingParameterValue: 'invalid_request',
  UnrecognizedField: 'invalid_request',
  InvalidSandboxSimulationSpecified: 'invalid_request',
  DuplicateIdempotencyKey: 'invalid_request',
  InvalidParameterCombination: 'invalid_request',
  InvalidAPIVersion: 'invalid_request',
  // 400/409/422, business refusals
  CurrencyMismatch: 'refused',
  TransactionAmountExceeded: 'refused',
  PeriodicAmountExceeded: 'refused',
  CheckoutSessionCanceled: 'refused',
  AmountMismatch: 'refused',
  AmazonRejected: 'refused',
  TransactionCountExceeded: 'refused',
  TransactionTimedOut: 'refused',
  // 401/403/405/426, auth and configuration
  UnauthorizedAccess: 'invalid_request',
  InvalidAuthentication: 'invalid_request',
  InvalidAccountStatus: 'invalid_request',
  InvalidRequestSignature: 'invalid_request',
  InvalidAuthorizationToken: 'invalid_request',
  UnsupportedOperation: 'invalid_request',
  RequestNotSupported: 'invalid_request',
  TLSVersionNotSupported: 'invalid_request',
  // 404/422, object state
  ResourceNotFound: 'permission_state',
  InvalidChargePermissionStatus: 'permission_state',
  InvalidChargeStatus: 'permission_state',
  ChargePermissionNotModifiable: 'permission_state',
  InvalidCheckoutSessionStatus: 'permission_state',
  // 422 declines
  SoftDeclined: 'soft_decline',
  HardDeclined: 'hard_decline',
  PaymentMethodNotAllowed: 'hard_decline',
  MFANotCompleted: 'hard_decline',
  // 408/429/5xx: the status decides first; these entries cover the code arriving with an odd status.
  RequestTimeout: 'transient',
  TooManyRequests: 'transient',
  InternalServerError: 'transient',
  ServiceUnavailable: 'transient',
  ProcessingFailure: 'transient',
};

/** Statuses that mean "try the same request again later" (the official Amazon Pay SDKs retry them). */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 425]);

const MAX_SNIPPET = 200;

/** Error bodies are `{reasonCode, message}`; anything else (HTML from a proxy, empty) yields undefined fields. */
function readErrorBody(body: unknown): { reasonCode: string | undefined; message: string | undefined } {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { reasonCode: undefined, message: undefined };
    }
  }
  if (value === null || typeof value !== 'object') return { reasonCode: undefined, message: undefined };
  const record = value as Record<string, unknown>;
  return {
    reasonCode: typeof record.reasonCode === 'string' && record.reasonCode !== '' ? record.reasonCode : undefined,
    message: typeof record.message === 'string' ? record.message : undefined,
  };
}

function snippet(body: unknown): string {
  const text = typeof body === 'string' ? body : body === undefined ? '' : (JSON.stringify(body) ?? '');
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return 'an empty body';
  return `body "${flat.length > MAX_SNIPPET ? `${flat.slice(0, MAX_SNIPPET)}…` : flat}"`;
}

function parsedObject(body: unknown): Record<string, unknown> | undefined {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Classifies one HTTP response. `body` is the parsed JSON or the raw text; never throws.
 * Unknown reason codes are classified by status and kept verbatim.
 */
export function classifyResponse(operation: AmazonPayOperation, status: number, body: unknown, requestId: string | undefined): AmazonPayOutcome<unknown> {
  if (status >= 200 && status < 300) {
    const object = parsedObject(body);
    const idField = SUCCESS_ID_FIELD[operation];
    if (object !== undefined && typeof object[idField] === 'string') {
      return { kind: 'ok', status, body: object, requestId };
    }
    // Amazon accepted the call but we cannot read the result. For a POST the charge or refund may
    // exist: retrying with the same idempotency key replays the stored response.
    return {
      kind: 'transient',
      status,
      reasonCode: 'UnreadableSuccessResponse',
      message: `${operation}: HTTP ${status} without a readable ${idField}: ${snippet(body)}`,
      requestId,
      mayHaveBeenProcessed: true,
    };
  }

  const { reasonCode, message: amazonMessage } = readErrorBody(body);
  const message = amazonMessage ?? `HTTP ${status} with ${reasonCode === undefined ? snippet(body) : `reasonCode ${reasonCode}`}`;
  const common = { status, message, requestId };

  if (status === 429) return { kind: 'throttled', ...common, status: 429, reasonCode: reasonCode ?? 'TooManyRequests' };

  // A 500 ProcessingFailure on Create Charge is a decline Amazon asks us to retry later with a new
  // key after checking the Charge Permission (Amazon Pay "Manage recurring payments"); on other
  // operations it is a server fault.
  if (reasonCode === 'ProcessingFailure' && operation === 'createCharge') {
    return { kind: 'soft_decline', ...common, reasonCode: 'ProcessingFailure' };
  }
  if (status >= 500 || TRANSIENT_STATUSES.has(status)) {
    return { kind: 'transient', ...common, reasonCode, mayHaveBeenProcessed: true };
  }

  // Amazon refuses a request whose x-amz-pay-date is ahead of its clock (or too far behind it)
  // before it reads the request; signed again with the clock corrected from the response's Date
  // header (amazonpay/pay-clock.ts), the same request succeeds. So this one InvalidHeaderValue is
  // transient, and provably not processed: a retry with the same idempotency key is safe.
  if (isClockSkewRefusal(status, reasonCode, amazonMessage)) {
    return { kind: 'transient', ...common, reasonCode, mayHaveBeenProcessed: false };
  }

  const known = reasonCode === undefined ? undefined : KIND_BY_REASON_CODE[reasonCode];
  if (known !== undefined && reasonCode !== undefined) return outcomeOfKind(known, reasonCode, common);

  // Unknown or missing code: decide by status. A 404 without ResourceNotFound is most likely a wrong
  // endpoint or proxy, so it is a configuration problem, never "the Charge Permission is gone"
  // (that would end a subscription on a misconfiguration).
  if (status === 422 && reasonCode !== undefined) return { kind: 'refused', ...common, reasonCode };
  return { kind: 'invalid_request', ...common, reasonCode: reasonCode ?? `HTTP${status}` };
}

/**
 * True for Amazon's refusal of the request's date: 400 InvalidHeaderValue whose message names
 * x-amz-pay-date and says it is in the future ("x-amz-pay-date should not be in future", issue 13;
 * reported against several Amazon Pay SDKs) or too far in the past / away from the server time
 * (an assumption: Amazon documents no skew limit; the simulator's wording). A malformed date is not one.
 */
export function isClockSkewRefusal(status: number, reasonCode: string | undefined, message: string | undefined): boolean {
  if (status !== 400 || reasonCode !== 'InvalidHeaderValue' || message === undefined) return false;
  return /x-amz-pay-date/i.test(message) && /\b(future|past|server time)\b/i.test(message);
}

/** The outcome classifyResponse gives a clock-skew refusal (transient, 400 InvalidHeaderValue). */
export function isClockSkewOutcome(outcome: AmazonPayOutcome<unknown>): boolean {
  return outcome.kind === 'transient' && outcome.status === 400 && isClockSkewRefusal(outcome.status, outcome.reasonCode, outcome.message);
}

function outcomeOfKind(kind: KnownKind, reasonCode: string, common: { status: number; message: string; requestId: string | undefined }): FailureOutcome {
  switch (kind) {
    case 'soft_decline':
      return { kind, ...common, reasonCode: reasonCode as SoftDeclineCode };
    case 'hard_decline':
      return { kind, ...common, reasonCode: reasonCode as HardDeclineCode };
    case 'refused':
      return { kind, ...common, reasonCode };
    case 'permission_state':
      return { kind, ...common, reasonCode: reasonCode as PermissionStateCode };
    case 'invalid_request':
      return { kind, ...common, reasonCode };
    case 'transient':
    case 'throttled':
      // A retryable code with a non-retryable status (e.g. TooManyRequests on a 400): trust the code.
      return { kind: 'transient', ...common, reasonCode, mayHaveBeenProcessed: true };
  }
}

// Codes after which the request cannot have reached the server: nothing was connected.
const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
]);

/**
 * Classifies a failure without an HTTP response. `sent` says whether a connection to the server
 * existed when it failed (the client sets it on socket connect): from then on the server may have
 * read and processed the request, so only a failure before that is provably harmless.
 */
export function classifyNetworkError(err: unknown, context: { sent: boolean }): TransientOutcome {
  const code = errorCode(err);
  const text = err instanceof Error ? err.message : String(err);
  const provablyUnsent = !context.sent || (code !== undefined && NEVER_SENT_CODES.has(code));
  return {
    kind: 'transient',
    status: undefined,
    reasonCode: code ?? 'NetworkError',
    message: text === '' ? (code ?? 'network error') : text,
    requestId: undefined,
    mayHaveBeenProcessed: !provablyUnsent,
  };
}

function errorCode(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object' && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return undefined;
}

/** One line for logs and error messages: kind, status, reasonCode, message, request id. Holds no secrets. */
export function describeOutcome(outcome: AmazonPayOutcome<unknown>): string {
  const request = outcome.requestId === undefined ? '' : ` (request id ${outcome.requestId})`;
  if (outcome.kind === 'ok') return `ok: HTTP ${outcome.status}${request}`;
  const status = outcome.status === undefined ? 'no HTTP response' : `HTTP ${outcome.status}`;
  const code = outcome.reasonCode === undefined ? '' : ` ${outcome.reasonCode}`;
  const processed = outcome.kind === 'transient' ? (outcome.mayHaveBeenProcessed ? '; may have been processed' : '; not processed') : '';
  return `${outcome.kind}: ${status}${code}: ${outcome.message}${processed}${request}`;
}

/**
 * Whether Amazon Pay may have acted on the request that got this answer: false only for a 429
 * (throttled: refused before processing, Amazon Pay "Throttling") and a transient fault known to
 * have happened before the request was processed (`mayHaveBeenProcessed: false`); true for a
 * Charge, a decline, a refusal, an invalid request and any other transient fault. A resend with
 * the same idempotency key may then only replay what Amazon did, never start a new charge.
 */
export function mayHaveBeenProcessed(outcome: AmazonPayOutcome<unknown>): boolean {
  if (outcome.kind === 'throttled') return false;
  if (outcome.kind === 'transient') return outcome.mayHaveBeenProcessed;
  return true;
}
