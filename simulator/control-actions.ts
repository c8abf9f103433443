// Simulator-only actions behind the control API: what a buyer, Amazon or a test would do.
import { AmazonPayError } from './errors.js';
import { CHARGE_PERMISSION_ID_PATTERN, nextChargeId, nextChargePermissionId } from './ids.js';
import { decimalToMinor, SUPPORTED_CURRENCIES } from './money.js';
import { validateScriptEntry } from './outcomes.js';
import { closeChargePermissionRecord } from './ops-permissions.js';
import { renderChargePermission } from './render.js';
import { emptyMerchantMetadata, type ChargePermissionRecord, type ChargePermissionType, type Environment } from './state.js';
import type { Engine } from './engine.js';

export const NON_CHARGEABLE_REASONS = [
  'PaymentMethodInvalid',
  'PaymentMethodDeleted',
  'BillingAddressDeleted',
  'PaymentMethodExpired',
  'PaymentMethodNotAllowed',
  'PaymentMethodNotSet',
  'MFAFailed',
] as const;

/** A control-API request problem; the control API answers 400 with this message. */
export class ControlInputError extends Error {}

function amountToMinor(input: unknown, currency: string, field: string): bigint {
  const obj = (input ?? {}) as { amount?: unknown; amountMinor?: unknown };
  if (typeof obj.amountMinor === 'string' && /^\d+$/.test(obj.amountMinor)) return BigInt(obj.amountMinor);
  const minor = typeof obj.amount === 'string' ? decimalToMinor(obj.amount, currency) : undefined;
  if (minor === undefined) {
    throw new ControlInputError(`${field} needs { amount: decimal string for ${currency} } or { amountMinor: digit string }`);
  }
  return minor;
}

export interface CreateChargePermissionInput {
  type?: ChargePermissionType;
  currency?: string;
  chargePermissionId?: string;
  environment?: Environment;
  amountLimit?: { amount?: string; amountMinor?: string };
  firstCharge?: { amount?: string; amountMinor?: string };
  frequency?: { unit: string; value: string };
  cardSuffix?: string;
}

export function createChargePermissionAsBuyer(engine: Engine, input: CreateChargePermissionInput): { chargePermission: unknown; firstChargeId: string | null } {
  const type = input.type ?? 'Recurring';
  if (!['OneTime', 'Recurring', 'PaymentMethodOnFile'].includes(type)) {
    throw new ControlInputError('type must be one of OneTime, Recurring, PaymentMethodOnFile');
  }
  const currency = input.currency ?? 'USD';
  if (!SUPPORTED_CURRENCIES.includes(currency)) throw new ControlInputError(`currency must be one of ${SUPPORTED_CURRENCIES.join(', ')}`);
  const environment = input.environment ?? 'Sandbox';
  if (environment !== 'Sandbox' && environment !== 'Live') throw new ControlInputError('environment must be Sandbox or Live');
  let id = input.chargePermissionId;
  if (id !== undefined) {
    if (!CHARGE_PERMISSION_ID_PATTERN.test(id)) throw new ControlInputError('chargePermissionId must look like S01-1234567-1234567');
    if (engine.state.chargePermissions[id]) throw new ControlInputError(`Charge Permission ${id} already exists`);
  } else {
    do id = nextChargePermissionId(engine.state, environment);
    while (engine.state.chargePermissions[id]);
  }
  const cardSuffix = input.cardSuffix ?? '1111';
  if (!/^\d{4}$/.test(cardSuffix)) throw new ControlInputError('cardSuffix must be 4 digits (e.g. 1111, 0701, 4354)');
  const now = engine.nowMs();
  const cp: ChargePermissionRecord = {
    chargePermissionId: id,
    environment,
    type,
    currency,
    state: 'Chargeable',
    reasons: [],
    amountLimitMinor: input.amountLimit ? amountToMinor(input.amountLimit, currency, 'amountLimit').toString() : null,
    frequency: input.frequency ?? (type === 'Recurring' ? { unit: 'Month', value: '1' } : null),
    recurringAmountMinor: null,
    merchantMetadata: emptyMerchantMetadata(),
    cardSuffix,
    createdAt: now,
    updatedAt: now,
    script: { next: [], mode: null },
  };
  engine.state.chargePermissions[id] = cp;
  let firstChargeId: string | null = null;
  if (input.firstCharge) {
    const minor = amountToMinor(input.firstCharge, currency, 'firstCharge');
    // Checkout with payment intent AuthorizeWithCapture: the first charge is captured at once.
    firstChargeId = nextChargeId(engine.state, id);
    engine.state.charges[firstChargeId] = {
      chargeId: firstChargeId,
      chargePermissionId: id,
      environment,
      amountMinor: minor.toString(),
      currency,
      captureAmountMinor: minor.toString(),
      refundedAmountMinor: '0',
      state: 'Captured',
      reasonCode: null,
      softDescriptor: 'AMZ*Simulator',
      merchantMetadata: emptyMerchantMetadata(),
      providerMetadata: { providerReferenceId: null },
      platformId: null,
      chargeInitiator: 'CITU',
      channel: 'Web',
      idempotencyKey: null,
      createdAt: now,
      updatedAt: now,
      pendingOutcome: null,
      pendingResolveAt: null,
    };
    engine.state.chargeOrder.push(firstChargeId);
  }
  engine.save();
  return { chargePermission: renderChargePermission(engine.state, cp), firstChargeId };
}

