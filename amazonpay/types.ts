// Wire types of Amazon Pay API v2 as this daemon uses them (Amazon Pay API v2 reference).
// These describe JSON at the HTTP edge only: amounts are Amazon's decimal strings here,
// and are converted to integer minor units by billing/money.ts, never with parseFloat.

/** Amazon's `price` type: `{ amount: "14.00", currencyCode: "USD" }`; JPY has no decimals. */
export interface Price {
  amount: string;
  currencyCode: string;
}

/** Compact ISO-8601 timestamp as Amazon sends it, e.g. "20211215T152829Z". */
export type CompactTimestamp = string;

export type ReleaseEnvironment = 'Sandbox' | 'Live';

import type { ChargeState, RefundState } from '../billing/vocabulary.js';

export type { ChargeState, RefundState };

export type ChargeReasonCode =
  // Canceled
  | 'ExpiredUnused'
  | 'AmazonCanceled'
  | 'MerchantCanceled'
  | 'ChargePermissionCanceled'
  | 'BuyerCanceled'
  // Declined
  | 'SoftDeclined'
  | 'HardDeclined'
  | 'AmazonRejected'
  | 'ProcessingFailure'
  | 'TransactionTimedOut';

export type ChargePermissionState = 'Chargeable' | 'NonChargeable' | 'Closed';

export type ChargePermissionReasonCode =
  // NonChargeable
  | 'PaymentMethodInvalid'
  | 'PaymentMethodDeleted'
  | 'BillingAddressDeleted'
  | 'PaymentMethodExpired'
  | 'PaymentMethodNotAllowed'
  | 'PaymentMethodNotSet'
  | 'MFAFailed'
  | 'ChargeInProgress'
  // Closed
  | 'MerchantClosed'
  | 'BuyerCanceled'
  | 'BuyerClosed'
  | 'AmazonCanceled'
  | 'AmazonClosed'
  | 'Expired';

export type ChargePermissionType = 'OneTime' | 'Recurring' | 'PaymentMethodOnFile';

export type ChargeInitiator = 'CITU' | 'MITU' | 'CITR' | 'MITR';

export type Channel = 'Web' | 'Phone' | 'App' | 'Alexa' | 'PointOfSale' | 'FireTv' | 'Offline' | 'Amazon';

export type FrequencyUnit = 'Year' | 'Month' | 'Week' | 'Day' | 'Variable';

// `(string & {})` keeps autocompletion for the known codes while still admitting codes
// Amazon adds later: the daemon must not fail to parse a response because of a new code.
type Open<T extends string> = T | (string & {});

export interface MerchantMetadata {
  merchantReferenceId?: string | null;
  merchantStoreName?: string | null;
  noteToBuyer?: string | null;
  customInformation?: string | null;
}

/** Charge `statusDetails`: a single reasonCode (contrast ChargePermissionStatusDetails). */
export interface ChargeStatusDetails {
  state: Open<ChargeState>;
  reasonCode: Open<ChargeReasonCode> | null;
  reasonDescription: string | null;
  lastUpdatedTimestamp: CompactTimestamp;
}

export interface Charge {
  chargeId: string;
  chargePermissionId: string;
  chargeAmount: Price;
  captureAmount: Price | null;
  refundedAmount: Price | null;
  softDescriptor: string | null;
  providerMetadata?: { providerReferenceId: string | null } | null;
  convertedAmount?: Price | null;
  conversionRate?: string | null;
  channel?: Open<Channel> | null;
  chargeInitiator?: Open<ChargeInitiator> | null;
  statusDetails: ChargeStatusDetails;
  creationTimestamp: CompactTimestamp;
  expirationTimestamp: CompactTimestamp | null;
  releaseEnvironment: Open<ReleaseEnvironment>;
  merchantMetadata?: MerchantMetadata | null;
  platformId?: string | null;
  webCheckoutDetails?: { checkoutResultReturnUrl?: string | null } | null;
}

export interface ChargePermissionReason {
  reasonCode: Open<ChargePermissionReasonCode>;
  reasonDescription: string | null;
}

/** Charge Permission `statusDetails`: an array `reasons`, null when Chargeable. */
export interface ChargePermissionStatusDetails {
  state: Open<ChargePermissionState>;
  reasons: ChargePermissionReason[] | null;
  lastUpdatedTimestamp: CompactTimestamp;
}

export interface RecurringMetadata {
  frequency: { unit: Open<FrequencyUnit>; value: string } | null;
  amount: Price | null;
}

export interface ChargePermission {
  chargePermissionId: string;
  chargePermissionReferenceId?: string | null;
  platformId?: string | null;
  buyer?: Record<string, unknown> | null;
  shippingAddress?: Record<string, unknown> | null;
  billingAddress?: Record<string, unknown> | null;
  paymentPreferences?: unknown[] | null;
  statusDetails: ChargePermissionStatusDetails;
  creationTimestamp: CompactTimestamp;
  expirationTimestamp: CompactTimestamp | null;
  merchantMetadata?: MerchantMetadata | null;
  releaseEnvironment: Open<ReleaseEnvironment>;
  limits?: { amountLimit: Price | null; amountBalance: Price | null } | null;
  chargePermissionType: Open<ChargePermissionType>;
  recurringMetadata?: RecurringMetadata | null;
  presentmentCurrency: string;
  paymentMethodOnFileMetadata?: { setupOnly: boolean } | null;
}

