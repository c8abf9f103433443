// Refund a charge of the ledger, in full or in part. The refund row (with its deterministic
// idempotency key: charge + per-charge sequence) is written before Create Refund is sent, so
// an unanswered request is re-sent with the same key and cannot refund twice. A request that
// carries the HTTP API's Idempotency-Key binds that key to the refund it recorded or re-sent, so
// its retry continues that refund and never records another one.
import { refundIdempotencyKey } from '../../billing/keys.js';
import { formatMoney, money, toAmazonPrice } from '../../billing/money.js';
import { controlCharacterProblem, validateAmountMinor, validateChargeId } from '../../billing/plan-rules.js';
import type { Problem } from '../../billing/types.js';
import { bindIdempotencyKeyToRefund, refundOfIdempotencyKey, type IdempotencyKeyRef } from '../../db/queries/idempotency.js';
import {
  completeRefund,
  endRefundSend,
  insertRefund,
  leaseRefundSend,
  lastRefundOfCharge,
  lockChargeForRefund,
  reservedRefundMinor,
} from '../../db/queries/refunds.js';
import type { RefundRow } from '../../db/schema/index.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, InvalidInputError, NotFoundError, UpstreamError } from '../errors.js';
import { refundView, type RefundView } from './views.js';
import { MAX_REASON_LENGTH } from './lifecycle.js';

export interface RefundInput {
  chargeId: string;
  /** Minor units; default: everything not refunded yet. */
  amountMinor?: string;
  reason?: string;
  /**
   * The Idempotency-Key the HTTP API claimed for this request (idempotency_keys): the refund is
   * bound to it in the same transaction, and a later request with the key continues that refund
   * (re-sends it while pending, answers it once Amazon Pay did) instead of recording another.
   * A key with no claimed row binds nothing.
   */
  idempotencyKey?: IdempotencyKeyRef;
}

export interface RefundResult {
  refund: RefundView;
  subscriptionId: string;
  /** What can still be refunded of this charge after this refund, in minor units. */
  remainingMinor: string;
  /** True when an earlier unanswered request was re-sent with its original key. */
  resent: boolean;
}

/** The input's shape (ChargeId, amount, reason length), InvalidInputError naming every bad field; nothing is read. */
export function checkRefundInput(input: RefundInput): void {
  const problems: Problem[] = [
    ...validateChargeId(input.chargeId, 'chargeId'),
    ...(input.amountMinor === undefined ? [] : validateAmountMinor(input.amountMinor, 'amountMinor')),
  ];
  if (input.reason !== undefined && input.reason.length > MAX_REASON_LENGTH)
    problems.push({ field: 'reason', message: `must be at most ${MAX_REASON_LENGTH} characters, got ${input.reason.length}` });
  const control = input.reason === undefined ? null : controlCharacterProblem(input.reason);
  if (control !== null) problems.push({ field: 'reason', message: control });
  if (problems.length > 0) throw new InvalidInputError(problems);
}

/**
 * How long a request that (re-)sends Create Refund owns its pending refund: longer than the
 * longest Amazon Pay client timeout (amazonPay.timeoutMs, at most 120 s), so a sender still
 * waiting for its answer is never overtaken; a sender that crashed frees it after this.
 */
export const REFUND_SEND_LEASE_MS = 150_000;

/** Seconds a caller is told to wait (Retry-After) when another request's refund of the charge is in flight. */
const REFUND_IN_FLIGHT_RETRY_SECONDS = 2;

