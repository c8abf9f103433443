// Amazon Pay error responses are { reasonCode, message } with a status fixed per reasonCode (Amazon Pay
// API v2 error codes; for codes Amazon lists without a status, the status is an assumption).

const STATUS_BY_REASON: Readonly<Record<string, number>> = {
  InvalidHeaderValue: 400,
  InvalidRequest: 400,
  InvalidParameterValue: 400,
  InvalidRequestFormat: 400,
  MissingHeader: 400,
  MissingHeaderValue: 400,
  MissingParameterValue: 400,
  UnrecognizedField: 400,
  InvalidSandboxSimulationSpecified: 400,
  DuplicateIdempotencyKey: 400,
  InvalidParameterCombination: 400,
  InvalidAPIVersion: 400,
  CurrencyMismatch: 400,
  // amazon-pay-checkout reference §5.3: JTL says 400, the Ruby table 422; the simulator follows JTL.
  CheckoutSessionCanceled: 400,
  TransactionAmountExceeded: 400,
  PeriodicAmountExceeded: 400,
  UnauthorizedAccess: 401,
  InvalidAuthentication: 403,
  InvalidAccountStatus: 403,
  InvalidRequestSignature: 403,
  InvalidAuthorizationToken: 403,
  ResourceNotFound: 404,
  AmountMismatch: 409,
  UnsupportedOperation: 405,
  RequestNotSupported: 405,
  RequestTimeout: 408,
  // Simulator extension: the body-size limit has no documented reasonCode.
  RequestEntityTooLarge: 413,
  InvalidChargePermissionStatus: 422,
  InvalidChargeStatus: 422,
  InvalidCheckoutSessionStatus: 422,
  ChargePermissionNotModifiable: 422,
  SoftDeclined: 422,
  HardDeclined: 422,
  MFANotCompleted: 422,
  PaymentMethodNotAllowed: 422,
  TransactionTimedOut: 422,
  AmazonRejected: 422,
  TransactionCountExceeded: 422,
  TooManyRequests: 429,
  InternalServerError: 500,
  ProcessingFailure: 500,
  ServiceUnavailable: 503,
};

const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  SoftDeclined: 'Charge was soft declined. Retry attempts may or may not be successful.',
  HardDeclined: 'Charge was hard declined. Retry attempts will not succeed.',
  AmazonRejected: 'Amazon has rejected the authorization.',
  TransactionTimedOut: 'The authorization was not processed in time.',
  ProcessingFailure: 'Amazon could not process the transaction because of an internal processing error.',
  TooManyRequests: 'The request is throttled, due to too many requests in a given amount of time.',
  InvalidRequestSignature: 'The signature in the Authorization header of your API call is invalid.',
  PeriodicAmountExceeded: "You've exceeded the monthly limit for the Charge Permission and must wait until the next month to charge this buyer.",
  InternalServerError: 'An internal server error occurred.',
  AmountMismatch: 'The chargeAmount does not match the Checkout Session amount.',
  InvalidCheckoutSessionStatus: 'The Checkout Session is not in a state that allows this operation.',
  CheckoutSessionCanceled: 'The Checkout Session was canceled.',
  ServiceUnavailable: 'The service is temporarily unavailable.',
};

export function statusForReason(reasonCode: string): number {
  return STATUS_BY_REASON[reasonCode] ?? 400;
}

export function defaultMessage(reasonCode: string): string {
  return DEFAULT_MESSAGES[reasonCode] ?? reasonCode;
}

/** Thrown by operations; the server turns it into the documented status and body. */
export class AmazonPayError extends Error {
  readonly reasonCode: string;
  readonly status: number;
  constructor(reasonCode: string, message?: string) {
    super(message ?? defaultMessage(reasonCode));
    this.reasonCode = reasonCode;
    this.status = statusForReason(reasonCode);
  }
}

export function errorBody(reasonCode: string, message?: string): { reasonCode: string; message: string } {
  return { reasonCode, message: message ?? defaultMessage(reasonCode) };
}
