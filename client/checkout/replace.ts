// A checkout that replaces a live subscription (POST /v1/checkout-sessions with
// replacesSubscriptionId): the way a plan change reaches the buyer where Update Charge Permission
// cannot carry it (Amazon Pay's EU/UK region under PSD2: a higher amount or another frequency
// needs the buyer's consent at a new checkout, amazon-pay-checkout reference §8). The old
// subscription's current period is paid, so the checkout charges nothing (paymentIntent Confirm)
// and the new subscription's cycle 0 is due at the old one's next billing date, on an anchor that
// continues the old schedule (billing/segments.ts continuationAnchor: a Jan 31 plan due Feb 28
// goes on Mar 31). Once the new subscription runs, complete stops the old one now, with reason
// ReplacedBy:<new id>, and closes its Charge Permission (client/checkout/complete.ts).
import { continuationAnchor, dueAtForCycle, rebaseSegments, type ScheduleSegment } from '../../billing/segments.js';
import { firstBillingAnchor } from '../../billing/schedule.js';
import type { BillingAnchor, BillingInterval, Plan, SubscriptionStatus } from '../../billing/types.js';
import { isFinalSubscriptionStatus, REPLACED_BY_PREFIX } from '../../billing/vocabulary.js';
import { getCheckoutReplacing, recordReplacementFinished, unfinishedReplacements } from '../../db/queries/checkouts.js';
import { getSubscription, listSubscriptionEvents } from '../../db/queries/subscriptions.js';
import type { SubscriptionRow } from '../../db/schema/index.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, InvalidInputError, UpstreamError } from '../errors.js';
import { otherPlansOnPermission } from '../subscriptions/permission-plans.js';
import { replacementBlocker } from './replaceable.js';
import { readLastRun } from '../subscriptions/repair-history.js';
import { stopSubscriptionNow } from '../subscriptions/stop-now.js';
import { storedAnchor } from '../subscriptions/views.js';
import { subscriptionHandle } from '../subscriptions/workflow-handle.js';

/** How far ahead of now the old subscription's next billing date must be for the replacement to take it over (a cycle due sooner is being charged). */
export const REPLACEMENT_MARGIN_MS = 5_000;

/** What the replacement is checked against: the new plan and the checkout's merchant account (null: the deployment's only one). */
export interface ReplacementTerms {
  replacesSubscriptionId: string;
  subscriptionId: string;
  plan: Plan;
  /** The zone the merchant asked for, if any: it must be the old subscription's (the billing time continues). */
  zone?: string;
  account: string | null;
}

/**
 * The subscription `terms.replacesSubscriptionId` names, if a checkout may replace it now:
 * it exists, is in the same merchant account, bills in the plan's currency, is active or trialing
 * with no stop recorded, and no other checkout has already replaced it (or is completing a
 * replacement of it). Throws InvalidInputError (no such subscription, the new id itself, another
 * currency or zone) or ConflictError (ended, stopping, paused, in dunning, another account,
 * already replaced), each one line saying what is accepted.
 */
export async function assertReplaceable(deps: BillingClientDeps, terms: ReplacementTerms): Promise<SubscriptionRow> {
  const id = terms.replacesSubscriptionId;
  if (id === terms.subscriptionId)
    throw InvalidInputError.of(
      'replacesSubscriptionId',
      'names the subscription the checkout starts: give the id of the live subscription the new one replaces',
    );
  const old = await getSubscription(deps.db, id);
  if (!old)
    throw InvalidInputError.of(
      'replacesSubscriptionId',
      `names no subscription (got ${JSON.stringify(id)}): give the id of the live subscription the new plan replaces, or leave it out for a new subscription`,
    );
  if ((old.account ?? null) !== (terms.account ?? null))
    throw new ConflictError(
      `Subscription ${id} bills through another Amazon Pay merchant account (${old.account ?? 'the default'}): a replacement stays within one account; create the checkout in that account`,
    );
  const blocked = await whyNotReplaceableNow(deps, old, terms.subscriptionId);
  if (blocked !== null) throw new ConflictError(blocked);
  const problems = [];
  if (old.currency !== terms.plan.currency)
    problems.push({
      field: 'plan.currency',
      message: `must be ${old.currency}, the currency of subscription ${id} it replaces (the new plan continues its paid period and billing), got ${terms.plan.currency}; for another currency leave replacesSubscriptionId out`,
    });
  if (terms.zone !== undefined && terms.zone !== old.anchorZone)
    problems.push({
      field: 'zone',
      message: `must be ${old.anchorZone} (the zone of subscription ${id}, whose billing dates the new plan continues) or left out, got ${JSON.stringify(terms.zone)}`,
    });
  if (problems.length > 0) throw new InvalidInputError(problems);
  return old;
}

/**
 * One line: `replacedId` is being replaced by another checkout (its subscription and the Checkout
 * Session completing it, when known), a subscription is replaced once, and `whatNow`.
 */
