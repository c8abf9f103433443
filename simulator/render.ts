// Renders stored records into the documented response shapes (Amazon Pay API v2: Charge, Charge
// Permission and Refund objects).
import { price } from './money.js';
import { compactTimestamp, DAY_MS } from './timestamps.js';
import type { ChargePermissionRecord, ChargeRecord, RefundRecord, SimulatorState } from './state.js';

const ts = (ms: number): string => compactTimestamp(new Date(ms));

const CP_REASON_DESCRIPTIONS: Readonly<Record<string, string>> = {
  ChargeInProgress: 'A charge is already in progress; no new charge can start until it completes.',
  MerchantClosed: 'The merchant closed the Charge Permission.',
  BuyerClosed: 'The buyer closed the Charge Permission.',
  AmazonClosed: 'Amazon closed the Charge Permission.',
  Expired: 'The Charge Permission expired.',
};

const CHARGE_REASON_DESCRIPTIONS: Readonly<Record<string, string>> = {
  SoftDeclined: 'The charge was soft declined.',
  HardDeclined: 'The charge was hard declined.',
  AmazonRejected: 'Amazon has rejected the authorization.',
  ProcessingFailure: 'Amazon could not process the transaction because of an internal processing error.',
  TransactionTimedOut: 'The authorization was not processed in time.',
  MerchantCanceled: 'The merchant canceled the charge.',
  ChargePermissionCanceled: 'The Charge Permission was closed with cancelPendingCharges.',
  ExpiredUnused: 'The authorization was not captured within 30 days.',
};

/**
 * The state GET shows: a pending charge makes a Chargeable CP NonChargeable/ChargeInProgress (an
 * assumption: Amazon documents the reason, not when it applies).
 */
export function effectiveChargePermissionStatus(state: SimulatorState, cp: ChargePermissionRecord): { state: string; reasons: string[] } {
  if (cp.state === 'Chargeable' && hasChargeInProgress(state, cp.chargePermissionId)) {
    return { state: 'NonChargeable', reasons: ['ChargeInProgress'] };
  }
  return { state: cp.state, reasons: cp.reasons };
}

export function hasChargeInProgress(state: SimulatorState, chargePermissionId: string): boolean {
  return Object.values(state.charges).some((c) => c.chargePermissionId === chargePermissionId && c.state === 'AuthorizationInitiated');
}

export function renderChargePermission(state: SimulatorState, cp: ChargePermissionRecord): Record<string, unknown> {
  const status = effectiveChargePermissionStatus(state, cp);
  const amountLimit = cp.amountLimitMinor === null ? null : price(cp.amountLimitMinor, cp.currency);
  let amountBalance = null;
  if (cp.amountLimitMinor !== null) {
    const used = Object.values(state.charges)
      .filter((c) => c.chargePermissionId === cp.chargePermissionId && c.state !== 'Declined' && c.state !== 'Canceled')
      .reduce((sum, c) => sum + BigInt(c.amountMinor), 0n);
    const balance = BigInt(cp.amountLimitMinor) - used;
    amountBalance = price(balance > 0n ? balance : 0n, cp.currency);
  }
  return {
    chargePermissionId: cp.chargePermissionId,
    amazonPayToken: null,
    chargePermissionReferenceId: null,
    platformId: null,
    buyer: {
      name: 'Simulated Buyer',
      email: 'buyer@example.invalid',
      buyerId: `amzn1.account.SIM${cp.chargePermissionId.replace(/-/g, '')}`,
      primeMembershipTypes: null,
      phoneNumber: null,
    },
    shippingAddress: null,
    billingAddress: null,
    paymentPreferences: [{ paymentDescriptor: `Visa ****${cp.cardSuffix}` }],
    statusDetails: {
      state: status.state,
      reasons:
        status.reasons.length === 0
          ? null
          : status.reasons.map((reasonCode) => ({ reasonCode, reasonDescription: CP_REASON_DESCRIPTIONS[reasonCode] ?? reasonCode })),
      lastUpdatedTimestamp: ts(cp.updatedAt),
    },
    creationTimestamp: ts(cp.createdAt),
    expirationTimestamp: cp.expiresAt !== undefined ? ts(cp.expiresAt) : cp.type === 'OneTime' ? ts(cp.createdAt + 180 * DAY_MS) : null,
    merchantMetadata: cp.merchantMetadata,
    releaseEnvironment: cp.environment,
    limits: { amountLimit, amountBalance },
    chargePermissionType: cp.type,
    recurringMetadata: {
      frequency: cp.frequency,
      amount: cp.recurringAmountMinor === null ? null : price(cp.recurringAmountMinor, cp.currency),
    },
    paymentMethodOnFileMetadata: cp.type === 'PaymentMethodOnFile' ? { setupOnly: false } : null,
    presentmentCurrency: cp.currency,
  };
}

export function renderCharge(charge: ChargeRecord): Record<string, unknown> {
  return {
    chargeId: charge.chargeId,
    chargeAmount: price(charge.amountMinor, charge.currency),
    chargePermissionId: charge.chargePermissionId,
    captureAmount: charge.captureAmountMinor === null ? null : price(charge.captureAmountMinor, charge.currency),
    refundedAmount: charge.refundedAmountMinor === null ? null : price(charge.refundedAmountMinor, charge.currency),
    softDescriptor: charge.softDescriptor,
    providerMetadata: charge.providerMetadata,
    convertedAmount: null,
    conversionRate: null,
    channel: charge.channel,
    chargeInitiator: charge.chargeInitiator,
    statusDetails: {
      state: charge.state,
      reasonCode: charge.reasonCode,
      reasonDescription: charge.reasonCode === null ? null : (CHARGE_REASON_DESCRIPTIONS[charge.reasonCode] ?? charge.reasonCode),
      lastUpdatedTimestamp: ts(charge.updatedAt),
    },
    creationTimestamp: ts(charge.createdAt),
    expirationTimestamp: ts(charge.createdAt + 30 * DAY_MS),
    releaseEnvironment: charge.environment,
    merchantMetadata: charge.merchantMetadata,
    platformId: charge.platformId,
    webCheckoutDetails: null,
  };
}

export function renderRefund(refund: RefundRecord): Record<string, unknown> {
  return {
    refundId: refund.refundId,
    chargeId: refund.chargeId,
    creationTimestamp: ts(refund.createdAt),
    refundAmount: price(refund.amountMinor, refund.currency),
    statusDetails: {
      state: refund.state,
      reasonCode: refund.reasonCode,
      reasonDescription: refund.reasonCode,
      lastUpdatedTimestamp: ts(refund.updatedAt),
    },
    softDescriptor: refund.softDescriptor,
    releaseEnvironment: refund.environment,
  };
}
