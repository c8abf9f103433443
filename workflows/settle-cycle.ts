// Settling one billing cycle: charge it, then handle what Amazon Pay said the way a merchant
// expects (Amazon Pay "Manage recurring payments"; classes in amazonpay/outcomes.ts): soft declines
// go through dunning, hard declines and NonChargeable permissions wait for the buyer to fix the
// payment method, the monthly cap waits for the next month, pending authorizations wait for their
// final state, and anything no retry can fix waits for an admin. A charge in flight is never
// abandoned.
import { ActivityFailure, ApplicationFailure, CancellationScope, condition, TimeoutFailure } from '@temporalio/workflow';
import { maxCyclesPerCalendarMonth } from '../billing/plan-rules.js';
import type { SubscriptionStatus } from '../billing/types.js';
import type { ActivityProxies } from './proxies.js';
import {
  BASELINE_FROM_BEFORE_ATTEMPT,
  FIX_EVIDENCE_SURVIVES_OLDER_CHECK,
  CHARGE_NOT_SENT_AFTER_STOP,
  CHARGE_RECORDS_NEXT_STATUS,
  FIX_EVIDENCE_FROM_AMAZON,
  MONTHLY_CAP_BOUNDED,
  MONTHLY_CAP_COUNTS_CYCLES,
  NO_CHARGE_AFTER_PERMISSION_EXPIRY,
  PAUSE_HOLDS_DUNNING,
  PAUSE_HOLDS_EVERY_WAIT,
  PAYMENT_METHOD_FIX_NEEDS_EVIDENCE,
  PERMISSION_EXPIRY_ASKED_OF_AMAZON,
  REPAIR_RESTORES_PAUSED_WAIT,
  REPAIR_RESTORES_WAIT,
  STOP_CARRIES_FINAL_STATUS,
} from './patches.js';
import { PERMISSION_EXPIRED_ENDING } from '../billing/permission-end.js';
import type { SubscriptionRuntime } from './runtime.js';
import { timerSummary } from './ui-metadata.js';
import type { ChargeResult, ChargeUpdate, NotedPermission, StatusChange, SubscriptionWorkflowInput } from './types.js';
import {
  DECIDED_CHARGE_STATES,
  isChargeStateIn,
  isFailureType,
  PAID_CHARGE_STATES,
  RETRYABLE_FAILURE_TYPES,
  SOFT_DECLINE_REASONS,
} from '../billing/vocabulary.js';

export interface CycleContext {
  rt: SubscriptionRuntime;
  acts: ActivityProxies;
  input: SubscriptionWorkflowInput;
}

export type SettleResult = { kind: 'paid' } | { kind: 'stop'; status: 'canceled' | 'ended'; reason: string };
type Step = SettleResult | { kind: 'retry' };

type Attempted = ChargeResult | { kind: 'unknown'; reasonCode: string; message: string; requestId: null };

const DEFAULT_CAP_RETRY_MARGIN_MS = 5 * 60_000;

export async function settleCycle(ctx: CycleContext): Promise<SettleResult> {
  const { rt } = ctx;
  rt.cycleInProgress = true;
  try {
    // Histories recorded before an operator's pause held dunning charged on through a pause.
    const pauseHolds = rt.patched(PAUSE_HOLDS_DUNNING);
    const restored = await enterRestoredWait(ctx);
    if (restored && restored.kind !== 'retry') return restored;
    // Cycle 0's checkout charge was declined or expired (workflows/checkout-charge.ts): that was
    // its attempt 0, and this cycle goes on from its decline as from any other.
    const checkout = rt.takeUnpaidCheckoutCharge();
    if (checkout) {
      const step = await afterDecidedCharge(ctx, checkout);
      if (step.kind !== 'retry') return step;
    }
    for (;;) {
      if (pauseHolds) await holdWhilePaused(ctx);
      if (rt.stopRequested) return stopAsAsked(rt);
      const expired = await permissionExpired(ctx);
      if (expired) return expired;
      rt.permissionAtAttempt = rt.permission;
      const attempted = await chargeOnce(ctx);
      const step = await decide(ctx, attempted);
      if (step.kind !== 'retry') return step;
    }
  } finally {
    rt.cycleInProgress = false;
    rt.outstanding = null;
    rt.nextRetryAt = null;
  }
}

