// REFUND notifications and the refund poll. Every refund is asynchronous at Amazon Pay (Amazon Pay
// API v2: Create Refund): Create Refund answers RefundInitiated and the final state, Refunded or
// Declined, comes later as a REFUND IPN. The IPN is only a hint: Get Refund says what is true, and
// that is written to the refunds row. Reconciliation calls refreshRefund for refunds whose IPN
// never came.
import { fromAmazonPrice } from '../billing/money.js';
import {
  findRefundByRefundId,
  linkPendingRefund,
  pendingRefundsOnPermission,
  recordRefundStatus,
  recordUnknownRefund,
  type RefundStatusUpdate,
} from '../db/queries/refunds.js';
import type { Refund } from '../amazonpay/types.js';
import { readRefund } from '../amazonpay/reads.js';
import { parseCompactTimestamp } from '../amazonpay/compact-timestamp.js';
import type { ReactionDeps, ReactionResult } from './reaction.js';
import { FINAL_REFUND_STATES } from '../billing/vocabulary.js';

export function refundStatusUpdate(refund: Refund, now: Date): RefundStatusUpdate {
  const state = refund.statusDetails.state;
  const final = (FINAL_REFUND_STATES as readonly string[]).includes(state);
  return {
    state,
    // Declined carries why; the description is kept when Amazon sends no code.
    reasonCode: refund.statusDetails.reasonCode ?? (state === 'Declined' ? (refund.statusDetails.reasonDescription ?? null) : null),
    resolvedAt: final ? (parseCompactTimestamp(refund.statusDetails.lastUpdatedTimestamp) ?? now) : null,
    at: now,
  };
}

/** The refund amount in minor units; null when it is in no currency of ours (then it is no refund of ours either). */
function amountOf(refund: Refund): { amountMinor: bigint; currency: string } | null {
  try {
    return fromAmazonPrice(refund.refundAmount);
  } catch {
    return null;
  }
}

/**
 * Fetches a refund the refunds table knows and records its state. 'not_found' when Amazon Pay
 * does not know it (recorded among unknown refunds; the row is left as it is for an operator).
 */
export async function refreshRefund(deps: ReactionDeps, refundId: string): Promise<{ state: string; changed: boolean } | 'not_found'> {
  const before = await findRefundByRefundId(deps.db, refundId);
  const refund = await readRefund(deps, refundId);
  const now = deps.now();
  if (!refund) {
    await recordUnknownRefund(deps.db, refundId, null, 'not_found', now);
    return 'not_found';
  }
  const row = await recordRefundStatus(deps.db, refundId, refundStatusUpdate(refund, now));
  const state = row?.state ?? refund.statusDetails.state;
  return { state, changed: before?.state !== state };
}

/** REFUND IPN: Get Refund, then update the refunds row (or link the pending row it belongs to). */
export async function reactToRefund(deps: ReactionDeps, refundId: string, chargePermissionId: string | null): Promise<ReactionResult> {
  const known = await findRefundByRefundId(deps.db, refundId);
  if (known) {
    const result = await refreshRefund(deps, refundId);
    if (result === 'not_found') return { status: 'ignored', summary: `refund ${refundId} is not known to Amazon Pay` };
    deps.logger?.info({ refundId, subscriptionId: known.subscriptionId, chargeId: known.chargeId, state: result.state }, 'refund state recorded');
    return { status: 'processed', summary: `refund ${refundId} is ${result.state}` };
  }

  // Not ours, unless a refund whose Create Refund answer was lost waits on this permission.
  const candidates = chargePermissionId ? await pendingRefundsOnPermission(deps.db, chargePermissionId) : [];
  if (candidates.length === 0) {
    await recordUnknownRefund(deps.db, refundId, chargePermissionId, 'no_refund_row', deps.now());
    return { status: 'ignored', summary: `refund ${refundId} is not in the refunds table` };
  }
  const refund = await readRefund(deps, refundId);
  if (!refund) {
    await recordUnknownRefund(deps.db, refundId, chargePermissionId, 'not_found', deps.now());
    return { status: 'ignored', summary: `refund ${refundId} is not known to Amazon Pay` };
  }
  const amount = amountOf(refund);
  const linked = amount && (await linkPendingRefund(deps.db, { chargeId: refund.chargeId, ...amount }, refundId, refundStatusUpdate(refund, deps.now())));
  if (!linked) {
    // The answer to Create Refund may have landed in between: then the row has this RefundId now.
    if (await findRefundByRefundId(deps.db, refundId)) return reactToRefund(deps, refundId, chargePermissionId);
    await recordUnknownRefund(deps.db, refundId, chargePermissionId, 'no_refund_row', deps.now());
    return { status: 'ignored', summary: `refund ${refundId} matches no refund of ours` };
  }
  deps.logger?.info(
    { refundId, subscriptionId: linked.subscriptionId, chargeId: linked.chargeId, state: linked.state },
    'pending refund linked to its RefundId',
  );
  return { status: 'processed', summary: `refund ${refundId} linked to ${linked.chargeId}#${linked.seq}; ${linked.state}` };
}
