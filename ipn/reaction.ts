// What an IPN (or a reconciliation poll) does: fetch the object's current state from Amazon
// Pay — the IPN body is only a hint, never evidence — and tell the affected subscription
// workflows. A closed Charge Permission cancels every subscription on it; any other state is
// passed on as a permissionStatus signal and the workflow decides.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AmazonPayClient } from '../amazonpay/client.js';
import type { AmazonPayOutcome } from '../amazonpay/outcomes.js';
import type { ChargePermission } from '../amazonpay/types.js';
import { monthlyCapOf } from '../amazonpay/monthly-caps.js';
import type { Database } from '../db/client.js';
import {
  activeSubscriptionsOnPermission,
  isKnownMissingPermission,
  recordPermissionCheck,
  recordUnknownPermission,
  subscriptionOfCharge,
} from '../db/queries/ipn-inbox.js';
import type { SubscriptionRow } from '../db/schema/index.js';
import type { ActivityMetrics } from '../activities/ipn-metrics.js';
import { cancelSignal, chargeUpdateSignal, permissionStatusSignal } from '../workflows/messages.js';
import type { PermissionStatus } from '../workflows/types.js';
import { isChargeStateIn, TERMINAL_CHARGE_STATES } from '../billing/vocabulary.js';

export interface ReactionDeps {
  db: Database;
  amazonPay: AmazonPayClient;
  temporal: Client;
  now: () => Date;
  logger?: Logger;
  metrics?: Pick<ActivityMetrics, 'onAmazonThrottled'>;
}

export interface ReactionResult {
  status: 'processed' | 'ignored';
  summary: string;
}

/** An Amazon Pay read that did not succeed; `outcome` says whether a retry can help. */
export class AmazonReadFailed extends Error {
  override name = 'AmazonReadFailed';
  constructor(
    readonly operation: string,
    readonly outcome: Exclude<AmazonPayOutcome<unknown>, { kind: 'ok' }>,
  ) {
    super(`${operation}: ${outcome.kind}${'reasonCode' in outcome && outcome.reasonCode ? ` ${outcome.reasonCode}` : ''}`);
  }
  get retryable(): boolean {
    return this.outcome.kind === 'throttled' || this.outcome.kind === 'transient';
  }
}

/**
 * Maps Amazon's Charge Permission to what the workflow understands; an unknown state is never
 * chargeable. Also carries the payment descriptor (e.g. "Visa ****1111": a change is Amazon's
 * own evidence that the buyer replaced the payment method) and the monthly cap
 * (amazonpay/monthly-caps.ts) when known.
 */
export function permissionStatusOf(permission: ChargePermission): PermissionStatus {
  const state = permission.statusDetails.state;
  const reasons = (permission.statusDetails.reasons ?? []).map((r) => r.reasonCode);
  const details = { paymentDescriptor: paymentDescriptorOf(permission), amountLimit: monthlyCapOf(permission) };
  if (state === 'Chargeable' || state === 'NonChargeable' || state === 'Closed') return { state: state as PermissionStatus['state'], reasons, ...details };
  return { state: 'NonChargeable', reasons: [`Unknown:${state}`], ...details };
}

function paymentDescriptorOf(permission: ChargePermission): string | null {
  const descriptors = (permission.paymentPreferences ?? []).map((p) => (p && typeof p === 'object' && 'paymentDescriptor' in p ? String(p.paymentDescriptor) : null)).filter((d) => d !== null);
  return descriptors.length > 0 ? descriptors.join(', ') : null;
}

/** Fetches the Charge Permission; null when Amazon Pay does not know it. Throws AmazonReadFailed otherwise. */
export async function fetchPermissionStatus(deps: ReactionDeps, chargePermissionId: string): Promise<PermissionStatus> {
  const outcome = await deps.amazonPay.getChargePermission(chargePermissionId);
  if (outcome.kind === 'ok') return permissionStatusOf(outcome.body);
  if (outcome.kind === 'permission_state' && outcome.reasonCode === 'ResourceNotFound') return { state: 'NotFound', reasons: ['ResourceNotFound'] };
  if (outcome.kind === 'throttled') deps.metrics?.onAmazonThrottled('getChargePermission');
  throw new AmazonReadFailed('getChargePermission', outcome);
}

