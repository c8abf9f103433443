// What an IPN (or a reconciliation poll) does: fetch the object's current state from Amazon
// Pay — the IPN body is only a hint, never evidence — and tell the affected subscription
// workflows. A closed Charge Permission stops every subscription on it — ended
// ChargePermissionExpired when Amazon closed it as Expired, canceled with the closure reason
// otherwise (billing/permission-end.ts) —; any other state is passed on as a permissionStatus
// signal and the workflow decides.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { readChargeUpdate, readPermissionStatus, type AmazonReadDeps } from '../amazonpay/reads.js';
import { stopSubscriptionNow } from '../client/subscriptions/stop-now.js';
import type { Database } from '../db/client.js';
import { resolvePendingCharge } from '../db/queries/charges.js';
import { isKnownMissingPermission, recordPermissionCheck, recordPermissionExpiry, recordUnknownPermission } from '../db/queries/permissions.js';
import { activeSubscriptionsOnPermission, subscriptionOfCharge } from '../db/queries/subscriptions.js';
import type { SubscriptionRow } from '../db/schema/index.js';
import { chargeUpdateSignal, permissionStatusPayload, permissionStatusSignal } from '../workflows/messages.js';
import type { PermissionStatus } from '../workflows/types.js';
import { isChargeStateIn, TERMINAL_CHARGE_STATES } from '../billing/vocabulary.js';
import { endingForPermission } from '../billing/permission-end.js';

/** What a reaction needs: Amazon Pay reads (amazonpay/reads.ts, which count every 429), the database, Temporal. */
export interface ReactionDeps extends AmazonReadDeps {
  db: Database;
  temporal: Client;
  now: () => Date;
  logger?: Logger;
}

export interface ReactionResult {
  status: 'processed' | 'ignored';
  summary: string;
}

/** CHARGE_PERMISSION IPN: fetch, then stop or signal every non-final subscription on it. */
export async function reactToPermission(deps: ReactionDeps, chargePermissionId: string): Promise<ReactionResult> {
  const subscriptions = await activeSubscriptionsOnPermission(deps.db, chargePermissionId);
  if (subscriptions.length === 0) {
    // Nothing of ours bills on it: no Amazon call, just remember we saw it.
    await recordUnknownPermission(deps.db, chargePermissionId, 'no_subscription', deps.now());
    return { status: 'ignored', summary: `no active subscription on ${chargePermissionId}` };
  }
  if (await isKnownMissingPermission(deps.db, chargePermissionId)) {
    await recordUnknownPermission(deps.db, chargePermissionId, 'not_found', deps.now());
    return { status: 'ignored', summary: `${chargePermissionId} is already known to be missing in Amazon Pay` };
  }
  const status = await readPermissionStatus(deps, chargePermissionId);
  if (status.state === 'NotFound') await recordUnknownPermission(deps.db, chargePermissionId, 'not_found', deps.now());
  // Amazon's answer after an IPN is evidence of a change.
  const touched = await applyPermissionStatus(deps, subscriptions, status, { evidenceOfChange: true });
  // After the subscriptions were told: reconciliation signals only a state (or an expiry) other
  // than the one recorded here, so a reaction that failed half-way must not record what nobody was told.
  await recordPermissionExpiry(deps.db, chargePermissionId, status.expiresAt, deps.now());
  await recordPermissionCheck(deps.db, chargePermissionId, status.state, deps.now());
  return {
    status: 'processed',
    summary: `${chargePermissionId} is ${status.state}${status.reasons.length ? ` (${status.reasons.join(', ')})` : ''}; ${touched} subscription(s) told`,
  };
}

/**
 * Closed: stop each subscription now (client/subscriptions/stop-now.ts) with the end
 * billing/permission-end.ts gives the closure — ended ChargePermissionExpired for Expired,
 * canceled with the closure reason (BuyerClosed, BuyerCanceled, AmazonClosed, …) otherwise —,
 * which the workflow records as it ends; one whose workflow is not running (failed, terminated)
 * is finished from the database with it; so is one on a NotFound permission (its running
 * workflow would stop on that answer). Other
 * states: a permissionStatus signal saying whether this answer is evidence of a change (see
 * workflows/types.ts PermissionStatusSignal). Workflows that already ended are skipped.
 * Returns how many subscriptions were told.
 */
