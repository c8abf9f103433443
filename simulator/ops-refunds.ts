// Refund operations (Amazon Pay API v2: Create Refund, Get Refund): Create (always RefundInitiated,
// Refunded later) and Get.
import { AmazonPayError } from './errors.js';
import { nextRefundId } from './ids.js';
import { renderRefund } from './render.js';
import { optionalString, parseJsonObject, rejectUnknownFields, requiredPrice, requiredString } from './validation.js';
import type { Engine } from './engine.js';
import type { OperationContext, OperationResult } from './context.js';
import type { RefundRecord } from './state.js';

const MAX_REFUNDS_PER_CHARGE = 10;

export function createRefund(ctx: OperationContext): OperationResult {
  const { engine } = ctx;
  const body = parseJsonObject(ctx.rawBody);
  rejectUnknownFields(body, ['chargeId', 'refundAmount', 'softDescriptor']);
  const chargeId = requiredString(body, 'chargeId');
  const amount = requiredPrice(body, 'refundAmount');
  const softDescriptor = optionalString(body, 'softDescriptor', 16);
  const charge = engine.state.charges[chargeId];
  if (!charge || charge.environment !== ctx.environment) {
    throw new AmazonPayError('ResourceNotFound', `Charge ${chargeId} does not exist in ${ctx.environment}.`);
  }
  if (charge.state !== 'Captured') {
    throw new AmazonPayError('InvalidChargeStatus', `The charge is ${charge.state}; only Captured charges can be refunded.`);
  }
  if (amount.currency !== charge.currency) throw new AmazonPayError('CurrencyMismatch', `The refund currency must be ${charge.currency}.`);
  const refunds = Object.values(engine.state.refunds).filter((r) => r.chargeId === chargeId);
  if (refunds.length >= MAX_REFUNDS_PER_CHARGE) {
    throw new AmazonPayError('TransactionCountExceeded', `A charge allows at most ${MAX_REFUNDS_PER_CHARGE} refunds.`);
  }
  // Pending refunds reserve their amount, so two concurrent refunds cannot exceed the capture.
  const reserved = refunds.filter((r) => r.state !== 'Declined').reduce((s, r) => s + BigInt(r.amountMinor), 0n);
  const available = BigInt(charge.captureAmountMinor ?? '0') - reserved;
  if (amount.minor > available) {
    throw new AmazonPayError('TransactionAmountExceeded', 'The refund amount exceeds the captured amount minus earlier refunds.');
  }
  const now = engine.nowMs();
  const refund: RefundRecord = {
    refundId: nextRefundId(engine.state, charge.chargePermissionId),
    chargeId,
    chargePermissionId: charge.chargePermissionId,
    environment: ctx.environment,
    amountMinor: amount.minor.toString(),
    currency: amount.currency,
    state: 'RefundInitiated',
    reasonCode: null,
    softDescriptor: softDescriptor ?? 'AMZ*Simulator',
    createdAt: now,
    updatedAt: now,
    resolveAt: now + engine.options.refundDelayMs,
  };
  engine.state.refunds[refund.refundId] = refund;
  engine.save();
  engine.scheduleDue('refund', refund.refundId, refund.resolveAt ?? now);
  engine.emitIpn('REFUND', refund.refundId, refund.chargePermissionId, true);
  return { status: 201, body: renderRefund(refund) };
}

export function getRefund(ctx: OperationContext): OperationResult {
  const refund = ctx.engine.state.refunds[ctx.id ?? ''];
  if (!refund || refund.environment !== ctx.environment) {
    throw new AmazonPayError('ResourceNotFound', `Refund ${ctx.id ?? ''} does not exist in ${ctx.environment}.`);
  }
  return { status: 200, body: renderRefund(refund) };
}

/** RefundInitiated → Refunded (or Declined with `declineReason`), updating the charge's refundedAmount. */
export function resolveRefund(engine: Engine, refundId: string, declineReason?: string): boolean {
  const refund = engine.state.refunds[refundId];
  if (!refund || refund.state !== 'RefundInitiated') return false;
  engine.cancelDue('refund', refundId);
  refund.resolveAt = null;
  refund.updatedAt = engine.nowMs();
  if (declineReason) {
    refund.state = 'Declined';
    refund.reasonCode = declineReason;
  } else {
    refund.state = 'Refunded';
    const charge = engine.state.charges[refund.chargeId];
    if (charge) charge.refundedAmountMinor = (BigInt(charge.refundedAmountMinor ?? '0') + BigInt(refund.amountMinor)).toString();
  }
  engine.save();
  engine.emitIpn('REFUND', refund.refundId, refund.chargePermissionId, false);
  return true;
}