/**
 * While an operator's pause holds: status `paused`, no charge; on resume the status the cycle
 * had (past_due, …) comes back, with `resumedDetail(pausedMs)` in its event, and the wait
 * continues where it stood. Returns how long the pause held (ms; 0 when not paused).
 */
async function holdWhilePaused({ rt, acts }: CycleContext, resumedDetail: (pausedMs: number) => Record<string, unknown> = () => ({})): Promise<number> {
  if (!rt.s.paused || rt.stopRequested) return 0;
  const held = { status: rt.s.status, reason: rt.s.statusReason };
  const since = Date.now();
  await rt.setStatus(acts, 'paused', rt.pauseReason, rt.nextBillingAt, { cycle: rt.s.cycle, dunningStep: rt.s.dunningStep, heldStatus: held.status });
  await condition(() => !rt.s.paused || rt.stopRequested);
  const pausedMs = Date.now() - since;
  if (rt.stopRequested) return pausedMs;
  await rt.setStatus(acts, held.status, held.reason, rt.nextBillingAt, { cycle: rt.s.cycle, resumed: true, ...resumedDetail(pausedMs) });
  return pausedMs;
}

/** Waits until `retryAt` (epoch ms) or a stop; with `pauseHolds`, a pause shows and holds meanwhile. */
async function waitForRetry(ctx: CycleContext, retryAt: number, pauseHolds: boolean): Promise<void> {
  const { rt } = ctx;
  for (;;) {
    const remaining = retryAt - Date.now();
    if (remaining <= 0 || rt.stopRequested) return;
    await rt.waitFor(
      () => rt.stopRequested || (pauseHolds && rt.s.paused),
      remaining,
      () => timerSummary.dunningRetry(rt.s.cycle, retryAt, rt.zone()),
    );
    if (pauseHolds) await holdWhilePaused(ctx);
  }
}

/**
 * The wait a repaired run was restored into, as a step (retry once an admin resumes or the buyer
 * fixes the payment method; the attempt number goes up as after any decline); null when none.
 * The payment-method grace runs from CarriedState.graceStartedAt (the ledger's first hard decline).
 */
async function enterRestoredWait(ctx: CycleContext): Promise<Step | null> {
  const { rt } = ctx;
  const restored = rt.s.restoredWait;
  if (!restored || !rt.patched(REPAIR_RESTORES_WAIT)) return null;
  rt.s.restoredWait = null;
  rt.outstanding = { cycle: rt.s.cycle, attempt: rt.s.attempt, reasonCode: restored.reason };
  // Repaired while an operator's pause held the wait: it shows `paused` (no write of the wait
  // first) until resumed, and the time it holds a payment-method grace is added to that grace.
  if (rt.s.paused && rt.patched(REPAIR_RESTORES_PAUSED_WAIT)) {
    const pausedMs = await holdWhilePaused(ctx);
    if (rt.stopRequested) return stopAsAsked(rt);
    if (restored.status === 'payment_method_required') rt.s.gracePausedMs = (rt.s.gracePausedMs ?? 0) + pausedMs;
  }
  if (restored.status === 'unpaid') return waitForAdmin(ctx, 'unpaid', restored.reason, { sameKey: false });
  return paymentMethodRequired(ctx, restored.reason, { knownNonChargeable: false });
}

/**
 * The status the subscription has once this cycle is paid, for the charge activity to write
 * with the ledger row: only on the plain path (active, nothing pending, next cycle planned);
 * anything else is written by the workflow as before.
 */
function statusAfterPaid({ rt, input }: CycleContext): StatusChange | undefined {
  // A failed call shown over the status (guarded-calls.ts) stays shown: the workflow writes the status itself.
  if (rt.s.status !== 'active' || rt.s.statusReason !== null || rt.s.paused || rt.s.cancelAtPeriodEnd || rt.stopRequested || rt.failedCallShown)
    return undefined;
  const next = rt.plannedAhead(rt.s.cycle + 1);
  if (!next) return undefined;
  const base = { subscriptionId: input.subscriptionId, cycle: rt.s.cycle + 1 };
  return next.inTerm
    ? { ...base, status: 'active', reasonCode: null, nextBillingAt: next.dueAt, ended: false }
    : { ...base, status: 'ended', reasonCode: 'TermCompleted', nextBillingAt: null, ended: true };
}

