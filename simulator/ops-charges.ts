// Charge operations (Amazon Pay API v2: Charge): Create, Get, Capture, Cancel, plus resolution of
// pending ones.
import { AmazonPayError } from './errors.js';
import { nextChargeId } from './ids.js';
import { decideChargeOutcome, type ChargeOutcome } from './outcomes.js';
import { hasChargeInProgress, renderCharge } from './render.js';
import { PER_CHARGE_MAXIMUM_MINOR, utcMonthBounds } from './caps.js';
import { emptyMerchantMetadata, type ChargePermissionRecord, type ChargeRecord, type MerchantMetadata } from './state.js';
import {
  optionalBoolean,
  optionalEnum,
  optionalMerchantMetadata,
  optionalString,
  parseJsonObject,
  rejectUnknownFields,
  requiredPrice,
  requiredString,
  type ParsedPrice,
} from './validation.js';
import type { Engine } from './engine.js';
import type { OperationContext, OperationResult } from './context.js';

const CREATE_CHARGE_FIELDS = [
  'chargePermissionId',
  'chargeAmount',
  'captureNow',
  'softDescriptor',
  'canHandlePendingAuthorization',
  'merchantMetadata',
  'providerMetadata',
  'platformId',
  'chargeInitiator',
  'channel',
  'webCheckoutDetails',
] as const;

export function findChargePermission(ctx: OperationContext, id: string): ChargePermissionRecord {
  const cp = ctx.engine.state.chargePermissions[id];
  if (!cp || cp.environment !== ctx.environment) {
    throw new AmazonPayError('ResourceNotFound', `Charge Permission ${id} does not exist in ${ctx.environment}.`);
  }
  return cp;
}

function findCharge(ctx: OperationContext): ChargeRecord {
  const charge = ctx.engine.state.charges[ctx.id ?? ''];
  if (!charge || charge.environment !== ctx.environment) {
    throw new AmazonPayError('ResourceNotFound', `Charge ${ctx.id ?? ''} does not exist in ${ctx.environment}.`);
  }
  return charge;
}

function countedTowardsLimits(c: ChargeRecord): boolean {
  return c.state !== 'Declined' && c.state !== 'Canceled';
}

/**
 * Create Charge checks (their order is an assumption): currency, CP state, per-charge maxima /
 * OneTime limits, monthly cap.
 */
export function checkChargeable(engine: Engine, cp: ChargePermissionRecord, minor: bigint, currency: string): void {
  if (currency !== cp.currency) {
    throw new AmazonPayError('CurrencyMismatch', `The charge currency ${currency} differs from the Charge Permission's ${cp.currency}.`);
  }
  if (cp.state !== 'Chargeable' || hasChargeInProgress(engine.state, cp.chargePermissionId)) {
    const why = cp.state === 'Chargeable' ? 'NonChargeable (ChargeInProgress)' : `${cp.state} (${cp.reasons.join(', ')})`;
    throw new AmazonPayError('InvalidChargePermissionStatus', `The Charge Permission is ${why}; it must be Chargeable.`);
  }
  if (cp.expiresAt !== undefined && engine.nowMs() >= cp.expiresAt) {
    throw new AmazonPayError('InvalidChargePermissionStatus', `The Charge Permission expired at ${new Date(cp.expiresAt).toISOString()}.`);
  }
  const maximum = PER_CHARGE_MAXIMUM_MINOR[currency];
  if (maximum !== undefined && minor > maximum) {
    throw new AmazonPayError('TransactionAmountExceeded', 'The charge amount exceeds the per-charge maximum.');
  }
  const charges = Object.values(engine.state.charges).filter((c) => c.chargePermissionId === cp.chargePermissionId);
  if (cp.type === 'OneTime') {
    if (cp.amountLimitMinor !== null) {
      const used = charges.filter(countedTowardsLimits).reduce((s, c) => s + BigInt(c.amountMinor), 0n);
      if (used + minor > BigInt(cp.amountLimitMinor)) {
        throw new AmazonPayError('TransactionAmountExceeded', 'The charge amount exceeds the Charge Permission amountBalance.');
      }
    }
    if (charges.length >= 25) throw new AmazonPayError('TransactionCountExceeded', 'A OneTime Charge Permission allows at most 25 charges.');
    return;
  }
  const cap = engine.options.monthlyCaps[cp.type]?.[currency];
  if (cap === undefined) return;
  const [start, end] = utcMonthBounds(engine.nowMs());
  const monthTotal = charges
    .filter((c) => countedTowardsLimits(c) && c.createdAt >= start && c.createdAt < end)
    .reduce((s, c) => s + BigInt(c.amountMinor), 0n);
  if (monthTotal + minor > cap) throw new AmazonPayError('PeriodicAmountExceeded');
}

