// Changes to a running subscription, each a message to its workflow: the workflow is the only
// writer of billing state, so the client never edits the subscription row itself.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { validateAmountMinor, validateInterval } from '../../billing/plan-rules.js';
import type { BillingInterval, Problem } from '../../billing/types.js';
import { cancelSignal, changePlanUpdate, pauseSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import type { ChangePlanResult, SubscriptionState } from '../../workflows/types.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import { assertPlanWithinMonthlyCap, okOrThrow } from './amazon-checks.js';
import { requireRunning } from './workflow-handle.js';

/** Longest reason an operator may give (pause, resume, stop, refund). */
export const MAX_REASON_LENGTH = 500;

function checkReason(reason: string | undefined, fallback: string): string {
  const text = (reason ?? '').trim() || fallback;
  if (text.length > MAX_REASON_LENGTH) throw InvalidInputError.of('reason', `must be at most ${MAX_REASON_LENGTH} characters, got ${text.length}`);
  return text;
}

export async function pauseSubscription(deps: BillingClientDeps, id: string, options: { reason?: string } = {}): Promise<SubscriptionState> {
  const reason = checkReason(options.reason, 'paused by an operator');
  const { handle } = await requireRunning(deps, id, 'pause');
  await handle.signal(pauseSignal, { reason });
  return handle.query(stateQuery);
}

export async function resumeSubscription(deps: BillingClientDeps, id: string, options: { reason?: string } = {}): Promise<SubscriptionState> {
  const reason = checkReason(options.reason, 'resumed by an operator');
  const { handle } = await requireRunning(deps, id, 'resume');
  await handle.signal(resumeSignal, { reason });
  return handle.query(stateQuery);
}

export interface StopResult {
  mode: 'now' | 'period_end';
  /** After 'period_end': the live state (still billing until then). After 'now': null, the workflow was cancelled. */
  state: SubscriptionState | null;
}

/**
 * 'now' signals the reason and then cancels the workflow, which stops before any further charge;
 * 'period_end' lets the paid period run out and bills nothing after it.
 */
export async function stopSubscription(deps: BillingClientDeps, id: string, options: { atPeriodEnd?: boolean; reason?: string } = {}): Promise<StopResult> {
  const reason = checkReason(options.reason, 'stopped by an operator');
  const { handle } = await requireRunning(deps, id, 'stop');
  if (options.atPeriodEnd) {
    await handle.signal(cancelSignal, { mode: 'period_end', reason });
    return { mode: 'period_end', state: await handle.query(stateQuery) };
  }
  await handle.signal(cancelSignal, { mode: 'now', reason });
  await handle.cancel();
  return { mode: 'now', state: null };
}

export interface ChangePlanInput {
  amountMinor?: string;
  interval?: BillingInterval;
}

/** Amount and/or interval from the next cycle on, through the workflow's validated update. */
export async function changePlan(deps: BillingClientDeps, id: string, change: ChangePlanInput): Promise<ChangePlanResult> {
  const problems: Problem[] = [
    ...(change.amountMinor === undefined ? [] : validateAmountMinor(change.amountMinor, 'amountMinor')),
    ...(change.interval === undefined ? [] : validateInterval(change.interval, { environment: deps.environment }, 'interval')),
  ];
  if (change.amountMinor === undefined && change.interval === undefined) problems.push({ field: 'change', message: 'needs a new amount, a new interval or both' });
  if (problems.length > 0) throw new InvalidInputError(problems);
  const { row, handle } = await requireRunning(deps, id, 'change the plan of');
  if (change.amountMinor !== undefined) {
    // A new amount above the permission's monthly cap could never be charged: refused before the workflow hears of it.
    const permission = okOrThrow(await deps.amazonPay().getChargePermission(row.chargePermissionId), 'charge_permission', row.chargePermissionId, 'Get Charge Permission');
    assertPlanWithinMonthlyCap(permission, change.amountMinor, row.currency, 'amountMinor');
  }
  try {
    return await handle.executeUpdate(changePlanUpdate, {
      args: [{ ...(change.amountMinor === undefined ? {} : { amountMinor: change.amountMinor }), ...(change.interval === undefined ? {} : { interval: change.interval }) }],
    });
  } catch (error) {
    // The workflow's validator refused it (e.g. the subscription ended meanwhile): nothing changed.
    if (error instanceof WorkflowUpdateFailedError) throw new ConflictError(`The subscription refused the plan change: ${error.cause?.message ?? error.message}`);
    throw error;
  }
}
