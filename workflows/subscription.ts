// One long-lived entity workflow per subscription: sleep until the cycle is due, charge it
// exactly once (deterministic idempotency key per cycle and attempt), record it, repeat.
// Dunning, payment-method waits and pending authorizations live in settle-cycle.ts.
import { CancellationScope, condition, isCancellation, log, setHandler } from '@temporalio/workflow';
import { validateAmountMinor, validateInterval } from '../billing/plan-rules.js';
import {
  cancelSignal,
  changePlanUpdate,
  chargeUpdateSignal,
  isEvidenceOfChange,
  pauseSignal,
  permissionStatusSignal,
  resumeSignal,
  stateQuery,
} from './messages.js';
import { continueAsNewBetweenCycles, continueAsNewDue } from './continue-as-new.js';
import { guardActivityCalls, StoppedWhileCallFailed } from './guarded-calls.js';
import { settleCheckoutCharge } from './checkout-charge.js';
import {
  CHARGE_ATTEMPT_HEARTBEAT,
  CHECKOUT_CHARGE_AS_AMAZON_HAS_IT,
  CYCLE_DUE_BEFORE_PAUSE_BILLED,
  PLAN_CHANGE_EXCLUSIVE,
  PLAN_CHANGE_WRITTEN_EXPLICITLY,
  SKIP_CYCLES_DUE_IN_ANY_PAUSE,
} from './patches.js';
import { createActivityProxies } from './proxies.js';
import { settleCycle, type CycleContext } from './settle-cycle.js';
import { SubscriptionRuntime } from './runtime.js';
import { timerSummary } from './ui-metadata.js';
import type { CarriedState, ChangePlanRequest, SubscriptionWorkflowInput } from './types.js';

export type SubscriptionWorkflowResult = { status: 'canceled' | 'ended'; reason: string | null; cycle: number };