/**
 * Refunds a Captured charge (RefundResult), or throws: NotFoundError (no such ChargeId),
 * InvalidInputError (bad shape, more than is refundable), ConflictError (not Captured, key reused,
 * Amazon Pay refused, or another refund of the charge unconfirmed: then with retryAfterSeconds),
 * UpstreamError (Amazon Pay did not answer: the row stays pending, run the same refund again).
 *
 * At most one refund of a charge is pending at a time (a REFUND IPN links its RefundId by charge
 * and amount, db/queries/refunds.ts linkPendingRefund). While one is pending:
 * - the same Idempotency-Key continues it (re-sends it, or answers it as it stands);
 * - another Idempotency-Key is another refund: 409, Retry-After (it runs once the first is confirmed);
 * - without a key (the CLI, a caller without the header), a refund of the same amount or of no
 *   amount re-sends it only when no request is sending it any more (its send lease ended: the
 *   sender got no answer, or crashed REFUND_SEND_LEASE_MS ago); while one still is, 409 with
 *   Retry-After: two callers' refunds are never merged into one.
 */
export async function refundCharge(deps: BillingClientDeps, input: RefundInput): Promise<RefundResult> {
  checkRefundInput(input);
  const now = deps.now();
  const leaseUntil = new Date(now.getTime() + REFUND_SEND_LEASE_MS);

  const { row, resent, capturedMinor } = await deps.db.transaction(async (tx) => {
    const charge = await lockChargeForRefund(tx, input.chargeId);
    if (!charge) throw new NotFoundError('charge', input.chargeId, 'no charge of any subscription has this ChargeId');
    const requested = input.amountMinor === undefined ? undefined : BigInt(input.amountMinor);
    const bound = input.idempotencyKey === undefined ? undefined : await refundOfIdempotencyKey(tx, input.idempotencyKey);
    if (bound) {
      const own = continueBoundRefund(bound, input, requested);
      return {
        row: own.state === 'pending' ? await leaseRefundSend(tx, own.id, leaseUntil) : own,
        resent: own.state === 'pending',
        capturedMinor: charge.amountMinor,
      };
    }
    if (charge.state !== 'Captured') throw new ConflictError(`Charge ${input.chargeId} is ${charge.state}; only a Captured charge can be refunded`);
    const show = (minor: bigint): string => formatMoney(money(minor, charge.currency));
    const bind = async (refund: RefundRow): Promise<RefundRow> => {
      if (input.idempotencyKey !== undefined) await bindIdempotencyKeyToRefund(tx, input.idempotencyKey, refund.id);
      return refund;
    };
    const last = await lastRefundOfCharge(tx, input.chargeId);
    if (last?.state === 'pending') {
      const sending = last.sendLeaseUntil !== null && last.sendLeaseUntil > now;
      const sameRefund = requested === undefined || requested === last.amountMinor;
      if (input.idempotencyKey === undefined && !sending && sameRefund)
        return { row: await leaseRefundSend(tx, last.id, leaseUntil), resent: true, capturedMinor: charge.amountMinor };
      throw pendingRefundConflict(last, show, { sending, keyed: input.idempotencyKey !== undefined });
    }
    const reserved = await reservedRefundMinor(tx, input.chargeId);
    const available = charge.amountMinor - reserved;
    if (available <= 0n) throw InvalidInputError.of('amountMinor', `nothing left to refund: ${show(reserved)} of ${show(charge.amountMinor)} already refunded`);
    const amount = requested ?? available;
    if (amount > available) {
      throw InvalidInputError.of(
        'amountMinor',
        `${show(amount)} exceeds what is refundable: ${show(available)} (captured ${show(charge.amountMinor)}, refunded ${show(reserved)})`,
      );
    }
    const seq = (last?.seq ?? 0) + 1;
    const stored = await insertRefund(tx, {
      subscriptionId: charge.subscriptionId,
      chargeId: input.chargeId,
      seq,
      idempotencyKey: refundIdempotencyKey({ chargeId: input.chargeId, refundSeq: seq }),
      amountMinor: amount,
      currency: charge.currency,
      reason: input.reason ?? null,
      at: now,
      sendLeaseUntil: leaseUntil,
    });
    return { row: await bind(stored), resent: false, capturedMinor: charge.amountMinor };
  });

  // Only a pending refund is (re-)sent: one its key already saw answered is answered as it stands.
  const completed = row.state === 'pending' ? await sendRefund(deps, row) : row;
  const reservedAfter = await reservedRefundMinor(deps.db, input.chargeId);
  return { refund: refundView(completed), subscriptionId: row.subscriptionId, remainingMinor: (capturedMinor - reservedAfter).toString(), resent };
}