/** One deliberate attempt (one idempotency key). Throttling and faults are retried inside the activity's retry policy. */
async function chargeOnce(ctx: CycleContext): Promise<Attempted> {
  const { rt, acts, input } = ctx;
  // Histories recorded before this change wrote the status after the charge themselves.
  const onPaid = rt.patched(CHARGE_RECORDS_NEXT_STATUS) ? statusAfterPaid(ctx) : undefined;
  const args = {
    subscriptionId: input.subscriptionId,
    chargePermissionId: input.chargePermissionId,
    environment: input.environment,
    cycle: rt.s.cycle,
    attempt: rt.s.attempt,
    amountMinor: rt.amountFor(rt.s.cycle),
    currency: input.currency,
    softDescriptor: input.softDescriptor,
    merchantMetadata: input.merchantMetadata,
    canHandlePendingAuthorization: input.policy.usePendingAuthorization,
    ...(onPaid ? { onPaid } : {}),
    // Histories recorded before this change sent every scheduled charge, even after a stop.
    ...(rt.patched(CHARGE_NOT_SENT_AFTER_STOP) ? { notSentAfterStop: true } : {}),
  };
  try {
    // Not cancellable: a cancellation arriving now must not orphan a request Amazon may be processing.
    const result = await CancellationScope.nonCancellable(() => acts.charge(args));
    if (onPaid && result.kind === 'charged' && result.statusRecorded === true) {
      rt.statusWrittenByCharge({ status: onPaid.status, reasonCode: onPaid.reasonCode, cycle: onPaid.cycle, nextBillingAt: onPaid.nextBillingAt });
    }
    return result;
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    const cause = error.cause;
    // Retries ran out (the window closed on a 429/5xx/timeout): an earlier try may have been
    // committed with its answer lost, so Amazon's side is unknown. Other types are our own.
    const ranOut = cause instanceof TimeoutFailure || (cause instanceof ApplicationFailure && isFailureType(cause.type, RETRYABLE_FAILURE_TYPES));
    const reasonCode = ranOut ? 'ChargeOutcomeUnknown' : cause instanceof ApplicationFailure && cause.type ? cause.type : 'ChargeActivityFailed';
    return { kind: 'unknown', reasonCode, message: cause?.message ?? error.message, requestId: null };
  }
}

async function decide(ctx: CycleContext, attempted: Attempted): Promise<Step> {
  const { rt } = ctx;
  rt.outstanding =
    attempted.kind === 'charged' || attempted.kind === 'pending' || attempted.kind === 'not_sent'
      ? null
      : { cycle: rt.s.cycle, attempt: rt.s.attempt, reasonCode: attempted.reasonCode };
  switch (attempted.kind) {
    case 'not_sent':
      // A stop "now" was recorded while the charge waited its turn: nothing reached Amazon.
      if (rt.stopRequested) return stopAsAsked(rt);
      // The recorded stop's own status (STOP_CARRIES_FINAL_STATUS): its signal has not arrived yet.
      return rt.patched(STOP_CARRIES_FINAL_STATUS) && attempted.status === 'ended'
        ? { kind: 'stop', status: 'ended', reason: attempted.reason }
        : stop(attempted.reason);
    case 'charged':
      return paid(ctx, attempted.chargeId, attempted.state);
    case 'pending': {
      const update = await CancellationScope.nonCancellable(() => awaitPending(ctx, attempted.chargeId));
      if (update === null) return needsAttention(ctx, 'PendingAuthorizationUnresolved', { sameKey: true });
      return afterDecidedCharge(ctx, update);
    }
    case 'soft_decline':
      return dunning(ctx, attempted.reasonCode);
    case 'hard_decline':
      return paymentMethodRequired(ctx, attempted.reasonCode, { knownNonChargeable: false });
    case 'permission_state':
      return afterPermissionRefusal(ctx, attempted.reasonCode);
    case 'refused':
      if (attempted.reasonCode === 'PeriodicAmountExceeded') return waitForNextMonth(ctx);
      return needsAttention(ctx, attempted.reasonCode, { sameKey: false });
    case 'invalid_request':
      return needsAttention(ctx, attempted.reasonCode, { sameKey: false });
    case 'unknown':
      // The charge may or may not exist: never try this cycle with a new key. A later retry
      // (after an admin resumes) reuses the same key, so Amazon replays instead of charging twice.
      return needsAttention(ctx, attempted.reasonCode, { sameKey: true, lastFailure: attempted.message });
  }
}