export interface RefundStatusDetails {
  state: Open<RefundState>;
  reasonCode: string | null;
  reasonDescription: string | null;
  lastUpdatedTimestamp: CompactTimestamp;
}

export interface Refund {
  refundId: string;
  chargeId: string;
  refundAmount: Price;
  softDescriptor: string | null;
  creationTimestamp: CompactTimestamp;
  statusDetails: RefundStatusDetails;
  releaseEnvironment: Open<ReleaseEnvironment>;
}

/** Body of Create Charge (`POST /charges`); it has no captureAmount (Amazon Pay API v2: Create Charge). */
export interface CreateChargeRequest {
  chargePermissionId: string;
  chargeAmount: Price;
  captureNow?: boolean;
  /** Only with captureNow: true; at most 16 characters. */
  softDescriptor?: string;
  canHandlePendingAuthorization?: boolean;
  merchantMetadata?: MerchantMetadata;
  providerMetadata?: { providerReferenceId?: string };
  platformId?: string;
  chargeInitiator?: ChargeInitiator;
  channel?: Channel;
}

export interface CaptureChargeRequest {
  captureAmount: Price;
  softDescriptor?: string;
}

export interface CancelChargeRequest {
  cancellationReason: string;
}

export interface UpdateChargePermissionRequest {
  merchantMetadata?: MerchantMetadata;
  recurringMetadata?: {
    frequency?: { unit: FrequencyUnit; value: string };
    amount?: Price | null;
  };
}

export interface CloseChargePermissionRequest {
  closureReason: string;
  cancelPendingCharges?: boolean;
}

export interface CreateRefundRequest {
  chargeId: string;
  refundAmount: Price;
  softDescriptor?: string;
}

export type PaymentIntent = 'Confirm' | 'Authorize' | 'AuthorizeWithCapture';

export type CheckoutSessionState = 'Open' | 'Completed' | 'Canceled';

/** Checkout Session `statusDetails`: one reasonCode (BuyerCanceled, Declined, AmazonCanceled, Expired when Canceled). */
export interface CheckoutSessionStatusDetails {
  state: Open<CheckoutSessionState>;
  reasonCode: string | null;
  reasonDescription: string | null;
  lastUpdatedTimestamp: CompactTimestamp;
}

/**
 * The Checkout Session object as Get / Complete Checkout Session answer it (amazon-pay-checkout
 * reference §2.1): only the fields this daemon reads are typed; Amazon sends 28 keys.
 */
export interface CheckoutSession {
  checkoutSessionId: string;
  webCheckoutDetails?: {
    checkoutReviewReturnUrl?: string | null;
    checkoutResultReturnUrl?: string | null;
    checkoutCancelUrl?: string | null;
    amazonPayRedirectUrl?: string | null;
    checkoutMode?: string | null;
  } | null;
  paymentDetails?: {
    paymentIntent?: Open<PaymentIntent> | null;
    canHandlePendingAuthorization?: boolean | null;
    chargeAmount?: Price | null;
    totalOrderAmount?: Price | null;
    softDescriptor?: string | null;
    presentmentCurrency?: string | null;
  } | null;
  /** On a Completed session Amazon may answer null here: Get Charge Permission is authoritative (§5.4). */
  chargePermissionType?: Open<ChargePermissionType> | null;
  recurringMetadata?: RecurringMetadata | null;
  merchantMetadata?: MerchantMetadata | null;
  statusDetails: CheckoutSessionStatusDetails;
  chargePermissionId?: string | null;
  chargeId?: string | null;
  constraints?: { constraintId: string; description: string | null }[] | null;
  creationTimestamp?: CompactTimestamp | null;
  expirationTimestamp?: CompactTimestamp | null;
  storeId?: string | null;
  releaseEnvironment?: Open<ReleaseEnvironment> | null;
}

/**
 * The Create Checkout Session body as the Amazon Pay button's signed payloadJSON carries it
 * (amazon-pay-checkout reference §3, §7.1): a ProcessOrder checkout (the buyer pays on Amazon's
 * page and returns to checkoutResultReturnUrl) with the recurring terms.
 */
export interface CheckoutSessionPayload {
  storeId: string;
  webCheckoutDetails: { checkoutMode: 'ProcessOrder'; checkoutResultReturnUrl: string; checkoutCancelUrl?: string };
  chargePermissionType: 'Recurring';
  recurringMetadata: { frequency: { unit: FrequencyUnit; value: string }; amount: Price };
  paymentDetails: {
    paymentIntent: PaymentIntent;
    chargeAmount?: Price;
    presentmentCurrency: string;
    canHandlePendingAuthorization?: boolean;
    softDescriptor?: string;
  };
  merchantMetadata: MerchantMetadata;
}

/** Body of Complete Checkout Session: exactly the session's amounts (§5.1); empty for a Confirm session without chargeAmount (§5.2). */
export interface CompleteCheckoutSessionRequest {
  chargeAmount?: Price;
  totalOrderAmount?: Price;
}

/** Error body shape (Amazon Pay API v2 error codes). */
export interface AmazonPayErrorBody {
  reasonCode: string;
  message: string;
}
