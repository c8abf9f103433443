// The simulator's whole mutable state, JSON-safe (amounts are minor-unit digit strings, times
// are epoch milliseconds) so it can be persisted to the data file as is.

export type Environment = 'Sandbox' | 'Live';
export type ChargePermissionType = 'OneTime' | 'Recurring' | 'PaymentMethodOnFile';
export type ChargePermissionState = 'Chargeable' | 'NonChargeable' | 'Closed';
export type ChargeState = 'AuthorizationInitiated' | 'Authorized' | 'CaptureInitiated' | 'Captured' | 'Canceled' | 'Declined';
export type RefundState = 'RefundInitiated' | 'Refunded' | 'Declined';

export interface MerchantMetadata {
  merchantReferenceId: string | null;
  merchantStoreName: string | null;
  noteToBuyer: string | null;
  customInformation: string | null;
}

/** A scripted Create Charge outcome, e.g. 'SoftDeclined' or 'AuthorizationInitiated:HardDeclined'. */
export type ScriptEntry = string;

export interface DeclineScript {
  /** Consumed one per Create Charge attempt that reaches the outcome step. */
  next: ScriptEntry[];
  /** Applies to every attempt (after `next` is exhausted) until cleared. */
  mode: ScriptEntry | null;
}

export interface ChargePermissionRecord {
  chargePermissionId: string;
  environment: Environment;
  type: ChargePermissionType;
  currency: string;
  state: ChargePermissionState;
  reasons: string[];
  amountLimitMinor: string | null;
  frequency: { unit: string; value: string } | null;
  recurringAmountMinor: string | null;
  merchantMetadata: MerchantMetadata;
  /** Simulated card suffix (…0701, …4354 give delayed outcomes, as in Amazon Pay sandbox simulations). */
  cardSuffix: string;
  createdAt: number;
  updatedAt: number;
  script: DeclineScript;
  /**
   * Epoch ms of the expirationTimestamp set by POST /__sim/charge-permissions/:id/expiration (Recurring
   * expiry is not confirmed, amazon-pay-api reference §5.4): shown, and Create Charge refused from then on.
   */
  expiresAt?: number;
  /** Each Update Charge Permission that changed recurringMetadata (absent in state saved before it was kept). */
  recurringUpdates?: RecurringUpdateRecord[];
}

/**
 * One recurringMetadata change through Update Charge Permission. Under PSD2 (region eu: EU and
 * UK) a higher amount or another frequency needs the buyer's consent again through a new checkout;
 * Amazon documents no API error for such an update (the rule binds the merchant, amazon-pay-checkout
 * reference §8), so the simulator applies it and records the breach in `needsCheckoutUnderPsd2`.
 */
export interface RecurringUpdateRecord {
  at: number;
  region: string;
  from: { frequency: { unit: string; value: string } | null; amountMinor: string | null };
  to: { frequency: { unit: string; value: string } | null; amountMinor: string | null };
  needsCheckoutUnderPsd2: boolean;
}

export interface ChargeRecord {
  chargeId: string;
  chargePermissionId: string;
  environment: Environment;
  amountMinor: string;
  currency: string;
  captureAmountMinor: string | null;
  refundedAmountMinor: string | null;
  state: ChargeState;
  reasonCode: string | null;
  softDescriptor: string | null;
  merchantMetadata: MerchantMetadata;
  providerMetadata: { providerReferenceId: string | null };
  platformId: string | null;
  chargeInitiator: string | null;
  channel: string | null;
  idempotencyKey: string | null;
  createdAt: number;
  updatedAt: number;
  /** Final outcome of a pending charge: 'Authorized' | 'Captured' | 'Declined:<reason>'. */
  pendingOutcome: string | null;
  /** Epoch ms at which the pending outcome is applied automatically. */
  pendingResolveAt: number | null;
}

export interface RefundRecord {
  refundId: string;
  chargeId: string;
  chargePermissionId: string;
  environment: Environment;
  amountMinor: string;
  currency: string;
  state: RefundState;
  reasonCode: string | null;
  softDescriptor: string | null;
  createdAt: number;
  updatedAt: number;
  resolveAt: number | null;
}