/**
 * A charge of this cycle whose final state is known (a pending authorization resolved, or the
 * checkout's charge declined or expired): paid, or the attempt's decline — soft reasons and a
 * Canceled authorization go through dunning, the rest wait for the buyer's payment method.
 */
async function afterDecidedCharge(ctx: CycleContext, update: ChargeUpdate): Promise<Step> {
  const { rt } = ctx;
  if (isChargeStateIn(update.state, PAID_CHARGE_STATES)) return paid(ctx, update.chargeId, update.state);
  const reason = update.reasonCode ?? update.state;
  rt.outstanding = { cycle: rt.s.cycle, attempt: rt.s.attempt, reasonCode: reason };
  if (SOFT_DECLINE_REASONS.includes(reason) || update.state === 'Canceled') return dunning(ctx, reason);
  return paymentMethodRequired(ctx, reason, { knownNonChargeable: false });
}

async function paid({ rt, acts }: CycleContext, chargeId: string, state: string): Promise<Step> {
  rt.s.lastCharge = { cycle: rt.s.cycle, attempt: rt.s.attempt, chargeId, state, reasonCode: null, at: new Date(Date.now()).toISOString() };
  rt.s.chargesMade += 1;
  rt.s.dunningStep = 0;
  clearGrace(rt);
  rt.s.capWaitedCycle = null;
  rt.outstanding = null;
  rt.nextRetryAt = null;
  if (rt.s.status !== 'active' || rt.s.statusReason !== null) await rt.setStatus(acts, 'active', null, rt.nextBillingAt, { paidCycle: rt.s.cycle, chargeId });
  return { kind: 'paid' };
}

/** Soft decline: retry on the dunning schedule while the permission stays Chargeable. */
async function dunning(ctx: CycleContext, reason: string): Promise<Step> {
  const { rt, acts, input } = ctx;
  const delays = input.policy.dunningRetryDelaysMs;
  const step = rt.s.dunningStep;
  const delay = delays[step];
  if (delay === undefined) return finalAction(ctx, `DunningExhausted:${reason}`);
  rt.nextRetryAt = new Date(Date.now() + delay).toISOString();
  await rt.setStatus(acts, 'past_due', reason, rt.nextBillingAt, { dunningStep: step + 1, of: delays.length, nextRetryAt: rt.nextRetryAt, cycle: rt.s.cycle });
  const pauseHolds = rt.patched(PAUSE_HOLDS_DUNNING);
  if (pauseHolds) await waitForRetry(ctx, Date.now() + delay, true);
  else await condition(() => rt.stopRequested, delay);
  if (rt.stopRequested) return stopAsAsked(rt);
  const { current: permission } = await rt.checkPermission(acts);
  if (permission.state === 'Closed' || permission.state === 'NotFound') return stopAsAsked(rt);
  if (permission.state === 'NonChargeable') return paymentMethodRequired(ctx, permission.reasons[0] ?? 'NonChargeable', { knownNonChargeable: true });
  rt.s.dunningStep = step + 1;
  rt.s.attempt += 1;
  return { kind: 'retry' };
}

/**
 * Hard decline or NonChargeable permission: pause billing until the buyer fixes the payment
 * method, within the grace period. The cycle is tried again only on evidence of a fix: a
 * CHARGE_PERMISSION IPN after which the permission is Chargeable, a check that saw it go from
 * NonChargeable to Chargeable, or an admin's resume. A permission that simply stays Chargeable
 * after a hard decline is not retried (Amazon: retrying a hard decline will not succeed).
 */