export function createCharge(ctx: OperationContext): OperationResult {
  const { engine } = ctx;
  const body = parseJsonObject(ctx.rawBody);
  rejectUnknownFields(body, CREATE_CHARGE_FIELDS);
  const chargePermissionId = requiredString(body, 'chargePermissionId');
  const amount = requiredPrice(body, 'chargeAmount');
  const captureNow = optionalBoolean(body, 'captureNow') ?? false;
  const canHandlePending = optionalBoolean(body, 'canHandlePendingAuthorization') ?? false;
  const softDescriptor = optionalString(body, 'softDescriptor', 16);
  const merchantMetadata = optionalMerchantMetadata(body) ?? emptyMerchantMetadata();
  const chargeInitiator = optionalEnum(body, 'chargeInitiator', ['CITU', 'MITU', 'CITR', 'MITR']);
  const channel = optionalEnum(body, 'channel', ['Web', 'Phone', 'App', 'Alexa', 'PointOfSale', 'FireTv', 'Offline', 'Amazon']);
  const platformId = optionalString(body, 'platformId', 64);
  const providerMetadata = body['providerMetadata'] as { providerReferenceId?: unknown } | undefined | null;
  if (softDescriptor !== null && !captureNow) {
    throw new AmazonPayError('InvalidParameterCombination', 'softDescriptor is allowed only with captureNow: true.');
  }
  const cp = findChargePermission(ctx, chargePermissionId);
  checkChargeable(engine, cp, amount.minor, amount.currency);

  const outcome: ChargeOutcome = decideChargeOutcome(cp, ctx.simulationCode, canHandlePending);
  engine.save(); // a consumed script entry is state too
  if (outcome.kind === 'decline') throw new AmazonPayError(outcome.reason);

  const charge = recordNewCharge(engine, cp, outcome, {
    amount,
    captureNow,
    softDescriptor,
    merchantMetadata,
    providerReferenceId: typeof providerMetadata?.providerReferenceId === 'string' ? providerMetadata.providerReferenceId : null,
    platformId,
    chargeInitiator,
    channel,
    idempotencyKey: ctx.idempotencyKey ?? null,
  });
  return { status: 201, body: renderCharge(charge) };
}

export interface NewCharge {
  amount: ParsedPrice;
  captureNow: boolean;
  softDescriptor: string | null;
  merchantMetadata: MerchantMetadata;
  providerReferenceId: string | null;
  platformId: string | null;
  chargeInitiator: string | null;
  channel: string | null;
  idempotencyKey: string | null;
}

/**
 * Stores the Charge a successful or pending outcome makes (Create Charge, or Complete Checkout
 * Session's first charge), arms its pending timer and emits its CHARGE IPN (API ref §10.3).
 */
export function recordNewCharge(
  engine: Engine,
  cp: ChargePermissionRecord,
  outcome: Exclude<ChargeOutcome, { kind: 'decline' }>,
  input: NewCharge,
): ChargeRecord {
  const now = engine.nowMs();
  const charge: ChargeRecord = {
    chargeId: nextChargeId(engine.state, cp.chargePermissionId),
    chargePermissionId: cp.chargePermissionId,
    environment: cp.environment,
    amountMinor: input.amount.minor.toString(),
    currency: input.amount.currency,
    captureAmountMinor: null,
    refundedAmountMinor: null,
    state: 'Authorized',
    reasonCode: null,
    softDescriptor: input.captureNow ? (input.softDescriptor ?? 'AMZ*Simulator') : null,
    merchantMetadata: input.merchantMetadata,
    providerMetadata: { providerReferenceId: input.providerReferenceId },
    platformId: input.platformId,
    chargeInitiator: input.chargeInitiator,
    channel: input.channel,
    idempotencyKey: input.idempotencyKey,
    createdAt: now,
    updatedAt: now,
    pendingOutcome: null,
    pendingResolveAt: null,
  };
  if (outcome.kind === 'pending') {
    charge.state = outcome.stateNow;
    charge.pendingOutcome = outcome.final === 'Authorized' && input.captureNow ? 'Captured' : outcome.final;
    charge.pendingResolveAt = now + engine.options.pendingDelayMs;
  } else if (input.captureNow) {
    markCaptured(charge);
  }
  engine.state.charges[charge.chargeId] = charge;
  engine.state.chargeOrder.push(charge.chargeId);
  engine.save();
  if (charge.pendingResolveAt !== null) engine.scheduleDue('charge', charge.chargeId, charge.pendingResolveAt);
  engine.emitIpn('CHARGE', charge.chargeId, charge.chargePermissionId, true);
  return charge;
}

