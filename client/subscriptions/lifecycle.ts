// Changes to a running subscription, each a message to its workflow: the workflow is the only
// writer of billing state, so the client never edits the subscription row itself.
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { isFinalSubscriptionStatus, REPLACED_BY_PREFIX } from '../../billing/vocabulary.js';
import { controlCharacterProblem, validateAmountMinor, validateInterval } from '../../billing/plan-rules.js';
import type { BillingEnvironment, BillingInterval, IntervalUnit, Problem, SubscriptionStatus } from '../../billing/types.js';
import { changePlanUpdate, pauseSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import type { ChangePlanResult, SubscriptionState } from '../../workflows/types.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import { expiresAtOf } from '../../amazonpay/reads.js';
import { recordPermissionExpiry } from '../../db/queries/permissions.js';
import { assertPlanWithinMonthlyCap, okOrThrow } from './amazon-checks.js';
import { otherPlansOnPermission, withPermissionLease } from './permission-plans.js';
import { whyNotReplaceableNow } from '../checkout/replace.js';
import { assertChangeWithoutCheckout, recurringMetadataAsRead, recurringMetadataFor, updateRecurringMetadata } from './plan-terms.js';
import { stopSubscriptionAtPeriodEnd } from './stop-at-period-end.js';
import { stopSubscriptionNow, workflowStateOf } from './stop-now.js';
import { requireRunning, requireSubscriptionRow, subscriptionHandle, type SubscriptionHandle } from './workflow-handle.js';

/** Longest reason an operator may give (pause, resume, stop, refund). */
export const MAX_REASON_LENGTH = 500;

/**
 * How long pause and resume wait for the workflow to show their effect in its status. A signal
 * is taken at once (`paused` flips in its handler), but the status follows only after the
 * workflow wrote it to PostgreSQL (an activity): without this wait the answer would show the
 * status from before the change.
 */
export const APPLY_WAIT_MS = 5_000;

/** Statuses in which the workflow waits in a place that shows a pause as status `paused` (between cycles, dunning). */
const PAUSE_SHOWS_IN: ReadonlySet<SubscriptionStatus> = new Set(['active', 'trialing', 'past_due']);

/** Queries the workflow until `applied` holds or `boundMs` passed (then the last state seen); polls at 20 ms growing to 200 ms. */
async function stateOnceApplied(
  handle: SubscriptionHandle,
  applied: (state: SubscriptionState) => boolean,
  boundMs = APPLY_WAIT_MS,
): Promise<SubscriptionState> {
  const deadline = Date.now() + boundMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
    const state = await handle.query(stateQuery);
    const left = deadline - Date.now();
    if (applied(state) || left <= 0) return state;
    await new Promise((resolve) => setTimeout(resolve, Math.min(delay, left)));
  }
}

/** The reason text (`fallback` when empty), or InvalidInputError on field reason: too long or with control characters. */
export function checkReason(reason: string | undefined, fallback: string): string {
  const text = (reason ?? '').trim() || fallback;
  if (text.length > MAX_REASON_LENGTH) throw InvalidInputError.of('reason', `must be at most ${MAX_REASON_LENGTH} characters, got ${text.length}`);
  // Checked before any signal: a reason PostgreSQL cannot store would fail the workflow's status write on every retry.
  const control = controlCharacterProblem(text);
  if (control !== null) throw InvalidInputError.of('reason', control);
  // subscription.canceled's replaced_by is read from this reason: only a replacement checkout writes it (client/checkout/replace.ts).
  if (text.startsWith(REPLACED_BY_PREFIX))
    throw InvalidInputError.of(
      'reason',
      `must not start with "${REPLACED_BY_PREFIX}", which marks a subscription replaced by a checkout (replacesSubscriptionId); write another reason`,
    );
  return text;
}

export async function pauseSubscription(deps: BillingClientDeps, id: string, options: { reason?: string } = {}): Promise<SubscriptionState> {
  const reason = checkReason(options.reason, 'paused by an operator');
  const { handle } = await requireRunning(deps, id, 'pause');
  await handle.signal(pauseSignal, { reason });
  // Shown once the workflow has written `paused`; where a pause cannot show yet (a charge in
  // flight, a wait for a payment method), the state with `paused: true` after the bound.
  return stateOnceApplied(handle, (s) => !s.paused || s.status === 'paused' || !PAUSE_SHOWS_IN.has(s.status));
}