/** CHARGE_PERMISSION IPN: fetch, then cancel or signal every non-final subscription on it. */
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
  const status = await fetchPermissionStatus(deps, chargePermissionId);
  if (status.state === 'NotFound') await recordUnknownPermission(deps.db, chargePermissionId, 'not_found', deps.now());
  const touched = await applyPermissionStatus(deps, subscriptions, status, 'ipn');
  // After the subscriptions were told: reconciliation signals only a state other than the one
  // recorded here, so a reaction that failed half-way must not record what nobody was told.
  await recordPermissionCheck(deps.db, chargePermissionId, status.state, deps.now());
  return { status: 'processed', summary: `${chargePermissionId} is ${status.state}${status.reasons.length ? ` (${status.reasons.join(', ')})` : ''}; ${touched} subscription(s) told` };
}

/**
 * Closed: cancel each subscription's workflow, after a cancel signal carrying the closure
 * reason (BuyerClosed, BuyerCanceled, AmazonClosed, …) that the workflow records as it ends.
 * Other states: a permissionStatus signal. Workflows that already ended are skipped.
 */
export async function applyPermissionStatus(deps: ReactionDeps, subscriptions: SubscriptionRow[], status: PermissionStatus, source: 'ipn' | 'poll'): Promise<number> {
  let touched = 0;
  for (const subscription of subscriptions) {
    const handle = deps.temporal.workflow.getHandle(subscription.workflowId);
    const log = deps.logger?.child({ subscriptionId: subscription.id, chargePermissionId: subscription.chargePermissionId });
    try {
      if (status.state === 'Closed') {
        const reason = status.reasons[0] ?? 'ChargePermissionClosed';
        await handle.signal(cancelSignal, { mode: 'now', reason });
        await handle.cancel();
        log?.info({ reason }, 'charge permission closed: subscription cancelled');
      } else {
        await handle.signal(permissionStatusSignal, { ...status, source });
        log?.info({ state: status.state, reasons: status.reasons }, 'charge permission state passed to the subscription');
      }
      touched += 1;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) continue;
      throw error;
    }
  }
  return touched;
}

/** Charge states Amazon Pay never leaves. */

/**
 * Why a CHARGE IPN needs no reaction, or null when it does. No ledger row has the ChargeId:
 * nothing of ours to tell (a charge still pending when its Create Charge answer arrives is
 * polled by its workflow). The ledger holds it in a terminal state: the IPN can only repeat it.
 * The dispatcher asks this before starting a handler, and the handler again before Get Charge.
 */
export function chargeIpnNeedsNoReaction(chargeId: string, ledgerState: string | undefined): string | null {
  if (ledgerState === undefined) return `charge ${chargeId} is not in the ledger`;
  if (isChargeStateIn(ledgerState, TERMINAL_CHARGE_STATES)) return `charge ${chargeId} is already ${ledgerState} in the ledger, a state Amazon Pay never leaves`;
  return null;
}

/** CHARGE IPN: fetch the charge and hand its state to the subscription that made it. */
export async function reactToCharge(deps: ReactionDeps, chargeId: string): Promise<ReactionResult> {
  const owner = await subscriptionOfCharge(deps.db, chargeId);
  const noReaction = chargeIpnNeedsNoReaction(chargeId, owner?.ledgerState);
  if (noReaction !== null || !owner) return { status: 'ignored', summary: noReaction ?? `charge ${chargeId} is not in the ledger` };
  const outcome = await deps.amazonPay.getCharge(chargeId);
  if (outcome.kind !== 'ok') {
    if (outcome.kind === 'throttled') deps.metrics?.onAmazonThrottled('getCharge');
    throw new AmazonReadFailed('getCharge', outcome);
  }
  const update = { chargeId: outcome.body.chargeId, state: outcome.body.statusDetails.state, reasonCode: outcome.body.statusDetails.reasonCode ?? null };
  try {
    await deps.temporal.workflow.getHandle(owner.workflowId).signal(chargeUpdateSignal, update);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { status: 'ignored', summary: `subscription ${owner.subscriptionId} has ended; charge ${chargeId} is ${update.state}` };
    throw error;
  }
  deps.logger?.info({ subscriptionId: owner.subscriptionId, chargeId, state: update.state }, 'charge state passed to the subscription');
  return { status: 'processed', summary: `charge ${chargeId} is ${update.state}` };
}
