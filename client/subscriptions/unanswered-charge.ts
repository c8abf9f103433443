// The operator's answer for a charge attempt that may have reached Amazon Pay with no answer
// recorded, on a subscription that was asked to stop and whose workflow is gone. Sending the
// attempt again with its idempotency key would learn its outcome, but if Amazon Pay never got it
// that send would charge after the stop; Amazon Pay has no lookup by idempotency key. So the
// operator looks the charge up (Seller Central, merchant reference "<subscription>:<cycle>") and
// says what they found: its ChargeId, or that there is none.
import { fromAmazonPrice, formatMoney, money } from '../../billing/money.js';
import { validateChargeId } from '../../billing/plan-rules.js';
import { completeCharge, ledgerStateOfCharge, listCharges } from '../../db/queries/charges.js';
import type { ChargeRow, SubscriptionRow } from '../../db/schema/index.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import { okOrThrow } from './amazon-checks.js';

/** What the operator found in Amazon Pay: the Charge the attempt created, or `none`. */
export type UnansweredChargeAnswer = string;

/** The reason code an attempt gets when the operator found no Charge for it. */
export const NOT_RECEIVED_BY_AMAZON_PAY = 'NotReceivedByAmazonPay';

/** An attempt that may have reached Amazon Pay with no answer recorded (sent, or left in flight by a dead worker). */
export function unansweredAttempt(charges: readonly ChargeRow[]): ChargeRow | undefined {
  return charges.find((c) => c.state === 'pending' && (c.sendsInFlight > 0 || c.possiblyProcessed));
}

/**
 * The merchant reference Create Charge gave the attempt's Charge, for finding it in Seller Central:
 * the subscription's own merchantMetadata.merchantReferenceId when it has one, else
 * "<subscription>:<cycle>" (activities/charges.ts).
 */
export function merchantReferenceOf(row: Pick<SubscriptionRow, 'merchantMetadata'>, attempt: Pick<ChargeRow, 'subscriptionId' | 'cycle'>): string {
  const own = (row.merchantMetadata as { merchantReferenceId?: unknown } | null)?.merchantReferenceId;
  return typeof own === 'string' && own !== '' ? own : `${attempt.subscriptionId}:${attempt.cycle}`;
}

/**
 * Records the operator's answer on `attempt` (of subscription `row`): a ChargeId is read with Get
 * Charge and must be a Charge of the subscription's Charge Permission for the attempt's amount
 * (and, when Amazon has one, its merchant reference); its state is written on the attempt with its
 * event (charge.succeeded, charge.pending or charge.failed). `none` writes the attempt as `failed`,
 * reason NotReceivedByAmazonPay (event charge.failed). Throws InvalidInputError (field
 * `unansweredCharge`: not a ChargeId or `none`, or a Charge that is not this attempt's),
 * NotFoundError (Amazon Pay does not know the Charge), UpstreamError.
 */
export async function recordUnansweredChargeAnswer(
  deps: BillingClientDeps,
  row: SubscriptionRow,
  attempt: ChargeRow,
  answer: UnansweredChargeAnswer,
): Promise<void> {
  const key = { subscriptionId: attempt.subscriptionId, cycle: attempt.cycle, attempt: attempt.attempt };
  const completedAt = deps.now();
  if (answer === 'none') {
    await completeCharge(deps.db, key, {
      state: 'failed',
      outcome: 'operator_found_none',
      chargeId: null,
      reasonCode: NOT_RECEIVED_BY_AMAZON_PAY,
      amazonRequestId: null,
      completedAt,
      mayHaveBeenProcessed: false,
    });
    return assertAnswerRecorded(deps, row, attempt, answer, null);
  }
  if (validateChargeId(answer).length > 0)
    throw InvalidInputError.of(
      'unansweredCharge',
      `must be the ChargeId found in Amazon Pay (such as "S01-1234567-1234567-C000001") or "none", got "${answer}"`,
    );
  const charge = okOrThrow(await deps.amazonPay().getCharge(answer), 'charge', answer, 'Get Charge');
  const expected = money(attempt.amountMinor, attempt.currency);
  const mismatches: string[] = [];
  if (charge.chargePermissionId !== row.chargePermissionId)
    mismatches.push(`its Charge Permission is ${charge.chargePermissionId}, not ${row.chargePermissionId}`);
  const amount = fromAmazonPrice(charge.chargeAmount);
  if (amount.currency !== expected.currency || amount.amountMinor !== expected.amountMinor)
    mismatches.push(`its amount is ${formatMoney(amount)}, not the attempt's ${formatMoney(expected)}`);
  const reference = charge.merchantMetadata?.merchantReferenceId ?? null;
  const sent = merchantReferenceOf(row, attempt);
  // Every Create Charge the daemon sends carries one: a Charge without it was made elsewhere.
  if (reference !== sent) mismatches.push(`its merchant reference is ${reference ?? 'none'}, not ${sent}`);
  // A subscription's own merchant reference is the same for every cycle: a Charge the ledger already holds is another attempt's.
  if ((await ledgerStateOfCharge(deps.db, charge.chargeId)) !== undefined) mismatches.push('the ledger already records it for another attempt');
  if (mismatches.length > 0)
    throw InvalidInputError.of(
      'unansweredCharge',
      `Charge ${answer} is not cycle ${attempt.cycle} attempt ${attempt.attempt} of ${row.id}: ${mismatches.join('; ')}`,
    );
  await completeCharge(deps.db, key, {
    state: charge.statusDetails.state,
    outcome: 'operator_found_charge',
    chargeId: charge.chargeId,
    reasonCode: charge.statusDetails.reasonCode ?? null,
    amazonRequestId: null,
    completedAt,
    mayHaveBeenProcessed: true,
  });
  await assertAnswerRecorded(deps, row, attempt, answer, charge.chargeId);
}

/**
 * The attempt's row holds the operator's answer (`chargeId`, or none): another answer written
 * first (two repairs at once) is kept — a recorded ChargeId is never overwritten — and this one
 * is refused, ConflictError naming what the ledger holds.
 */
async function assertAnswerRecorded(deps: BillingClientDeps, row: SubscriptionRow, attempt: ChargeRow, answer: string, chargeId: string | null): Promise<void> {
  const stored = (await listCharges(deps.db, row.id)).find((c) => c.cycle === attempt.cycle && c.attempt === attempt.attempt);
  if (stored && stored.chargeId === chargeId && stored.state !== 'pending') return;
  throw new ConflictError(
    `Cycle ${attempt.cycle} attempt ${attempt.attempt} of ${row.id} was answered meanwhile (${stored?.chargeId ? `Charge ${stored.chargeId}, ${stored.state}` : (stored?.state ?? 'no row')}), not "${answer}": that answer is kept; check it in Amazon Pay`,
  );
}