export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionWorkflowResult> {
  const firstRun = input.state === undefined;
  const rt = new SubscriptionRuntime(input, input.state ?? initialState(input));
  const acts = guardActivityCalls(createActivityProxies(input, { chargeHeartbeat: rt.patched(CHARGE_ATTEMPT_HEARTBEAT) }), rt);

  setHandler(stateQuery, () => rt.snapshot());
  setHandler(pauseSignal, ({ reason }) => rt.pause(reason));
  setHandler(resumeSignal, ({ reason }) => rt.resume(reason));
  setHandler(cancelSignal, (request) => rt.requestCancel(request));
  // Read as it arrives, in either wire form (histories hold signals with the old `source`).
  setHandler(permissionStatusSignal, (payload) => rt.notePermission(payload, isEvidenceOfChange(payload)));
  setHandler(chargeUpdateSignal, (update) => rt.noteChargeUpdate(update));
  setHandler(
    changePlanUpdate,
    async (request: ChangePlanRequest) => {
      // Histories recorded before the plan lock decided the cycle, awaited, then wrote (a charge could start in between).
      const fromCycle = rt.patched(PLAN_CHANGE_EXCLUSIVE)
        ? await rt.planLock.runExclusive(() => applyPlanChange(rt, acts, request, true))
        : await applyPlanChange(rt, acts, request, false);
      // The plan write the workflow asks for; histories recorded before PLAN_CHANGE_WRITTEN_EXPLICITLY
      // reported it as an event whose activity wrote the plan too (activities/subscription-writes.ts).
      if (rt.patched(PLAN_CHANGE_WRITTEN_EXPLICITLY)) await acts.db.recordPlanChange({ subscriptionId: input.subscriptionId, fromCycle, ...request });
      else await acts.db.recordEvent({ subscriptionId: input.subscriptionId, kind: 'plan_changed', cycle: fromCycle, detail: { ...request } });
      return { fromCycle, amountMinor: rt.amountFor(fromCycle), interval: rt.intervalFor(fromCycle) };
    },
    {
      validator: (request: ChangePlanRequest) => {
        const problems = [
          ...(request.amountMinor === undefined ? [] : validateAmountMinor(request.amountMinor, 'amountMinor')),
          ...(request.interval === undefined ? [] : validateInterval(request.interval, { environment: input.environment }, 'interval')),
        ];
        if (request.amountMinor === undefined && request.interval === undefined)
          problems.push({ field: 'request', message: 'give amountMinor, interval or both' });
        if (rt.ended) problems.push({ field: 'subscription', message: `it has ended (${rt.s.status})` });
        if (problems.length > 0) throw new Error(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
      },
    },
  );

  try {
    if (firstRun) await startSubscription(rt, acts, input);
    let settledThisRun = 0;
    for (;;) {
      const plannedAt = rt.version;
      const plan = await rt.planFor(acts, rt.s.cycle);
      if (!plan.inTerm) return await rt.finish(acts, 'ended', 'TermCompleted');
      const due = await waitUntilDue(rt, acts, plan.dueAt);
      if (due === 'closed') return await rt.finishAs(acts, rt.stopEnding());
      if (due === 'replan') continue;
      // The period paid for by the previous cycle ends now: cancel-at-period-end takes effect.
      if (rt.s.cancelAtPeriodEnd) return await rt.finish(acts, 'canceled', rt.s.cancelAtPeriodEnd.reason);
      // The cycle starts under the plan lock: a plan change in flight finishes first (then this
      // cycle is planned again with it), and one that comes later sees the cycle in progress.
      if (rt.patched(PLAN_CHANGE_EXCLUSIVE) && !(await rt.planLock.runExclusive(() => rt.startCycleIfPlanned(plannedAt)))) continue;

      const ctx: CycleContext = { rt, acts, input };
      const settled = await settleCycle(ctx);
      if (settled.kind === 'stop') return await rt.finish(acts, settled.status, settled.reason);

      rt.s.cycle += 1;
      rt.s.attempt = 1;
      settledThisRun += 1;
      // A stop that arrived while the cycle settled is not carried to a new run: act on it here.
      if (rt.stopRequested) return await rt.finishAs(acts, rt.stopEnding());
      if (continueAsNewDue(rt, settledThisRun)) {
        // Returns only if a stop arrived while handlers finished.
        await continueAsNewBetweenCycles(rt);
        return await rt.finishAs(acts, rt.stopEnding());
      }
    }
  } catch (error) {
    // Stopped (cancel now, permission closed) while a failed call waited for its retry.
    if (error instanceof StoppedWhileCallFailed) return await CancellationScope.nonCancellable(() => rt.finishAs(acts, rt.stopEnding()));
    if (isCancellation(error)) {
      // Cancelled (the buyer closed the Charge Permission, or an admin stopped it): any charge in
      // flight has already been settled in a non-cancellable scope; record why it ended.
      const ending = rt.cancellationEnding();
      await CancellationScope.nonCancellable(() => rt.finishAs(acts, ending));
      log.info('subscription cancelled', { subscriptionId: input.subscriptionId, cycle: rt.s.cycle, status: ending.status, reason: ending.reason });
    }
    throw error;
  }
}

/**
 * Decides the first cycle the change applies to and writes it. With `locked` (PLAN_CHANGE_EXCLUSIVE)
 * it runs under the plan lock and leaves an unchanged interval alone (the dates stay on the
 * subscription's own anchor); without, it is the body histories recorded before that ran.
 */
async function applyPlanChange(
  rt: SubscriptionRuntime,
  acts: ReturnType<typeof createActivityProxies>,
  request: ChangePlanRequest,
  locked: boolean,
): Promise<number> {
  const fromCycle = rt.cycleInProgress ? rt.s.cycle + 1 : rt.s.cycle;
  const current = rt.intervalFor(fromCycle);
  const unchanged = request.interval !== undefined && request.interval.unit === current.unit && request.interval.count === current.count;
  if (request.interval && !(locked && unchanged)) {
    rt.s.segments = await acts.local.rebaseSchedule({ segments: rt.s.segments, fromCycle, interval: request.interval });
  }
  if (request.amountMinor) rt.s.amountChanges = [...rt.s.amountChanges.filter((c) => c.fromCycle < fromCycle), { fromCycle, amountMinor: request.amountMinor }];
  rt.scheduleChanged();
  return fromCycle;
}

/** The state of a subscription that has billed nothing yet (cycle 0, attempt 1, active, the input's plan). */
export function initialState(input: SubscriptionWorkflowInput): CarriedState {
  return {
    cycle: 0,
    attempt: 1,
    status: 'active',
    statusReason: null,
    paused: false,
    cancelAtPeriodEnd: null,
    amountChanges: [{ fromCycle: 0, amountMinor: input.amountMinor }],
    segments: input.segments,
    lastCharge: null,
    dunningStep: 0,
    chargesMade: 0,
  };
}

async function startSubscription(rt: SubscriptionRuntime, acts: ReturnType<typeof createActivityProxies>, input: SubscriptionWorkflowInput): Promise<void> {
  if (input.firstChargeId && rt.patched(CHECKOUT_CHARGE_AS_AMAZON_HAS_IT)) {
    const outcome = await settleCheckoutCharge({ rt, acts, input }, input.firstChargeId);
    if (outcome.kind === 'paid') {
      const { chargeId, state } = outcome.update;
      rt.s.lastCharge = { cycle: 0, attempt: 0, chargeId, state, reasonCode: null, at: new Date(Date.now()).toISOString() };
      rt.s.cycle = 1;
    } else if (outcome.kind === 'unpaid') rt.noteUnpaidCheckoutCharge(outcome.update);
    rt.s.attempt = outcome.kind === 'unpaid' ? 0 : 1;
  } else if (input.firstChargeId) {
    // Histories recorded before CHECKOUT_CHARGE_AS_AMAZON_HAS_IT took every checkout charge as Captured.
    const recorded = await acts.db.recordCheckoutCharge({
      subscriptionId: input.subscriptionId,
      chargeId: input.firstChargeId,
      amountMinor: input.amountMinor,
      currency: input.currency,
    });
    rt.s.lastCharge = { cycle: 0, attempt: 0, chargeId: input.firstChargeId, state: recorded.state, reasonCode: null, at: recorded.at };
    rt.s.cycle = 1;
  }
  const first = await rt.planFor(acts, rt.s.cycle);
  // Before the first charge is due after a trial, the subscription is trialing.
  const trialing = input.trialing === true && !input.firstChargeId;
  await rt.setStatus(acts, trialing ? 'trialing' : 'active', null, first.dueAt);
}

/** Sleeps until the cycle is due; wakes early to re-plan (plan change, resume) or when the permission closes. */
async function waitUntilDue(rt: SubscriptionRuntime, acts: ReturnType<typeof createActivityProxies>, dueAt: string): Promise<'due' | 'replan' | 'closed'> {
  // A cycle that was already due when the pause began is not skipped: it starts, and the pause
  // holds it like any wait of a cycle (settle-cycle.ts holdWhilePaused); it is charged on resume.
  if (rt.s.paused && !rt.stopRequested && dueBeforePause(rt, dueAt) && rt.patched(CYCLE_DUE_BEFORE_PAUSE_BILLED)) {
    rt.nextBillingAt = dueAt;
    return 'due';
  }
  await rt.publishNextBilling(acts, dueAt);
  const version = rt.version;
  const remaining = Date.parse(dueAt) - Date.now();
  if (remaining > 0) {
    const woken = await rt.waitFor(
      () => rt.version !== version || rt.s.paused || rt.stopRequested,
      remaining,
      () => timerSummary.cycleDue(rt.s.cycle, dueAt, rt.zone()),
    );
    if (woken && rt.stopRequested) return 'closed';
    if (woken && !rt.s.paused) return 'replan';
  }
  if (rt.stopRequested) return 'closed';
  if (!rt.s.paused) return (await skippedDueWhilePaused(rt, acts, dueAt)) ? 'replan' : 'due';

  // Paused: no charges. On resume, cycles that came due during the pause are skipped, not
  // billed late (like pausing collection); billing continues with the next cycle due from now.
  // (A cycle due before the pause began did not come here: see the top.)
  const before = rt.s.status;
  await rt.setStatus(acts, 'paused', rt.pauseReason, null);
  await condition(() => !rt.s.paused || rt.stopRequested);
  if (rt.stopRequested) return 'closed';
  await skipCyclesDueBefore(rt, acts, new Date(Date.now()).toISOString());
  await rt.setStatus(acts, before === 'paused' ? 'active' : before, rt.resumeReason, null);
  return 'replan';
}

/** Whether the cycle due at `dueAt` came due before the operator's pause in force began (unknown when a pause carries no start). */
function dueBeforePause(rt: SubscriptionRuntime, dueAt: string): boolean {
  const since = rt.s.pausedSince;
  return since != null && Date.parse(dueAt) < Date.parse(since);
}

/**
 * A cycle due (at `dueAt`, already past) inside a lifted pause: it and every later cycle due
 * before that pause's end are skipped and recorded. Returns whether it skipped (then re-plan).
 * Histories recorded before SKIP_CYCLES_DUE_IN_ANY_PAUSE billed them late; they replay that way.
 */
async function skippedDueWhilePaused(rt: SubscriptionRuntime, acts: ReturnType<typeof createActivityProxies>, dueAt: string): Promise<boolean> {
  const pause = rt.pauseHolding(Date.parse(dueAt));
  if (!pause || !rt.patched(SKIP_CYCLES_DUE_IN_ANY_PAUSE)) return false;
  await skipCyclesDueBefore(rt, acts, pause.to);
  return true;
}

/** Moves to the first cycle due at or after `atOrAfter` (ISO UTC), recording the cycles skipped as `cycles_skipped_while_paused`. */
async function skipCyclesDueBefore(rt: SubscriptionRuntime, acts: ReturnType<typeof createActivityProxies>, atOrAfter: string): Promise<void> {
  const next = await acts.local.firstCycleDueFrom({ segments: rt.s.segments, fromCycle: rt.s.cycle, atOrAfter });
  if (next > rt.s.cycle) {
    await acts.db.recordEvent({
      subscriptionId: rt.input.subscriptionId,
      kind: 'cycles_skipped_while_paused',
      cycle: rt.s.cycle,
      detail: { from: rt.s.cycle, to: next - 1 },
    });
    rt.s.cycle = next;
    rt.s.attempt = 1;
  }
}