export type PaymentIntent = 'Confirm' | 'Authorize' | 'AuthorizeWithCapture';
export type CheckoutSessionState = 'Open' | 'Completed' | 'Canceled';

/** An amount as stored: minor-unit digit string plus ISO currency. */
export interface StoredPrice {
  minor: string;
  currency: string;
}

/** What the buyer did on the simulator's buyer page (Amazon's hosted page). */
export interface CheckoutBuyerChoice {
  /** Sandbox card suffix (API ref §11): 1111 happy path, 0701/4354 pending, 3064 cancel, 3434 decline. */
  cardSuffix: string;
  /** Whether the buyer agreed to save the payment method (Recurring / PaymentMethodOnFile). */
  consentToSave: boolean;
  /** True once the buyer approved the payment on the page: Update is refused from then on. */
  approved: boolean;
}

export interface CheckoutSessionRecord {
  checkoutSessionId: string;
  environment: Environment;
  storeId: string;
  /** 'api' (Create Checkout Session) or 'button' (signed createCheckoutSessionConfig). */
  origin: 'api' | 'button';
  webCheckoutDetails: {
    checkoutReviewReturnUrl: string | null;
    checkoutResultReturnUrl: string | null;
    checkoutCancelUrl: string | null;
    checkoutMode: 'ProcessOrder' | null;
  };
  paymentDetails: {
    paymentIntent: PaymentIntent | null;
    canHandlePendingAuthorization: boolean;
    chargeAmount: StoredPrice | null;
    totalOrderAmount: StoredPrice | null;
    softDescriptor: string | null;
    presentmentCurrency: string | null;
    allowOvercharge: boolean;
    extendExpiration: boolean;
  };
  chargePermissionType: ChargePermissionType;
  recurringMetadata: { frequency: { unit: string; value: string } | null; amount: StoredPrice | null } | null;
  paymentMethodOnFileMetadata: { setupOnly: boolean } | null;
  merchantMetadata: MerchantMetadata;
  platformId: string | null;
  providerMetadata: { providerReferenceId: string | null } | null;
  scopes: string[] | null;
  buyer: CheckoutBuyerChoice | null;
  state: CheckoutSessionState;
  reasonCode: string | null;
  /** A Canceled session's first Complete answers CheckoutSessionCanceled; later ones InvalidCheckoutSessionStatus. */
  cancelReported: boolean;
  chargePermissionId: string | null;
  chargeId: string | null;
  /** The type the buyer accepted (OneTime when saving was declined); set on completion. */
  acceptedChargePermissionType: ChargePermissionType | null;
  createdAt: number;
  updatedAt: number;
}

export interface IdempotencyRecord {
  fingerprint: string;
  status: number;
  body: unknown;
  createdAt: number;
}

export interface AttemptRecord {
  at: number;
  idempotencyKey: string | null;
  chargePermissionId: string | null;
  amount: string | null;
  currency: string | null;
  status: number;
  /** 'Created' for a new Charge, 'Replayed' for an idempotent replay, else the reasonCode. */
  outcome: string;
  chargeId: string | null;
}

export interface SimulatorState {
  version: 1;
  counters: { chargePermission: number; charge: number; refund: number };
  chargePermissions: Record<string, ChargePermissionRecord>;
  charges: Record<string, ChargeRecord>;
  refunds: Record<string, RefundRecord>;
  /** Checkout Sessions by UUID; older data files have none. */
  checkoutSessions: Record<string, CheckoutSessionRecord>;
  /** Keyed by `${environment}|${publicKeyId}|${idempotencyKey}`. */
  idempotency: Record<string, IdempotencyRecord>;
  /** Insertion-ordered chargeIds: the ledger tests count. */
  chargeOrder: string[];
  attempts: AttemptRecord[];
  publicKeys: Record<string, string>;
}

export function emptyState(): SimulatorState {
  return {
    version: 1,
    counters: { chargePermission: 0, charge: 0, refund: 0 },
    chargePermissions: {},
    charges: {},
    refunds: {},
    checkoutSessions: {},
    idempotency: {},
    chargeOrder: [],
    attempts: [],
    publicKeys: {},
  };
}

export function emptyMerchantMetadata(): MerchantMetadata {
  return { merchantReferenceId: null, merchantStoreName: null, noteToBuyer: null, customInformation: null };
}