export async function applyPermissionStatus(
  deps: ReactionDeps,
  subscriptions: SubscriptionRow[],
  status: PermissionStatus,
  { evidenceOfChange }: { evidenceOfChange: boolean },
): Promise<number> {
  let touched = 0;
  // Closed and NotFound end the subscriptions: how, said once for every path (billing/permission-end.ts).
  const ending = endingForPermission(status);
  for (const subscription of subscriptions) {
    const handle = deps.temporal.workflow.getHandle(subscription.workflowId);
    const log = deps.logger?.child({ subscriptionId: subscription.id, chargePermissionId: subscription.chargePermissionId });
    try {
      if (status.state === 'Closed' && ending) {
        const outcome = await stopSubscriptionNow(deps, handle, { subscriptionId: subscription.id, ...ending });
        if ('alreadyFinal' in outcome) continue;
        if ('finish' in outcome)
          log?.warn(
            { reason: ending.reason, workflowState: outcome.workflowState, ...outcome.finish },
            'charge permission closed: the subscription workflow was not running, so the stop was recorded and the subscription finished from the database',
          );
        else log?.info({ reason: ending.reason, status: ending.status }, `charge permission closed: subscription stopped (${ending.status})`);
      } else {
        await handle.signal(permissionStatusSignal, permissionStatusPayload(status, evidenceOfChange));
        log?.info({ state: status.state, reasons: status.reasons }, 'charge permission state passed to the subscription');
      }
      touched += 1;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      // A permission Amazon no longer knows ends a running workflow (it stops on NotFound); one
      // whose workflow is not running is stopped the same way here, from the database, instead
      // of staying live with nobody to bill or end it.
      if (status.state !== 'NotFound' || !ending) continue;
      const outcome = await stopSubscriptionNow(deps, handle, { subscriptionId: subscription.id, ...ending });
      if ('alreadyFinal' in outcome) continue;
      log?.warn(
        { reason: ending.reason, workflowState: outcome.workflowState },
        'charge permission not found: the subscription workflow was not running, so the subscription was stopped',
      );
      touched += 1;
    }
  }
  return touched;
}

/**
 * The subscriptions whose permission_expires_at is not the expiry Amazon answered (`status
 * .expiresAt`); none when the answer states no readable expiry. Reconciliation tells these even
 * when the state is unchanged.
 */
export function withStaleExpiry(subscriptions: SubscriptionRow[], status: PermissionStatus): SubscriptionRow[] {
  const answered = status.expiresAt;
  if (answered === undefined) return [];
  return subscriptions.filter((s) => (s.permissionExpiresAt?.toISOString() ?? null) !== (answered === null ? null : new Date(answered).toISOString()));
}

/**
 * Why a CHARGE IPN needs no reaction, or null when it does. No ledger row has the ChargeId:
 * nothing of ours to tell (a charge still pending when its Create Charge answer arrives is
 * polled by its workflow). The ledger holds it in a terminal state: the IPN can only repeat it.
 * The dispatcher asks this before starting a handler, and the handler again before Get Charge.
 */
export function chargeIpnNeedsNoReaction(chargeId: string, ledgerState: string | undefined): string | null {
  if (ledgerState === undefined) return `charge ${chargeId} is not in the ledger`;
  if (isChargeStateIn(ledgerState, TERMINAL_CHARGE_STATES))
    return `charge ${chargeId} is already ${ledgerState} in the ledger, a state Amazon Pay never leaves`;
  return null;
}

/**
 * CHARGE IPN: fetch the charge and hand its state to the subscription that made it. When that
 * subscription's workflow is not running (ended meanwhile, or failed/terminated and waiting for
 * `billing repair`), the state is written to the charge's ledger row here, with its event
 * (db/queries/charges.ts resolvePendingCharge): the ledger stays what Amazon Pay says, and a
 * repair starts from the charge's final state instead of polling for it.
 */
export async function reactToCharge(deps: ReactionDeps, chargeId: string): Promise<ReactionResult> {
  const owner = await subscriptionOfCharge(deps.db, chargeId);
  const noReaction = chargeIpnNeedsNoReaction(chargeId, owner?.ledgerState);
  if (noReaction !== null || !owner) return { status: 'ignored', summary: noReaction ?? `charge ${chargeId} is not in the ledger` };
  const update = await readChargeUpdate(deps, chargeId);
  try {
    await deps.temporal.workflow.getHandle(owner.workflowId).signal(chargeUpdateSignal, update);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    const { subscriptionId, cycle, attempt } = owner;
    await resolvePendingCharge(deps.db, { subscriptionId, cycle, attempt, chargeId }, { state: update.state, reasonCode: update.reasonCode, at: deps.now() });
    deps.logger?.info({ subscriptionId, chargeId, state: update.state }, 'charge state written to the ledger: the subscription workflow is not running');
    return {
      status: 'processed',
      summary: `charge ${chargeId} is ${update.state}, written to the ledger (subscription ${subscriptionId}'s workflow is not running)`,
    };
  }
  deps.logger?.info({ subscriptionId: owner.subscriptionId, chargeId, state: update.state }, 'charge state passed to the subscription');
  return { status: 'processed', summary: `charge ${chargeId} is ${update.state}` };
}