export async function resumeSubscription(deps: BillingClientDeps, id: string, options: { reason?: string } = {}): Promise<SubscriptionState> {
  const reason = checkReason(options.reason, 'resumed by an operator');
  const { handle } = await requireRunning(deps, id, 'resume');
  await handle.signal(resumeSignal, { reason });
  return stateOnceApplied(handle, (s) => s.paused || s.status !== 'paused');
}

export interface StopResult {
  mode: 'now' | 'period_end';
  /** After 'period_end': the live state (still billing until then). After 'now': null, the workflow was cancelled. */
  state: SubscriptionState | null;
  /**
   * After 'now' when the workflow was not running (failed, terminated, gone): the stop was
   * recorded and the subscription finished from the database (stop-now.ts) — `status` canceled with
   * the reason, or ended as its completed run had —, or, while a charge may have reached Amazon Pay
   * unanswered, left live (`status` null) with `why`: nothing is charged and repair does not restart it.
   */
  finishedWithoutWorkflow?: { workflowState: string; status: 'canceled' | 'ended' | null; reason: string | null; why?: string };
  /**
   * After 'period_end': the stop as recorded in PostgreSQL (stop-at-period-end.ts) — when (ISO UTC),
   * why, the last cycle that may still be billed (-1: none) and when the subscription ends (ISO
   * UTC; null when not known) — and what Temporal said of the workflow: not RUNNING means billing
   * is not running and `billing repair` finishes the subscription (or restarts it to the period's end).
   */
  periodEnd?: { requestedAt: string; reason: string; afterCycle: number; endsAt: string | null; workflowState: string };
}

/**
 * 'now' records the stop, signals the reason and then cancels the workflow, which stops before
 * any further charge; a subscription whose workflow is not running is finished from the database
 * (client/subscriptions/stop-now.ts). 'period_end' lets the paid period run out and bills nothing
 * after it: recorded in PostgreSQL first, then signalled (stop-at-period-end.ts); a subscription
 * whose workflow is not running keeps the recorded stop (`periodEnd.workflowState`) for `billing
 * repair`. Conflict when the subscription has already finished.
 */
export async function stopSubscription(deps: BillingClientDeps, id: string, options: { atPeriodEnd?: boolean; reason?: string } = {}): Promise<StopResult> {
  const reason = checkReason(options.reason, 'stopped by an operator');
  const row = await requireSubscriptionRow(deps, id);
  const handle = subscriptionHandle(await deps.temporal(), id);
  const finished = (state: string, status: string) =>
    new ConflictError(`Cannot stop subscription ${id}: it has already finished (workflow ${state}, status ${status})`);
  if (options.atPeriodEnd) {
    if (isFinalSubscriptionStatus(row.status)) throw finished((await workflowStateOf(handle)).toLowerCase(), row.status);
    const outcome = await stopSubscriptionAtPeriodEnd(deps, handle, { subscriptionId: id, reason });
    const { recorded } = outcome;
    return {
      mode: 'period_end',
      state: outcome.state,
      periodEnd: {
        requestedAt: recorded.at.toISOString(),
        reason: recorded.reason,
        afterCycle: recorded.afterCycle,
        endsAt: recorded.endsAt?.toISOString() ?? null,
        workflowState: outcome.workflowState,
      },
    };
  }
  if (isFinalSubscriptionStatus(row.status)) {
    // A final row whose workflow still runs is still told (the workflow decides); otherwise there is nothing to stop.
    const state = await workflowStateOf(handle);
    if (state !== 'RUNNING') throw finished(state.toLowerCase(), row.status);
  }
  const outcome = await stopSubscriptionNow(deps, handle, { subscriptionId: id, reason });
  if ('alreadyFinal' in outcome) throw finished('completed while the request was sent', outcome.alreadyFinal);
  if (!('finish' in outcome)) return { mode: 'now', state: null };
  const { finish, workflowState } = outcome;
  return {
    mode: 'now',
    state: null,
    finishedWithoutWorkflow: finish.finished
      ? { workflowState, status: finish.status, reason: finish.reason }
      : { workflowState, status: null, reason: null, why: finish.why },
  };
}

export interface ChangePlanInput {
  amountMinor?: string;
  interval?: BillingInterval;
}

/** The change on its own (fields amountMinor, interval, change), InvalidInputError naming every problem; nothing is read. */
export function checkPlanChange(change: ChangePlanInput, environment: BillingEnvironment): void {
  const problems: Problem[] = [
    ...(change.amountMinor === undefined ? [] : validateAmountMinor(change.amountMinor, 'amountMinor')),
    ...(change.interval === undefined ? [] : validateInterval(change.interval, { environment }, 'interval')),
  ];
  if (change.amountMinor === undefined && change.interval === undefined)
    problems.push({ field: 'change', message: 'needs a new amount, a new interval or both' });
  if (problems.length > 0) throw new InvalidInputError(problems);
}