export function requireChargePermission(engine: Engine, id: string): ChargePermissionRecord {
  const cp = engine.state.chargePermissions[id];
  if (!cp) throw new AmazonPayError('ResourceNotFound', `Charge Permission ${id} does not exist.`);
  return cp;
}

/**
 * Closes the permission as `by` would: the buyer (BuyerClosed), Amazon (AmazonClosed), or its
 * expiry (Expired; its expirationTimestamp becomes now unless it already passed). ControlInputError
 * for another `by` and for a permission already Closed.
 */
export function closeAs(engine: Engine, id: string, by: unknown, cancelPendingCharges: boolean): void {
  const reason = by === 'buyer' ? 'BuyerClosed' : by === 'amazon' ? 'AmazonClosed' : by === 'expiry' ? 'Expired' : undefined;
  if (!reason) throw new ControlInputError('by must be "buyer", "amazon" or "expiry"');
  const cp = requireChargePermission(engine, id);
  if (cp.state === 'Closed') throw new ControlInputError(`Charge Permission ${id} is already Closed`);
  if (reason === 'Expired' && (cp.expiresAt === undefined || cp.expiresAt > engine.nowMs())) cp.expiresAt = engine.nowMs();
  closeChargePermissionRecord(engine, cp, reason, cancelPendingCharges, false);
}

export function makeNonChargeable(engine: Engine, id: string, reason: unknown): void {
  if (typeof reason !== 'string' || !(NON_CHARGEABLE_REASONS as readonly string[]).includes(reason)) {
    throw new ControlInputError(`reason must be one of ${NON_CHARGEABLE_REASONS.join(', ')}`);
  }
  const cp = requireChargePermission(engine, id);
  if (cp.state === 'Closed') throw new ControlInputError(`Charge Permission ${id} is Closed; it cannot change state`);
  cp.state = 'NonChargeable';
  cp.reasons = [reason];
  cp.updatedAt = engine.nowMs();
  engine.save();
  engine.emitIpn('CHARGE_PERMISSION', id, id, false);
}

/** The buyer fixed the payment method: Chargeable again, and a standing decline `mode` is cleared. */
export function makeChargeable(engine: Engine, id: string): void {
  const cp = requireChargePermission(engine, id);
  if (cp.state === 'Closed') throw new ControlInputError(`Charge Permission ${id} is Closed; it cannot change state`);
  cp.state = 'Chargeable';
  cp.reasons = [];
  cp.script.mode = null;
  cp.updatedAt = engine.nowMs();
  engine.save();
  engine.emitIpn('CHARGE_PERMISSION', id, id, false);
}

/**
 * The buyer chose another payment method for the Charge Permission (Amazon Pay: the buyer updates
 * it in their account; Amazon sends a CHARGE_PERMISSION IPN): Get Charge Permission shows the new
 * card's descriptor, the permission is Chargeable again and a standing decline `mode` is cleared.
 * `body`: { cardSuffix: 4 digits } (its test-card meaning applies to later charges, e.g. 0701
 * pending). ControlInputError (400) for any other field, and for the card the permission already
 * has: choosing the same card is no change, and a test that meant one would pass for nothing.
 */
export function changePaymentMethod(engine: Engine, id: string, body: Record<string, unknown>): void {
  const cp = requireChargePermission(engine, id);
  const unknown = Object.keys(body).filter((key) => key !== 'cardSuffix');
  if (unknown.length > 0) throw new ControlInputError(`unknown field(s) ${unknown.join(', ')}: the body is { "cardSuffix": "<4 digits>" }`);
  if (cp.state === 'Closed') throw new ControlInputError(`Charge Permission ${id} is Closed; it cannot change state`);
  const { cardSuffix } = body;
  if (typeof cardSuffix !== 'string' || !/^\d{4}$/.test(cardSuffix)) throw new ControlInputError('cardSuffix must be 4 digits (e.g. 4242)');
  if (cardSuffix === cp.cardSuffix)
    throw new ControlInputError(`cardSuffix ${cardSuffix} is the card Charge Permission ${id} already has; a payment method change needs another card`);
  cp.cardSuffix = cardSuffix;
  makeChargeable(engine, id);
}

export function setScript(engine: Engine, id: string, input: unknown): void {
  const cp = requireChargePermission(engine, id);
  const { next = [], mode = null } = (input ?? {}) as { next?: unknown; mode?: unknown };
  if (!Array.isArray(next)) throw new ControlInputError('next must be an array of script entries');
  cp.script = {
    next: next.map((e, i) => validateEntry(e, `next[${i}]`)),
    mode: mode === null ? null : validateEntry(mode, 'mode'),
  };
  engine.save();
}

function validateEntry(entry: unknown, where: string): string {
  try {
    return validateScriptEntry(entry, where);
  } catch (error) {
    throw new ControlInputError((error as Error).message);
  }
}
