// Charge Permission operations (Amazon Pay API v2: Charge Permission): Get, Update (PATCH), Close
// (DELETE …/close with body).
import { AmazonPayError } from './errors.js';
import { decimalToMinor } from './money.js';
import { renderChargePermission } from './render.js';
import { cancelChargeRecord, findChargePermission } from './ops-charges.js';
import { optionalBoolean, optionalMerchantMetadata, optionalString, parseJsonObject, rejectUnknownFields, type JsonObject } from './validation.js';
import type { Engine } from './engine.js';
import type { OperationContext, OperationResult } from './context.js';
import type { ChargePermissionRecord } from './state.js';

export function getChargePermission(ctx: OperationContext): OperationResult {
  const cp = findChargePermission(ctx, ctx.id ?? '');
  return { status: 200, body: renderChargePermission(ctx.engine.state, cp) };
}

const FREQUENCY_UNITS = ['Year', 'Month', 'Week', 'Day', 'Variable'];

function parseRecurringMetadata(value: unknown, currency: string): Pick<ChargePermissionRecord, 'frequency' | 'recurringAmountMinor'> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AmazonPayError('InvalidParameterValue', 'recurringMetadata must be an object { frequency, amount }.');
  }
  const obj = value as JsonObject;
  rejectUnknownFields(obj, ['frequency', 'amount'], 'recurringMetadata.');
  let frequency: ChargePermissionRecord['frequency'] = null;
  if (obj['frequency'] !== undefined && obj['frequency'] !== null) {
    const f = obj['frequency'] as JsonObject;
    if (typeof f !== 'object' || !FREQUENCY_UNITS.includes(String(f['unit'])) || typeof f['value'] !== 'string' || !/^\d+$/.test(f['value'])) {
      throw new AmazonPayError('InvalidParameterValue', `recurringMetadata.frequency needs unit ∈ ${FREQUENCY_UNITS.join('|')} and value as a digit string.`);
    }
    frequency = { unit: String(f['unit']), value: f['value'] };
  }
  let recurringAmountMinor: string | null = null;
  if (obj['amount'] !== undefined && obj['amount'] !== null) {
    const a = obj['amount'] as JsonObject;
    const minor = typeof a['amount'] === 'string' ? decimalToMinor(a['amount'], currency) : undefined;
    if (a['currencyCode'] !== currency) throw new AmazonPayError('CurrencyMismatch', `recurringMetadata.amount must be in ${currency}.`);
    if (minor === undefined) throw new AmazonPayError('InvalidParameterValue', 'recurringMetadata.amount.amount is not a valid decimal string.');
    recurringAmountMinor = minor.toString();
  }
  return { frequency, recurringAmountMinor };
}

export function updateChargePermission(ctx: OperationContext): OperationResult {
  const body = parseJsonObject(ctx.rawBody);
  rejectUnknownFields(body, ['merchantMetadata', 'recurringMetadata']);
  const metadata = optionalMerchantMetadata(body);
  const cp = findChargePermission(ctx, ctx.id ?? '');
  if (cp.state === 'Closed') throw new AmazonPayError('ChargePermissionNotModifiable', 'A Closed Charge Permission cannot be modified.');
  if (metadata && cp.merchantMetadataUpdated) {
    throw new AmazonPayError('ChargePermissionNotModifiable', 'merchantMetadata can be modified only once.');
  }
  const recurring = body['recurringMetadata'] === undefined ? undefined : parseRecurringMetadata(body['recurringMetadata'], cp.currency);
  if (metadata) {
    cp.merchantMetadata = metadata;
    cp.merchantMetadataUpdated = true;
  }
  if (recurring) Object.assign(cp, recurring);
  cp.updatedAt = ctx.engine.nowMs();
  ctx.engine.save();
  return { status: 200, body: renderChargePermission(ctx.engine.state, cp) };
}

export function closeChargePermission(ctx: OperationContext): OperationResult {
  const body = parseJsonObject(ctx.rawBody, { allowEmpty: true });
  rejectUnknownFields(body, ['closureReason', 'cancelPendingCharges']);
  optionalString(body, 'closureReason', 255);
  const cancelPending = optionalBoolean(body, 'cancelPendingCharges') ?? false;
  const cp = findChargePermission(ctx, ctx.id ?? '');
  if (cp.state === 'Closed') throw new AmazonPayError('InvalidChargePermissionStatus', 'The Charge Permission is already Closed.');
  const reason = ctx.simulationCode === 'AmazonClosed' ? 'AmazonClosed' : 'MerchantClosed';
  closeChargePermissionRecord(ctx.engine, cp, reason, cancelPending, true);
  return { status: 200, body: renderChargePermission(ctx.engine.state, cp) };
}

/** Closes a CP for any party; with cancelPending, open charges become Canceled/ChargePermissionCanceled. */
export function closeChargePermissionRecord(engine: Engine, cp: ChargePermissionRecord, reason: string, cancelPending: boolean, synchronous: boolean): void {
  cp.state = 'Closed';
  cp.reasons = [reason];
  cp.updatedAt = engine.nowMs();
  engine.save();
  engine.emitIpn('CHARGE_PERMISSION', cp.chargePermissionId, cp.chargePermissionId, synchronous);
  if (!cancelPending) return;
  for (const charge of Object.values(engine.state.charges)) {
    if (charge.chargePermissionId !== cp.chargePermissionId) continue;
    if (charge.state === 'Authorized' || charge.state === 'AuthorizationInitiated') {
      cancelChargeRecord(engine, charge, 'ChargePermissionCanceled', synchronous);
    }
  }
}
