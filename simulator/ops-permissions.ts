// Charge Permission operations (Amazon Pay API v2: Charge Permission): Get, Update (PATCH), Close
// (DELETE …/close with body).
import { AmazonPayError } from './errors.js';
import { parseRecurringMetadata } from './recurring-metadata.js';
import { renderChargePermission } from './render.js';
import { cancelChargeRecord, findChargePermission } from './ops-charges.js';
import { optionalBoolean, optionalMerchantMetadata, optionalString, parseJsonObject, rejectUnknownFields } from './validation.js';
import type { Engine } from './engine.js';
import type { OperationContext, OperationResult } from './context.js';
import type { ChargePermissionRecord, MerchantMetadata } from './state.js';

export function getChargePermission(ctx: OperationContext): OperationResult {
  const cp = findChargePermission(ctx, ctx.id ?? '');
  return { status: 200, body: renderChargePermission(ctx.engine.state, cp) };
}

/** Update Charge Permission's recurringMetadata, in the Charge Permission's currency. */
function recurringUpdate(value: unknown, currency: string): Pick<ChargePermissionRecord, 'frequency' | 'recurringAmountMinor'> {
  const parsed = parseRecurringMetadata(value);
  if (parsed.amount && parsed.amount.currency !== currency) {
    throw new AmazonPayError('CurrencyMismatch', `recurringMetadata.amount must be in ${currency}.`);
  }
  return { frequency: parsed.frequency, recurringAmountMinor: parsed.amount ? parsed.amount.minor.toString() : null };
}

/**
 * Update Charge Permission (amazon-pay-checkout reference §8, correcting API ref §5.6): the
 * merchantMetadata children given change, repeatedly, while Chargeable or NonChargeable; once
 * Closed, only a OneTime permission's, and only to null or "". recurringMetadata only while not Closed.
 */
export function updateChargePermission(ctx: OperationContext): OperationResult {
  const body = parseJsonObject(ctx.rawBody);
  rejectUnknownFields(body, ['merchantMetadata', 'recurringMetadata']);
  const metadata = optionalMerchantMetadata(body);
  const given = metadata ? (Object.keys(body['merchantMetadata'] as object) as Array<keyof MerchantMetadata>) : [];
  const cp = findChargePermission(ctx, ctx.id ?? '');
  if (cp.state === 'Closed') {
    if (body['recurringMetadata'] !== undefined)
      throw new AmazonPayError('ChargePermissionNotModifiable', 'A Closed Charge Permission’s recurringMetadata cannot be modified.');
    if (metadata && (cp.type !== 'OneTime' || given.some((name) => metadata[name] !== null && metadata[name] !== ''))) {
      throw new AmazonPayError(
        'ChargePermissionNotModifiable',
        'A Closed Charge Permission’s merchantMetadata can only be cleared (null or ""), and only on a OneTime permission.',
      );
    }
  }
  const recurring = body['recurringMetadata'] === undefined ? undefined : recurringUpdate(body['recurringMetadata'], cp.currency);
  if (metadata) for (const name of given) cp.merchantMetadata[name] = metadata[name];
  if (recurring) recordRecurringUpdate(cp, recurring, ctx.region, ctx.engine.nowMs());
  if (recurring) Object.assign(cp, recurring);
  cp.updatedAt = ctx.engine.nowMs();
  ctx.engine.save();
  return { status: 200, body: renderChargePermission(ctx.engine.state, cp) };
}

/** Keeps the change on the permission; in region eu (EU/UK, PSD2) a higher amount or another frequency than the stated one is flagged (RecurringUpdateRecord). */
function recordRecurringUpdate(
  cp: ChargePermissionRecord,
  next: Pick<ChargePermissionRecord, 'frequency' | 'recurringAmountMinor'>,
  region: string | undefined,
  at: number,
): void {
  const from = { frequency: cp.frequency, amountMinor: cp.recurringAmountMinor };
  const to = { frequency: next.frequency, amountMinor: next.recurringAmountMinor };
  // Terms the buyer saw: a frequency or amount stated where none stood (a varying amount) changes none of them.
  const otherFrequency = from.frequency !== null && (from.frequency.unit !== to.frequency?.unit || from.frequency.value !== to.frequency?.value);
  const higher = from.amountMinor !== null && to.amountMinor !== null && BigInt(to.amountMinor) > BigInt(from.amountMinor);
  const place = region === 'us' || region === undefined ? 'na' : region;
  (cp.recurringUpdates ??= []).push({ at, region: place, from, to, needsCheckoutUnderPsd2: place === 'eu' && (otherFrequency || higher) });
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