/**
 * Another refund of the charge is not confirmed by Amazon Pay yet; a conflict that clears once
 * it is (retryAfterSeconds), so an Idempotency-Key is never bound to this answer.
 */
function pendingRefundConflict(last: RefundRow, show: (minor: bigint) => string, how: { sending: boolean; keyed: boolean }): ConflictError {
  const earlier = `An earlier refund of ${show(last.amountMinor)} on ${last.chargeId} (refund ${last.seq})`;
  if (how.sending) {
    return new ConflictError(
      `${earlier} is being sent to Amazon Pay by another request right now; send this refund again in a few seconds, once that one is confirmed`,
      [],
      REFUND_IN_FLIGHT_RETRY_SECONDS,
    );
  }
  const resend = how.keyed
    ? `re-send it (its own Idempotency-Key, or the same refund without one), then send this one again`
    : `run the refund of ${show(last.amountMinor)} again to re-send it (same Amazon Pay idempotency key) before asking for another`;
  return new ConflictError(`${earlier} is not confirmed by Amazon Pay yet; ${resend}`, [], REFUND_IN_FLIGHT_RETRY_SECONDS);
}

/**
 * The refund an Idempotency-Key is already bound to, for a retry of the request that made it:
 * pending (re-sent by the caller), answered (returned as it is), or refused by Amazon Pay
 * (ConflictError, as the first answer was). A bound refund of another charge or amount means the
 * key is reused for another refund: ConflictError.
 */
function continueBoundRefund(bound: RefundRow, input: RefundInput, requested: bigint | undefined): RefundRow {
  if (bound.chargeId !== input.chargeId || (requested !== undefined && requested !== bound.amountMinor)) {
    throw new ConflictError(
      `Idempotency-Key ${JSON.stringify(input.idempotencyKey?.key)} belongs to refund ${bound.seq} of ${bound.chargeId} (${formatMoney(money(bound.amountMinor, bound.currency))}); use a new key for another refund`,
    );
  }
  if (bound.state === 'failed')
    throw new ConflictError(`Amazon Pay refused the refund of ${bound.chargeId} made with this Idempotency-Key: ${bound.reasonCode ?? 'no reason given'}`);
  return bound;
}

async function sendRefund(deps: BillingClientDeps, row: RefundRow): Promise<RefundRow> {
  const outcome = await deps
    .amazonPay()
    .createRefund({ chargeId: row.chargeId, refundAmount: toAmazonPrice(money(row.amountMinor, row.currency)) }, { idempotencyKey: row.idempotencyKey })
    .catch(async (error: unknown) => {
      await endRefundSend(deps.db, row.id).catch(() => undefined);
      throw error;
    });
  if (outcome.kind === 'ok') {
    return completeRefund(deps.db, row.id, {
      state: outcome.body.statusDetails.state,
      refundId: outcome.body.refundId,
      reasonCode: outcome.body.statusDetails.reasonCode,
      at: deps.now(),
    });
  }
  if (outcome.kind === 'throttled' || outcome.kind === 'transient') {
    // Amazon may have processed it: the row stays pending and the next attempt re-sends the same key;
    // this sender is done, so a retry without an Idempotency-Key (the CLI) may take it over at once.
    await endRefundSend(deps.db, row.id);
    throw new UpstreamError(
      `Amazon Pay did not confirm the refund (${outcome.kind}: ${outcome.message}); run the same refund again, it re-sends the same idempotency key`,
      true,
    );
  }
  await completeRefund(deps.db, row.id, { state: 'failed', refundId: null, reasonCode: outcome.reasonCode, at: deps.now() });
  throw new ConflictError(`Amazon Pay refused the refund of ${row.chargeId}: ${outcome.reasonCode}: ${outcome.message}`);
}
