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
  merchantMetadataUpdated: boolean;
  /** Simulated card suffix (…0701, …4354 give delayed outcomes, as in Amazon Pay sandbox simulations). */
  cardSuffix: string;
  createdAt: number;
  updatedAt: number;
  script: DeclineScript;
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
    idempotency: {},
    chargeOrder: [],
    attempts: [],
    publicKeys: {},
  };
}

export function emptyMerchantMetadata(): MerchantMetadata {
  return { merchantReferenceId: null, merchantStoreName: null, noteToBuyer: null, customInformation: null };
}