export function beingReplacedMessage(replacedId: string, by: { subscriptionId: string | null; checkoutSessionId: string | null }, whatNow: string): string {
  const who = by.subscriptionId
    ? `the checkout of subscription ${by.subscriptionId}${by.checkoutSessionId ? ` (Checkout Session ${by.checkoutSessionId} is completing it)` : ''}`
    : 'another checkout';
  return `Subscription ${replacedId} is being replaced by ${who}; a subscription is replaced once: ${whatNow}`;
}

/**
 * Why a checkout cannot replace `old` now, as one line saying what to do instead: another checkout
 * replaces or has replaced it, or its row says so (client/checkout/replaceable.ts); null when it
 * can. `newId`: the replacing checkout's own subscription id, not counted as another one. Asked by
 * assertReplaceable and by an EU plan change that must point to a checkout (lifecycle.ts changePlan).
 */
export async function whyNotReplaceableNow(deps: BillingClientDeps, old: SubscriptionRow, newId = ''): Promise<string | null> {
  const replacing = await getCheckoutReplacing(deps.db, old.id, newId);
  if (replacing)
    return replacing.started
      ? `Subscription ${old.id} was already replaced by subscription ${replacing.subscriptionId} (its checkout was completed); a subscription is replaced once: change ${replacing.subscriptionId} instead`
      : beingReplacedMessage(old.id, replacing, 'complete that session, or wait until it is given up');
  return replacementBlocker(old);
}

/** What the replacement continues: the old subscription's next cycle, when it is due, and the new plan's anchor. */
export interface Continuation {
  /** The old subscription's cycle the new plan takes over (its next billing date). */
  cycle: number;
  /** When that cycle is due (the new subscription's cycle 0). */
  dueAt: Date;
  /** The new subscription's anchor: the wall time the old schedule meant for that cycle, with its intended day of month. */
  anchor: BillingAnchor;
}

/**
 * Where the new plan (`interval`) takes over `old`: its current cycle (the next one not paid) on
 * its schedule, as the workflow holds it — the row's anchor, or after a plan change of the
 * interval the segments its last run carried with the recorded changes applied. Throws
 * ConflictError (retryable) while the row's next billing date is not that cycle's yet (the
 * workflow is planning it), or is less than REPLACEMENT_MARGIN_MS away (it is being charged).
 */
export async function continuationOf(deps: BillingClientDeps, old: SubscriptionRow, interval: BillingInterval): Promise<Continuation> {
  const segments = await segmentsOf(deps, old);
  const cycle = old.currentCycle;
  const dueAt = dueAtForCycle(segments, cycle).toJSDate();
  if (old.nextBillingAt === null || Math.abs(old.nextBillingAt.getTime() - dueAt.getTime()) >= 1_000)
    throw new ConflictError(
      `Subscription ${old.id} is planning its cycle ${cycle} (its next billing date is not recorded yet); nothing was changed: try again in a few seconds`,
      [],
      5,
    );
  if (dueAt.getTime() - deps.now().getTime() < REPLACEMENT_MARGIN_MS)
    throw new ConflictError(
      `Subscription ${old.id} has cycle ${cycle} due at ${dueAt.toISOString()}, which is being charged now; nothing was changed: try again once it is settled (the new plan then starts at the cycle after it)`,
      [],
      5,
    );
  return { cycle, dueAt, anchor: continuationAnchor(segments, cycle, interval) };
}

/** The old subscription's schedule segments, as its workflow bills them. */
async function segmentsOf(deps: BillingClientDeps, old: SubscriptionRow): Promise<ScheduleSegment[]> {
  const trial = old.trial as BillingInterval | null;
  const rowInterval: BillingInterval = { unit: old.intervalUnit as BillingInterval['unit'], count: old.intervalCount };
  const changes = (await listSubscriptionEvents(deps.db, old.id))
    .filter((e) => e.reasonCode === 'plan_changed' && e.cycle !== null)
    // In the order they were made (a change billing repair put back has a newer id, not a later time).
    .sort((a, b) => a.at.getTime() - b.at.getTime())
    .map((e) => ({ cycle: e.cycle as number, interval: (e.detail as { interval?: BillingInterval } | null)?.interval }))
    .filter((e): e is { cycle: number; interval: BillingInterval } => e.interval !== undefined);
  if (changes.length === 0)
    return [{ fromCycle: 0, anchor: firstBillingAnchor({ anchor: storedAnchor(old), ...(trial ? { trial } : {}) }), interval: rowInterval }];
  // The interval changed: the segments live in the workflow; its last run carried them in, and
  // every recorded change is applied again on top (a change already carried is a no-op).
  const run = await readLastRun(subscriptionHandle(await deps.temporal(), old.id));
  if (!run)
    throw new ConflictError(
      `Subscription ${old.id}: Temporal no longer holds its workflow's history and its billing interval was changed, so its next billing date cannot be continued safely; stop it and leave replacesSubscriptionId out`,
    );
  let segments = run.input.state?.segments ?? run.input.segments;
  for (const change of changes) segments = rebaseSegments(segments, change.cycle, change.interval);
  return segments;
}