/**
 * Amount and/or interval from the next cycle on, through the workflow's validated update, with
 * the Charge Permission's recurringMetadata kept to the plan (plan-terms.ts). In order, so that
 * nothing is left half-changed: the change on its own; the permission's monthly limit; the
 * region (EU/UK: CheckoutRequiredError for a higher amount or another frequency); Update Charge
 * Permission (a refusal changes nothing; its answer's expirationTimestamp is written to the
 * subscriptions on the permission); the workflow's update — when it refuses (the
 * subscription ended meanwhile), the permission's recurringMetadata is put back and ConflictError
 * says so. Throws InvalidInputError, CheckoutRequiredError, ChargePermissionNotChargeableError,
 * NotFoundError, ConflictError, UpstreamError.
 */
export async function changePlan(deps: BillingClientDeps, id: string, change: ChangePlanInput): Promise<ChangePlanResult> {
  checkPlanChange(change, deps.environment);
  const { row: before } = await requireRunning(deps, id, 'change the plan of');
  // Checked against the other plans on the permission and written with no other start or plan
  // change on that permission in between (permission-plans.ts), this subscription's own included:
  // its row is read again under the lease, so a change that landed meanwhile is the starting point.
  return withPermissionLease(deps, before.chargePermissionId, `plan change of subscription ${id}`, async () => {
    const { row, handle } = await requireRunning(deps, id, 'change the plan of');
    // The new plan (what changes, and the row's current amount or interval for what does not)
    // must fit the permission's monthly cap: refused before the workflow hears of it.
    const permission = okOrThrow(
      await deps.amazonPay().getChargePermission(row.chargePermissionId),
      'charge_permission',
      row.chargePermissionId,
      'Get Charge Permission',
    );
    const plan = {
      amountMinor: change.amountMinor ?? row.amountMinor.toString(),
      currency: row.currency,
      interval: change.interval ?? { unit: row.intervalUnit as IntervalUnit, count: row.intervalCount },
    };
    const others = await otherPlansOnPermission(deps.db, row.chargePermissionId, id);
    // The subscription's end after a number of cycles still bounds its cycles in a month.
    assertPlanWithinMonthlyCap(permission, { ...plan, afterCycles: row.endAfterCycles }, change.amountMinor !== undefined ? 'amountMinor' : 'interval', others);
    const current = {
      amountMinor: row.amountMinor.toString(),
      currency: row.currency,
      interval: { unit: row.intervalUnit as IntervalUnit, count: row.intervalCount },
    };
    const amazonPay = deps.amazonPay();
    assertChangeWithoutCheckout(amazonPay.region, id, row.chargePermissionId, current, plan, await whyNotReplaceableNow(deps, row));
    const updated = await updateRecurringMetadata(amazonPay, permission, recurringMetadataFor(plan, others));
    // Amazon bases the permission's expiry on recurringMetadata: its answer says where it stands now.
    await recordPermissionExpiry(deps.db, row.chargePermissionId, expiresAtOf(updated), deps.now());
    try {
      return await handle.executeUpdate(changePlanUpdate, {
        args: [
          {
            ...(change.amountMinor === undefined ? {} : { amountMinor: change.amountMinor }),
            ...(change.interval === undefined ? {} : { interval: change.interval }),
          },
        ],
      });
    } catch (error) {
      // The workflow's validator refused it (e.g. the subscription ended meanwhile): the permission gets its terms back.
      if (error instanceof WorkflowUpdateFailedError) {
        const restored = await updateRecurringMetadata(amazonPay, permission, recurringMetadataAsRead(permission.recurringMetadata)).then(
          async (answer) => {
            // Not worth the conflict's message if it fails: the next read of the permission writes it.
            await recordPermissionExpiry(deps.db, row.chargePermissionId, expiresAtOf(answer), deps.now()).catch(() => []);
            return 'its Charge Permission has its recurringMetadata back';
          },
          (failure: unknown) => `putting back the recurringMetadata of Charge Permission ${row.chargePermissionId} failed (${(failure as Error).message})`,
        );
        throw new ConflictError(`The subscription refused the plan change: ${error.cause?.message ?? error.message}; nothing changed, ${restored}`);
      }
      throw error;
    }
  });
}