function markCaptured(charge: ChargeRecord): void {
  charge.state = 'Captured';
  charge.captureAmountMinor ??= charge.amountMinor;
  charge.refundedAmountMinor = '0';
}

export function getCharge(ctx: OperationContext): OperationResult {
  return { status: 200, body: renderCharge(findCharge(ctx)) };
}

export function captureCharge(ctx: OperationContext): OperationResult {
  const { engine } = ctx;
  const body = parseJsonObject(ctx.rawBody);
  rejectUnknownFields(body, ['captureAmount', 'softDescriptor']);
  const capture = requiredPrice(body, 'captureAmount');
  const softDescriptor = optionalString(body, 'softDescriptor', 16);
  const charge = findCharge(ctx);
  const cp = engine.state.chargePermissions[charge.chargePermissionId];
  if (charge.state !== 'Authorized') {
    throw new AmazonPayError('InvalidChargeStatus', `The charge is ${charge.state}; only Authorized charges can be captured.`);
  }
  if (cp?.state === 'Closed') throw new AmazonPayError('InvalidChargePermissionStatus', 'The Charge Permission is Closed.');
  if (capture.currency !== charge.currency) throw new AmazonPayError('CurrencyMismatch', `The capture currency must be ${charge.currency}.`);
  if (capture.minor > BigInt(charge.amountMinor)) {
    throw new AmazonPayError('TransactionAmountExceeded', 'The capture amount exceeds the authorized amount.');
  }
  const now = engine.nowMs();
  charge.captureAmountMinor = capture.minor.toString();
  charge.softDescriptor = softDescriptor ?? charge.softDescriptor ?? 'AMZ*Simulator';
  charge.updatedAt = now;
  if (ctx.simulationCode === 'AmazonRejected') {
    charge.state = 'Declined';
    charge.reasonCode = 'AmazonRejected';
    charge.captureAmountMinor = null;
    engine.save();
    engine.emitIpn('CHARGE', charge.chargeId, charge.chargePermissionId, true);
    throw new AmazonPayError('AmazonRejected');
  }
  if (ctx.simulationCode === 'CaptureInitiated') {
    charge.state = 'CaptureInitiated';
    charge.pendingOutcome = 'Captured';
    charge.pendingResolveAt = now + engine.options.pendingDelayMs;
    engine.scheduleDue('charge', charge.chargeId, charge.pendingResolveAt);
  } else {
    markCaptured(charge);
  }
  engine.save();
  engine.emitIpn('CHARGE', charge.chargeId, charge.chargePermissionId, true);
  return { status: 200, body: renderCharge(charge) };
}

export function cancelCharge(ctx: OperationContext): OperationResult {
  const { engine } = ctx;
  const body = parseJsonObject(ctx.rawBody, { allowEmpty: true });
  rejectUnknownFields(body, ['cancellationReason']);
  optionalString(body, 'cancellationReason', 255);
  const charge = findCharge(ctx);
  if (charge.state !== 'Authorized' && charge.state !== 'AuthorizationInitiated') {
    throw new AmazonPayError('InvalidChargeStatus', `The charge is ${charge.state}; only Authorized or AuthorizationInitiated charges can be canceled.`);
  }
  cancelChargeRecord(engine, charge, 'MerchantCanceled', true);
  return { status: 200, body: renderCharge(charge) };
}

export function cancelChargeRecord(engine: Engine, charge: ChargeRecord, reason: string, synchronous: boolean): void {
  charge.state = 'Canceled';
  charge.reasonCode = reason;
  charge.pendingOutcome = null;
  charge.pendingResolveAt = null;
  charge.updatedAt = engine.nowMs();
  engine.cancelDue('charge', charge.chargeId);
  engine.save();
  engine.emitIpn('CHARGE', charge.chargeId, charge.chargePermissionId, synchronous);
}

/** Applies a pending charge's outcome (or `override`); returns false when nothing was pending. */
export function resolvePendingCharge(engine: Engine, chargeId: string, override?: string): boolean {
  const charge = engine.state.charges[chargeId];
  if (!charge || charge.pendingOutcome === null) return false;
  const outcome = override ?? charge.pendingOutcome;
  engine.cancelDue('charge', chargeId);
  charge.pendingOutcome = null;
  charge.pendingResolveAt = null;
  charge.updatedAt = engine.nowMs();
  if (outcome === 'Captured') markCaptured(charge);
  else if (outcome === 'Authorized') charge.state = 'Authorized';
  else {
    charge.state = 'Declined';
    charge.reasonCode = outcome.startsWith('Declined:') ? outcome.slice('Declined:'.length) : outcome;
  }
  engine.save();
  engine.emitIpn('CHARGE', charge.chargeId, charge.chargePermissionId, false);
  return true;
}