async function paymentMethodRequired(ctx: CycleContext, reason: string, entry: { knownNonChargeable: boolean }): Promise<Step> {
  const { rt, acts, input } = ctx;
  const { paymentMethodGraceMs, paymentMethodCheckIntervalMs } = input.policy;
  // Histories recorded before this rule retried on any Chargeable check; they replay that way.
  const needsEvidence = rt.patched(PAYMENT_METHOD_FIX_NEEDS_EVIDENCE);
  const fromAmazon = rt.patched(FIX_EVIDENCE_FROM_AMAZON);
  const pauseHolds = rt.patched(PAUSE_HOLDS_EVERY_WAIT);
  // The grace period runs from the cycle's first hard decline: a re-entry after a retry does not restart it.
  if (fromAmazon) rt.s.graceStartedAt ??= new Date(Date.now()).toISOString();
  // An operator's pause stops the grace clock: the time it held is added (PAUSE_HOLDS_EVERY_WAIT).
  const heldMs = pauseHolds ? (rt.s.gracePausedMs ?? 0) : 0;
  let deadline = (fromAmazon && rt.s.graceStartedAt ? Date.parse(rt.s.graceStartedAt) + paymentMethodGraceMs : Date.now() + paymentMethodGraceMs) + heldMs;
  rt.nextRetryAt = null;
  // FIX_EVIDENCE_SURVIVES_OLDER_CHECK: an IPN's fetch is weighed on its own, also one that arrives
  // during the status write or the baseline fetch below; `evidenceSeen` counts those weighed.
  const evidenceSurvivesCheck = rt.patched(FIX_EVIDENCE_SURVIVES_OLDER_CHECK);
  let evidenceSeen = rt.evidenceNotes;
  await rt.setStatus(acts, 'payment_method_required', reason, rt.nextBillingAt, { cycle: rt.s.cycle, graceEndsAt: new Date(deadline).toISOString() });
  const resumesBefore = rt.retryResumes;
  const evidenceBefore = rt.chargeableOnEvidence;
  let sawNonChargeable = entry.knownNonChargeable;
  const nonChargeableBefore = rt.nonChargeableSeen;
  // What Amazon says now is the baseline a fix must differ from (state or payment descriptor).
  const checked = fromAmazon && !entry.knownNonChargeable ? await rt.checkPermission(acts) : null;
  const baseline = checked?.answer ?? null;
  if (baseline?.state === 'NonChargeable') sawNonChargeable = true;
  // The card the declined charge went to, when the run knew it before sending: a fix is a
  // different one, also one the first fetch after the decline already shows.
  const knownBefore = baseline && rt.patched(BASELINE_FROM_BEFORE_ATTEMPT) ? (rt.permissionAtAttempt?.paymentDescriptor ?? null) : null;
  const baselineDescriptor = knownBefore ?? baseline?.paymentDescriptor ?? null;
  let unpaused = false;
  // The first fetch already shows another card than the one declined: the buyer fixed it meanwhile.
  // (A stop or a pause that came meanwhile is handled by the loop, which fetches again after a pause.)
  // What the run holds now: Amazon's answer, or an IPN's evidence that overtook it.
  const now = checked?.current ?? null;
  const fixedMeanwhile =
    knownBefore !== null && now?.state === 'Chargeable' && (now.paymentDescriptor ?? null) !== null && now.paymentDescriptor !== knownBefore;
  if (fixedMeanwhile && !rt.stopRequested && !(pauseHolds && rt.s.paused)) {
    rt.s.attempt += 1;
    return { kind: 'retry' };
  }
  for (;;) {
    if (pauseHolds && rt.s.paused) {
      const pausedMs = await holdWhilePaused(ctx, (ms) => ({ graceEndsAt: new Date(deadline + ms).toISOString() }));
      if (rt.stopRequested) return stopAsAsked(rt);
      deadline += pausedMs;
      rt.s.gracePausedMs = (rt.s.gracePausedMs ?? 0) + pausedMs;
      // The buyer may have fixed the payment method meanwhile: ask Amazon at once.
      unpaused = true;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return finalAction(ctx, `PaymentMethodGraceExpired:${reason}`);
    const seen = rt.permissionVersion;
    const woke =
      unpaused ||
      (evidenceSurvivesCheck && rt.evidenceNotes !== evidenceSeen) ||
      (await rt.waitFor(
        () => rt.permissionVersion !== seen || rt.stopRequested || rt.retryResumes !== resumesBefore || (pauseHolds && rt.s.paused),
        Math.min(paymentMethodCheckIntervalMs, remaining),
        () => timerSummary.paymentMethodCheck(rt.s.cycle, rt.zone(), Date.now() + Math.min(paymentMethodCheckIntervalMs, remaining)),
      ));
    if (rt.stopRequested) return stopAsAsked(rt);
    if (pauseHolds && rt.s.paused) continue;
    const resumed = rt.retryResumes !== resumesBefore;
    if (!woke || resumed || unpaused) {
      unpaused = false;
      await rt.checkPermission(acts);
    }
    const permission = rt.permission;
    if (permission?.state === 'Closed' || permission?.state === 'NotFound') return stopAsAsked(rt);
    if (permission?.state === 'NonChargeable' || (fromAmazon && rt.nonChargeableSeen !== nonChargeableBefore)) sawNonChargeable = true;
    // What an IPN's fetch brought since last weighed, even if an older check's answer landed after it.
    const evidence = evidenceSurvivesCheck && rt.evidenceNotes !== evidenceSeen ? rt.lastEvidence : null;
    evidenceSeen = rt.evidenceNotes;
    // Evidence is what Amazon answered: it was NonChargeable since the decline, or the payment
    // descriptor changed. (Before FIX_EVIDENCE_FROM_AMAZON, any IPN that found it Chargeable counted.)
    const fixedBy = (p: NotedPermission | null, evidencedBefore: boolean): boolean => {
      if (p?.state !== 'Chargeable') return false;
      const newMethod = baseline !== null && (p.paymentDescriptor ?? null) !== null && p.paymentDescriptor !== baselineDescriptor;
      const evidenced = fromAmazon ? newMethod : evidencedBefore;
      return !needsEvidence || resumed || sawNonChargeable || evidenced;
    };
    if (fixedBy(permission, rt.chargeableOnEvidence !== evidenceBefore) || fixedBy(evidence, false)) {
      rt.s.attempt += 1;
      return { kind: 'retry' };
    }
  }
}

async function afterPermissionRefusal(ctx: CycleContext, reason: string): Promise<Step> {
  const { rt, acts } = ctx;
  const { current: permission } = await rt.checkPermission(acts);
  if (permission.state === 'Closed' || permission.state === 'NotFound') return stopAsAsked(rt);
  // Refused because the permission expired (an expiry that appeared or moved earlier after start): no retry or fix can help.
  if (rt.patched(PERMISSION_EXPIRY_ASKED_OF_AMAZON) && expiryPassed(rt.permissionExpiresAt)) return PERMISSION_EXPIRED_END;
  if (permission.state === 'NonChargeable') return paymentMethodRequired(ctx, permission.reasons[0] ?? reason, { knownNonChargeable: true });
  return needsAttention(ctx, reason, { sameKey: false });
}

/** Monthly cap of the permission reached: Amazon resets it with the calendar month (UTC). */
async function waitForNextMonth(ctx: CycleContext): Promise<Step> {
  const { rt, acts, input } = ctx;
  if (rt.patched(MONTHLY_CAP_BOUNDED)) {
    const hopeless = await capCannotReset(ctx);
    if (hopeless) return hopeless;
  }
  // The delay comes from an activity's clock (recorded in history), so the month boundary is testable.
  const { delayMs, resetsAt } = await acts.local.delayUntilMonthlyCapResets({ marginMs: input.policy.monthlyCapRetryMarginMs ?? DEFAULT_CAP_RETRY_MARGIN_MS });
  rt.nextRetryAt = new Date(Date.now() + delayMs).toISOString();
  await rt.setStatus(acts, 'past_due', 'PeriodicAmountExceeded', rt.nextBillingAt, { nextRetryAt: rt.nextRetryAt, capResetsAt: resetsAt, cycle: rt.s.cycle });
  // Before PAUSE_HOLDS_EVERY_WAIT a pause showed only once the wait was over.
  if (rt.patched(PAUSE_HOLDS_EVERY_WAIT)) await waitForRetry(ctx, Date.now() + Math.max(delayMs, 1), true);
  else await condition(() => rt.stopRequested, Math.max(delayMs, 1));
  if (rt.stopRequested) return stopAsAsked(rt);
  rt.s.attempt += 1;
  return { kind: 'retry' };
}

/**
 * A monthly-cap refusal that waiting for the next month cannot fix, as a step; null when the wait
 * may help. Amazon's Get Charge Permission gives the cap (limits.amountLimit): a cycle above it
 * can never be charged, and a cycle refused again after one reset will not pass on the next
 * either without someone acting. Both go to needs_attention, naming the limit.
 */
async function capCannotReset(ctx: CycleContext): Promise<Step | null> {
  const { rt, acts, input } = ctx;
  const { answer, current } = await rt.checkPermission(acts);
  if (current.state === 'Closed' || current.state === 'NotFound') return stopAsAsked(rt);
  const amount = rt.amountFor(rt.s.cycle);
  // The limit is Amazon's answer (an IPN's evidence may not carry it).
  const limit = answer.amountLimit ?? null;
  const limitText = limit ? `${limit.amountMinor} ${limit.currency} (minor units)` : 'unknown';
  if (limit && BigInt(amount) > BigInt(limit.amountMinor)) {
    return needsAttention(ctx, 'PlanExceedsMonthlyCap', {
      sameKey: false,
      lastFailure: `cycle amount ${amount} ${input.currency} (minor units) is above the Charge Permission's monthly limit ${limitText}`,
    });
  }
  const perMonth = limit ? maxCyclesPerCalendarMonth(rt.intervalFor(rt.s.cycle)) : null;
  if (limit && perMonth !== null && perMonth > 1 && rt.patched(MONTHLY_CAP_COUNTS_CYCLES) && BigInt(amount) * BigInt(perMonth) > BigInt(limit.amountMinor)) {
    const lastFailure = `up to ${perMonth} cycles of ${amount} ${input.currency} (minor units) fall in one calendar month: ${BigInt(amount) * BigInt(perMonth)}, above the Charge Permission's monthly limit ${limitText}`;
    return needsAttention(ctx, 'PlanExceedsMonthlyCap', { sameKey: false, lastFailure });
  }
  if (rt.s.capWaitedCycle === rt.s.cycle) {
    return needsAttention(ctx, 'MonthlyCapStillExceeded', {
      sameKey: false,
      lastFailure: `refused again after the monthly cap reset; monthly limit ${limitText}`,
    });
  }
  rt.s.capWaitedCycle = rt.s.cycle;
  return null;
}

/** Nothing automatic can fix this: stop charging and wait for an admin's resume. */
async function needsAttention(ctx: CycleContext, reason: string, options: { sameKey: boolean; lastFailure?: string }): Promise<Step> {
  return waitForAdmin(ctx, 'needs_attention', reason, options);
}

async function waitForAdmin(ctx: CycleContext, status: SubscriptionStatus, reason: string, options: { sameKey: boolean; lastFailure?: string }): Promise<Step> {
  const { rt, acts } = ctx;
  rt.nextRetryAt = null;
  const detail = {
    cycle: rt.s.cycle,
    attempt: rt.s.attempt,
    sameKeyOnRetry: options.sameKey,
    ...(options.lastFailure ? { lastFailure: options.lastFailure.slice(0, 500) } : {}),
  };
  await rt.setStatus(acts, status, reason, rt.nextBillingAt, detail);
  const resumesBefore = rt.retryResumes;
  // A pause shows while it holds; the resume that lifts it only lifts it (PAUSE_HOLDS_EVERY_WAIT).
  const pauseHolds = rt.patched(PAUSE_HOLDS_EVERY_WAIT);
  for (;;) {
    await condition(() => rt.retryResumes !== resumesBefore || rt.stopRequested || (pauseHolds && rt.s.paused));
    if (rt.retryResumes !== resumesBefore || rt.stopRequested) break;
    await holdWhilePaused(ctx);
  }
  if (rt.stopRequested) return stopAsAsked(rt);
  if (!options.sameKey) rt.s.attempt += 1;
  rt.s.dunningStep = 0;
  // An operator's resume is a new start for this cycle's waits.
  clearGrace(rt);
  rt.s.capWaitedCycle = null;
  return { kind: 'retry' };
}

async function finalAction(ctx: CycleContext, reason: string): Promise<Step> {
  const { rt, acts, input } = ctx;
  // No final action while an operator's pause holds: it runs, if still due, once resumed.
  if (rt.patched(PAUSE_HOLDS_EVERY_WAIT)) {
    await holdWhilePaused(ctx);
    if (rt.stopRequested) return stopAsAsked(rt);
  }
  switch (input.policy.finalAction) {
    case 'cancel':
      return stop(reason);
    case 'cancel_and_close_permission':
      await acts.amazon.closePermission({ chargePermissionId: input.chargePermissionId, reason: `Subscription canceled: ${reason}`.slice(0, 255) });
      return stop(reason);
    case 'mark_unpaid':
      return waitForAdmin(ctx, 'unpaid', reason, { sameKey: false });
  }
}

/**
 * Waits for the final state of an AuthorizationInitiated charge of the current cycle and attempt:
 * a CHARGE IPN signal, or polling with backoff; records it on the attempt's ledger row. Null when
 * `pendingMaxWaitMs` passed undecided.
 */
export async function awaitPending({ rt, acts, input }: CycleContext, chargeId: string): Promise<ChargeUpdate | null> {
  const { pendingPollInitialMs, pendingPollMaxMs, pendingMaxWaitMs } = input.policy;
  const deadline = Date.now() + pendingMaxWaitMs;
  await rt.setStatus(acts, rt.s.status, 'AuthorizationPending', rt.nextBillingAt, { chargeId, cycle: rt.s.cycle });
  let delay = pendingPollInitialMs;
  for (;;) {
    const update = rt.chargeUpdate(chargeId);
    if (update && isChargeStateIn(update.state, DECIDED_CHARGE_STATES)) {
      await acts.db.recordChargeResolution({ subscriptionId: input.subscriptionId, cycle: rt.s.cycle, attempt: rt.s.attempt, ...update });
      return update;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return null;
    const wait = Math.min(delay, remaining);
    const woke = await rt.waitFor(
      () => isChargeStateIn(rt.chargeUpdate(chargeId)?.state, DECIDED_CHARGE_STATES),
      wait,
      () => timerSummary.pendingCharge(chargeId, Date.now() + wait, rt.zone()),
    );
    if (!woke) rt.noteChargeUpdate(await acts.amazon.getChargeStatus({ chargeId }));
    delay = Math.min(delay * 2, pendingPollMaxMs);
  }
}

/** The payment-method grace period is over for this cycle (paid, or an operator's resume started it afresh). */
function clearGrace(rt: SubscriptionRuntime): void {
  rt.s.graceStartedAt = null;
  // Histories recorded before PAUSE_HOLDS_EVERY_WAIT carry no such field: leave them as they were.
  if (rt.s.gracePausedMs != null) rt.s.gracePausedMs = null;
}

/** How a subscription ends when its Charge Permission expired: status ended, reason ChargePermissionExpired (billing/permission-end.ts, docs/cli.md statuses). */
const PERMISSION_EXPIRED_END: SettleResult = { kind: 'stop', ...PERMISSION_EXPIRED_ENDING };

/** Whether an expirationTimestamp (ISO instant; null: none) has passed in workflow time. */
function expiryPassed(expiresAt: string | null | undefined): boolean {
  return expiresAt != null && Date.now() >= Date.parse(expiresAt);
}

/**
 * The end of the subscription when its Charge Permission has expired (Amazon Pay would refuse
 * the charge, and the buyer's consent ended), else null: charge. The expiry known to have passed
 * is confirmed with Get Charge Permission first, since Amazon moves it (a recurringMetadata
 * update, its own rules); its answer is noted, so a later expiry or none is charged on
 * (PERMISSION_EXPIRY_ASKED_OF_AMAZON). Runs from before that patch end at the input's expiry
 * unasked. A Closed or NotFound answer stops it as every stop does (stopAsAsked: Closed/Expired ends it
 * the same way, ended ChargePermissionExpired, under STOP_CARRIES_FINAL_STATUS).
 */
async function permissionExpired(ctx: CycleContext): Promise<SettleResult | null> {
  const { rt, acts, input } = ctx;
  if (!rt.patched(NO_CHARGE_AFTER_PERMISSION_EXPIRY)) return null;
  if (!rt.patched(PERMISSION_EXPIRY_ASKED_OF_AMAZON)) return expiryPassed(input.permissionExpiresAt) ? PERMISSION_EXPIRED_END : null;
  if (!expiryPassed(rt.permissionExpiresAt)) return null;
  const { current } = await rt.checkPermission(acts);
  if (current.state === 'Closed' || current.state === 'NotFound') return stopAsAsked(rt);
  return expiryPassed(rt.permissionExpiresAt) ? PERMISSION_EXPIRED_END : null;
}

/** The cycle's own end, canceled with `reason` (a final action of dunning or the payment-method grace). */
function stop(reason: string): SettleResult {
  return { kind: 'stop', status: 'canceled', reason };
}

/**
 * A stop asked from outside the cycle (cancel now, the permission closed or gone): as the stop
 * carried it (SubscriptionRuntime.stopEnding) — canceled with its reason, or ended
 * ChargePermissionExpired for a permission Amazon closed as Expired (STOP_CARRIES_FINAL_STATUS).
 */
function stopAsAsked(rt: SubscriptionRuntime): SettleResult {
  return { kind: 'stop', ...rt.stopEnding() };
}
