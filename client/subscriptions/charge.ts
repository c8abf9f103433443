// One charge of the ledger by its Amazon Pay ChargeId, with its refunds and what is still refundable.
import { validateChargeId } from '../../billing/plan-rules.js';
import { findChargeByChargeId, listRefundsOfCharge, reservedRefundMinor } from '../../db/queries/refunds.js';
import type { BillingClientDeps } from '../deps.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { chargeView, refundView, type ChargeView, type RefundView } from './views.js';

export interface ChargeDetails {
  subscriptionId: string;
  charge: ChargeView;
  refunds: RefundView[];
  /** Captured amount minus refunds not declined or failed, in minor units; "0" for a charge that was not captured. */
  refundableMinor: string;
}

export async function getCharge(deps: BillingClientDeps, chargeId: string): Promise<ChargeDetails> {
  const problems = validateChargeId(chargeId, 'chargeId');
  if (problems.length > 0) throw new InvalidInputError(problems);
  const row = await findChargeByChargeId(deps.db, chargeId);
  if (!row) throw new NotFoundError('charge', chargeId, 'no charge of any subscription has this ChargeId');
  const [refunds, reserved] = await Promise.all([listRefundsOfCharge(deps.db, chargeId), reservedRefundMinor(deps.db, chargeId)]);
  const refundable = row.state === 'Captured' ? row.amountMinor - reserved : 0n;
  return {
    subscriptionId: row.subscriptionId,
    charge: chargeView(row),
    refunds: refunds.map(refundView),
    refundableMinor: (refundable > 0n ? refundable : 0n).toString(),
  };
}