/** What became of the replaced subscription, as complete answers it (the same on every repeat once done). */
export interface ReplacedSubscription {
  subscriptionId: string;
  /** Its status now: canceled (reason ReplacedBy:<new id>) once its workflow has stopped. */
  status: SubscriptionStatus;
  statusReason: string | null;
  chargePermissionId: string;
  /** Whether its Charge Permission is closed: false when another live subscription still bills on it (then it is left open). */
  chargePermissionClosed: boolean;
}

/** What finishing a replacement needs: the admin client's deps, or housekeeping's (daemon/housekeeping/jobs.ts). */
export type ReplacementDeps = Pick<BillingClientDeps, 'db' | 'now' | 'temporal' | 'amazonPay'>;

/**
 * Finishes each replacement whose new subscription started before `startedBefore` and that was
 * never recorded finished (finishReplacement): a complete that crashed between starting the new
 * subscription and stopping the old one must not leave both billing at the next date. Returns the
 * new subscriptions' ids finished and those that failed (with why; tried again next run).
 */
export async function finishUnfinishedReplacements(
  deps: ReplacementDeps,
  startedBefore: Date,
): Promise<{ finished: ReplacedSubscription[]; failed: { subscriptionId: string; error: string }[] }> {
  const finished: ReplacedSubscription[] = [];
  const failed: { subscriptionId: string; error: string }[] = [];
  for (const pending of await unfinishedReplacements(deps.db, startedBefore)) {
    try {
      finished.push(await finishReplacement(deps, pending.replacesSubscriptionId, pending.subscriptionId));
    } catch (error) {
      failed.push({ subscriptionId: pending.subscriptionId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { finished, failed };
}

/** How long complete waits for the old workflow to record its end before closing the permission. */
const STOPPED_WAIT_MS = 10_000;

/**
 * Stops `oldId` now (client/subscriptions/stop-now.ts, reason ReplacedBy:<newId>: no charge is
 * sent after this) unless it has ended, waits for its workflow to record the end, then closes its
 * Charge Permission with Close Charge Permission (closureReason naming the new subscription;
 * already Closed counts as closed) unless another live subscription bills on it. Idempotent:
 * a repeat, or a repeat after a crash between the steps, finishes what is left; then the checkout
 * records it finished (checkouts.replacement_finished_at). What a crash left unfinished and no repeat
 * came for is finished by housekeeping's drift job (finishUnfinishedReplacements). Throws
 * UpstreamError (retryable) when Temporal or Amazon Pay fails: complete again to finish.
 */
export async function finishReplacement(deps: ReplacementDeps, oldId: string, newId: string): Promise<ReplacedSubscription> {
  let old = await getSubscription(deps.db, oldId);
  if (!old) throw new Error(`replaced subscription ${oldId} has no row`);
  if (!isFinalSubscriptionStatus(old.status)) {
    const handle = subscriptionHandle(await deps.temporal(), oldId);
    await stopSubscriptionNow(deps, handle, { subscriptionId: oldId, reason: `${REPLACED_BY_PREFIX}${newId}` });
    const until = Date.now() + STOPPED_WAIT_MS;
    while (old && !isFinalSubscriptionStatus(old.status) && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      old = await getSubscription(deps.db, oldId);
    }
    if (!old) throw new Error(`replaced subscription ${oldId} has no row`);
  }
  const others = await otherPlansOnPermission(deps.db, old.chargePermissionId, oldId);
  let closed = false;
  if (others.length === 0) {
    const outcome = await deps.amazonPay().closeChargePermission(old.chargePermissionId, {
      closureReason: `Replaced by subscription ${newId}`,
      cancelPendingCharges: false,
    });
    // Already Closed (a repeat, or the buyer closed it) is the state asked for.
    const alreadyClosed = outcome.kind === 'permission_state' && outcome.reasonCode === 'InvalidChargePermissionStatus';
    if (outcome.kind !== 'ok' && !alreadyClosed) {
      const code = 'reasonCode' in outcome && outcome.reasonCode ? outcome.reasonCode : outcome.kind;
      throw new UpstreamError(
        `Subscription ${newId} runs and subscription ${oldId} is stopped, but Amazon Pay Close Charge Permission ${old.chargePermissionId} failed (${code}: ${outcome.message}); complete again to close it`,
        outcome.kind === 'throttled' || outcome.kind === 'transient',
      );
    }
    closed = true;
  }
  await recordReplacementFinished(deps.db, newId, deps.now());
  return {
    subscriptionId: oldId,
    status: old.status as SubscriptionStatus,
    statusReason: old.statusReason,
    chargePermissionId: old.chargePermissionId,
    chargePermissionClosed: closed,
  };
}
