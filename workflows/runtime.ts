// The subscription workflow's in-memory state and the small transitions every part of it
// shares: status changes (database + search attributes), messages, and the query snapshot.
import { condition, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import type { BillingInterval, SubscriptionStatus } from '../billing/types.js';
import { PatchDecisions } from './patch-decisions.js';
import {
  CHECK_YIELDS_TO_NEWER_EVIDENCE,
  PAUSE_HOLDS_DUNNING,
  STATUS_WRITES_AS_LOCAL_ACTIVITIES,
  STATUS_WRITES_FOLLOW_LAST_WRITTEN,
  STOP_CARRIES_FINAL_STATUS,
  TIMER_SUMMARIES,
} from './patches.js';
import { currentDetails } from './ui-metadata.js';
import type { ActivityProxies } from './proxies.js';
import { FINAL_SUBSCRIPTION_STATUSES, type FinalSubscriptionStatus } from '../billing/vocabulary.js';
import { endingForPermission, type SubscriptionEnding } from '../billing/permission-end.js';
import { BillingCycleKey, BillingStatusKey, NextBillingAtKey } from './search-attributes.js';
import type {
  CancelRequest,
  CarriedState,
  ChargeUpdate,
  CyclePlan,
  FailedCall,
  NotedPermission,
  PauseWindow,
  PermissionStatus,
  PlannedCycle,
  SubscriptionState,
  SubscriptionWorkflowInput,
} from './types.js';

/** A status row as the database holds it after a write. */
export interface WrittenStatus {
  status: SubscriptionStatus;
  reasonCode: string | null;
  cycle: number;
  nextBillingAt: string | null;
}

function sameStatus(a: WrittenStatus | null, b: WrittenStatus): boolean {
  return a !== null && a.status === b.status && a.reasonCode === b.reasonCode && a.cycle === b.cycle && a.nextBillingAt === b.nextBillingAt;
}

export class SubscriptionRuntime {
  /** Decided before anything else the run does (workflows/patch-decisions.ts): keep it the first field. */
  private readonly patches = new PatchDecisions();
  /** Bumped whenever the schedule or amount changes, so a sleeping loop re-plans. */
  version = 0;
  cycleInProgress = false;
  /** Held by a plan change from deciding its first cycle to writing it, and by the loop while it starts a cycle. */
  readonly planLock = new Mutex();
  ended = false;
  nextBillingAt: string | null = null;
  nextRetryAt: string | null = null;
  outstanding: { cycle: number; attempt: number; reasonCode: string | null } | null = null;
  pauseReason: string | null = null;
  resumeReason: string | null = null;
  /** Counts resume signals: an admin's resume is also how a needs_attention/unpaid cycle is retried. */
  resumes = 0;
  /** Counts every resume signal, also one that only lifts a pause: it brings a failed call back at once (UNPAUSE_RETRIES_FAILED_CALL). */
  resumeSignals = 0;
  /** Resumes that only brought a failed activity call back (workflows/guarded-calls.ts): they are not also a retry of the cycle. */
  resumesTakenByFailedCalls = 0;
  cancelReason: string | null = null;
  /** The final status the stop asked for ends the subscription with (STOP_CARRIES_FINAL_STATUS; runs before it: canceled). */
  cancelStatus: FinalSubscriptionStatus = 'canceled';
  cancelNow = false;
  permission: NotedPermission | null = null;
  permissionVersion = 0;
  /**
   * The Charge Permission's expirationTimestamp as last known (ISO instant; null: none): the
   * input's, then every answer noted that states one (PERMISSION_EXPIRY_ASKED_OF_AMAZON reads it).
   */
  permissionExpiresAt: string | null;
  /** Counts evidence of a change (an IPN's fetch) that found the permission Chargeable: a buyer fixed it, kept even if a routine check lands after. */
  chargeableOnEvidence = 0;
  /** A failed activity call waiting for its retry (workflows/guarded-calls.ts). */
  failedCall: FailedCall | null = null;
  /** Counts answers from Amazon that found the permission NonChargeable, so one followed at once by Chargeable is not lost. */
  nonChargeableSeen = 0;
  /**
   * Counts permissions an IPN's fetch brought (evidenceOfChange), with the last one: a routine
   * check Amazon answered before it but delivered after overwrites `permission`, not this.
   */
  evidenceNotes = 0;
  lastEvidence: NotedPermission | null = null;
  /** The permission as noted when this cycle's last charge was sent (BASELINE_FROM_BEFORE_ATTEMPT); null when none was. */
  permissionAtAttempt: NotedPermission | null = null;
  private readonly chargeUpdates = new Map<string, ChargeUpdate>();
  /**
   * Cycle 0's checkout charge when Amazon declined or canceled it (workflows/checkout-charge.ts):
   * the first settleCycle decides on it before any Create Charge. Set and taken in the same run,
   * before any cycle settles (so never carried across a continue-as-new).
   */
  private unpaidCheckoutCharge: ChargeUpdate | null = null;
  /** Plans the planCycle local activity returned for later cycles, valid while `version` is `plannedVersion`. */
  private planned = new Map<number, CyclePlan>();
  private plannedVersion = 0;
  /**
   * The status row as this run last wrote it — by its own status writes or by the charge
   * activity with a paid charge (ChargeCycleInput.onPaid) —; null before the run's first write.
   * A write of exactly this is skipped: the row already says it.
   */
  lastWritten: WrittenStatus | null = null;
  /** What the subscription last showed (query, search attributes): what histories before STATUS_WRITES_FOLLOW_LAST_WRITTEN compared with. */
  private shown: WrittenStatus | null = null;
  /**
   * A failed activity call shown over the workflow's own status (FAILED_CALL_SHOWN_OVER_OWN_STATUS in
   * guarded-calls.ts): while set, every status write shows it instead, and `s.status` keeps what the
   * workflow itself holds, which recovery writes back. Final statuses are written as they are.
   */
  failedCallShown: { status: SubscriptionStatus; reason: string | null } | null = null;
  /** The status the query and search attributes show: the workflow's own, or a failed call over it. */
  private displayed: { status: SubscriptionStatus; reason: string | null };
  private publishedStatus: string | null = null;
  private publishedNext: string | null = null;
  private publishedCycle: number | null = null;
  private publishedDetails: string | null = null;

  constructor(
    readonly input: SubscriptionWorkflowInput,
    public s: CarriedState,
  ) {
    this.displayed = { status: s.status, reason: s.statusReason };
    this.permissionExpiresAt = input.permissionExpiresAt ?? null;
    // A pause carried across a continue-as-new keeps its reason.
    this.pauseReason = s.paused ? (s.pauseReason ?? null) : null;
  }

  /** Whether this run takes patch `id`'s new branch (`id`: a constant from workflows/patches.ts). */
  patched(id: string): boolean {
    return this.patches.has(id);
  }

  pause(reason: string): void {
    if (this.ended) return;
    // Workflow time at the signal: the same on every replay (SKIP_CYCLES_DUE_IN_ANY_PAUSE).
    if (!this.s.paused) this.s.pausedSince = new Date(Date.now()).toISOString();
    this.s.paused = true;
    this.pauseReason = reason;
  }

  resume(reason: string): void {
    // A resume that lifts an operator's pause only lifts it (dunning continues where it stood);
    // otherwise it is how an admin retries a cycle waiting in needs_attention/unpaid/payment_method_required.
    const unpauses = this.s.paused && this.patched(PAUSE_HOLDS_DUNNING);
    if (this.s.paused && this.s.pausedSince)
      this.s.pauseWindows = [...(this.s.pauseWindows ?? []), { from: this.s.pausedSince, to: new Date(Date.now()).toISOString() }];
    this.s.pausedSince = null;
    this.s.paused = false;
    this.resumeReason = reason;
    this.resumeSignals += 1;
    if (!unpauses) this.resumes += 1;
  }

  requestCancel(request: CancelRequest): void {
    if (request.mode === 'period_end') {
      this.s.cancelAtPeriodEnd = { reason: request.reason };
      this.publishDetails();
    } else {
      this.cancelNow = true;
      this.cancelReason = request.reason;
      // Only the daemon's own stops say `ended` (an expired permission); an absent status is canceled.
      if (this.patched(STOP_CARRIES_FINAL_STATUS)) this.cancelStatus = request.status === 'ended' ? 'ended' : 'canceled';
    }
  }

  /** `evidenceOfChange`: see PermissionStatusSignal; the workflow's own checks are routine (false). */
  notePermission(status: PermissionStatus, evidenceOfChange: boolean): void {
    const { state, reasons, paymentDescriptor, amountLimit, expiresAt } = status;
    this.permission = {
      state,
      reasons,
      ...(paymentDescriptor !== undefined ? { paymentDescriptor } : {}),
      ...(amountLimit !== undefined ? { amountLimit } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      evidenceOfChange,
    };
    // An answer that states no expiry (older signals, an unreadable value) leaves the known one.
    if (expiresAt !== undefined) this.permissionExpiresAt = expiresAt;
    if (evidenceOfChange && status.state === 'Chargeable') this.chargeableOnEvidence += 1;
    if (evidenceOfChange) {
      this.evidenceNotes += 1;
      this.lastEvidence = this.permission;
    }
    if (status.state === 'NonChargeable') this.nonChargeableSeen += 1;
    this.permissionVersion += 1;
    // The first stop noted decides how the run ends (an operator's stop before the closure stays the operator's).
    if ((status.state === 'Closed' || status.state === 'NotFound') && this.cancelReason === null) {
      if (this.patched(STOP_CARRIES_FINAL_STATUS)) {
        const ending = endingForPermission(status);
        if (ending) this.stopWith(ending);
      } else this.cancelReason = status.reasons[0] ?? `ChargePermission${status.state}`;
    }
  }

  private stopWith(ending: SubscriptionEnding): void {
    this.cancelReason = ending.reason;
    this.cancelStatus = ending.status;
  }

  /**
   * A routine Get Charge Permission check of the subscription's permission, noted. `answer` is
   * Amazon's answer as it came (a payment descriptor's baseline compares with it); `current` is
   * what the run now holds as the permission's state, what decisions read: the answer, or — when
   * an IPN's evidence arrived while the check was in flight (CHECK_YIELDS_TO_NEWER_EVIDENCE) —
   * that evidence, which then stays the noted permission, since Amazon may have answered the
   * check before what the evidence reports. A Closed or NotFound answer is always taken.
   * Throws what the activity throws.
   */
  async checkPermission(acts: ActivityProxies): Promise<{ answer: PermissionStatus; current: PermissionStatus }> {
    const evidenceBefore = this.evidenceNotes;
    const answer = await acts.amazon.getPermissionStatus({ chargePermissionId: this.input.chargePermissionId });
    const evidence = this.evidenceNotes !== evidenceBefore ? this.lastEvidence : null;
    const final = answer.state === 'Closed' || answer.state === 'NotFound';
    if (evidence === null || final || !this.patched(CHECK_YIELDS_TO_NEWER_EVIDENCE)) {
      this.notePermission(answer, false);
      return { answer, current: answer };
    }
    // Still a sign that the permission was NonChargeable after the decline (the fix's evidence).
    if (answer.state === 'NonChargeable') this.nonChargeableSeen += 1;
    // The evidence's expiry is the newer one; an evidence that states none leaves the answer's.
    if (evidence.expiresAt === undefined && answer.expiresAt !== undefined) this.permissionExpiresAt = answer.expiresAt;
    return { answer, current: evidence };
  }

  noteChargeUpdate(update: ChargeUpdate): void {
    this.chargeUpdates.set(update.chargeId, update);
  }

  chargeUpdate(chargeId: string): ChargeUpdate | undefined {
    return this.chargeUpdates.get(chargeId);
  }

  noteUnpaidCheckoutCharge(update: ChargeUpdate): void {
    this.unpaidCheckoutCharge = update;
  }

  /** The unpaid checkout charge noted for cycle 0, once; null afterwards and in every other case. */
  takeUnpaidCheckoutCharge(): ChargeUpdate | null {
    const update = this.unpaidCheckoutCharge;
    this.unpaidCheckoutCharge = null;
    return update;
  }

  /** The buyer closed the permission, Amazon says it is gone, or an admin asked to stop now. */
  get stopRequested(): boolean {
    return this.cancelNow || this.permission?.state === 'Closed' || this.permission?.state === 'NotFound';
  }

  /** Operator resumes that ask for a retry of the cycle (those a failed call took are not counted). */
  get retryResumes(): number {
    return this.resumes - this.resumesTakenByFailedCalls;
  }

  /**
   * How a stop ends the subscription: the status and reason the stop carried (an expired
   * permission: ended, ChargePermissionExpired; otherwise canceled with its reason, Canceled when none).
   */
  stopEnding(): SubscriptionEnding {
    return { status: this.cancelStatus, reason: this.cancelReason ?? 'Canceled' };
  }

  /** How the run ends when Temporal cancelled it: as its stop asked, WorkflowCancelled when no stop came with it. */
  cancellationEnding(): SubscriptionEnding {
    return { status: this.cancelStatus, reason: this.cancelReason ?? 'WorkflowCancelled' };
  }

  /**
   * The lifted pause a cycle due at `dueMs` (epoch ms) came due in, if any. Pauses that ended
   * before it are dropped: later cycles are due later still, so none of them can fall inside.
   */
  pauseHolding(dueMs: number): PauseWindow | undefined {
    const windows = this.s.pauseWindows;
    if (!windows || windows.length === 0) return undefined;
    const open = windows.filter((w) => Date.parse(w.to) > dueMs);
    if (open.length !== windows.length) this.s.pauseWindows = open;
    return open.find((w) => Date.parse(w.from) <= dueMs);
  }

  scheduleChanged(): void {
    this.version += 1;
    // The Web UI shows a change as soon as it is made (no command: replays are unaffected).
    this.publishDetails();
  }

  /** The plan of the next cycle when a change makes it differ from the current one's; null otherwise. */
  private planAhead(): { fromCycle: number; amountMinor: string; interval: BillingInterval } | null {
    const next = this.s.cycle + 1;
    const amountMinor = this.amountFor(next);
    const interval = this.intervalFor(next);
    const current = this.intervalFor(this.s.cycle);
    const same = amountMinor === this.amountFor(this.s.cycle) && interval.unit === current.unit && interval.count === current.count;
    return same ? null : { fromCycle: next, amountMinor, interval };
  }

  /** Marks the cycle in progress if the plan it was due by still holds (no change since `plannedAt`); call under planLock. */
  startCycleIfPlanned(plannedAt: number): boolean {
    if (this.version !== plannedAt) return false;
    this.cycleInProgress = true;
    return true;
  }

  /**
   * The plan of `cycle`: from an earlier planCycle result when the schedule has not changed
   * since, otherwise from the local activity. Results recorded before planCycle returned
   * `ahead` carry none, so replaying them calls the activity exactly where they did.
   */
  async planFor(acts: ActivityProxies, cycle: number): Promise<CyclePlan> {
    const known = this.plannedAhead(cycle);
    if (known) return known;
    const plan: CyclePlan & { ahead?: PlannedCycle[] } = await acts.local.planCycle({ segments: this.s.segments, cycle, end: this.input.end ?? null });
    this.planned = new Map();
    this.plannedVersion = this.version;
    if (plan.ahead) {
      this.planned.set(cycle, { dueAt: plan.dueAt, inTerm: plan.inTerm });
      for (const p of plan.ahead) this.planned.set(p.cycle, { dueAt: p.dueAt, inTerm: p.inTerm });
    }
    return { dueAt: plan.dueAt, inTerm: plan.inTerm };
  }

  /** The plan of `cycle` if an earlier planCycle result still holds it; never calls an activity. */
  plannedAhead(cycle: number): CyclePlan | undefined {
    return this.plannedVersion === this.version ? this.planned.get(cycle) : undefined;
  }

  amountFor(cycle: number): string {
    let amount = this.input.amountMinor;
    for (const change of this.s.amountChanges) if (change.fromCycle <= cycle) amount = change.amountMinor;
    return amount;
  }

  intervalFor(cycle: number): BillingInterval {
    let segment = this.s.segments[0];
    for (const candidate of this.s.segments) if (candidate.fromCycle <= cycle) segment = candidate;
    if (!segment) throw new Error('subscription has no schedule segment');
    return segment.interval;
  }

  /** Records a status (and the next billing time) in PostgreSQL and the Web UI's search attributes. */
  async setStatus(
    acts: ActivityProxies,
    status: SubscriptionStatus,
    reason: string | null,
    nextBillingAt: string | null,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    const over = this.failedCallShown !== null && !(FINAL_SUBSCRIPTION_STATUSES as readonly string[]).includes(status) ? this.failedCallShown : null;
    const display = over ?? { status, reason };
    const wanted: WrittenStatus = { status: display.status, reasonCode: display.reason, cycle: this.s.cycle, nextBillingAt };
    if (this.needsWrite(wanted)) {
      // Histories recorded before status writes became local activities replay the old command.
      const recordStatus = this.patched(STATUS_WRITES_AS_LOCAL_ACTIVITIES) ? acts.localDb.recordStatus : acts.db.recordStatus;
      await recordStatus({
        subscriptionId: this.input.subscriptionId,
        status: display.status,
        reasonCode: display.reason,
        cycle: this.s.cycle,
        nextBillingAt,
        detail: over ? { ...detail, heldStatus: status, heldReason: reason } : detail,
        ended: status === 'canceled' || status === 'ended',
      });
      this.lastWritten = wanted;
    }
    // Only now does the query report the new status: whoever sees it there also finds it in
    // PostgreSQL (the write above has completed) and, right after, in the search attributes.
    this.s.status = status;
    this.s.statusReason = reason;
    this.nextBillingAt = nextBillingAt;
    this.shown = wanted;
    this.displayed = display;
    this.publish();
  }

  /** The charge activity wrote this status with its paid charge (ChargeCycleInput.onPaid). */
  statusWrittenByCharge(written: WrittenStatus): void {
    this.lastWritten = written;
    // Histories before STATUS_WRITES_FOLLOW_LAST_WRITTEN skipped the next write of exactly this:
    // the same decision as comparing with it (the cycle moves on before any other write).
    this.shown = written;
  }

  /**
   * Whether the row must be written: it does not already say `wanted`. Histories recorded before
   * STATUS_WRITES_FOLLOW_LAST_WRITTEN compared with what the subscription showed; the two differ
   * only after a status the database could not take, and only there is the patch asked.
   */
  private needsWrite(wanted: WrittenStatus): boolean {
    const stale = !sameStatus(this.lastWritten, wanted);
    const shownDiffers = !sameStatus(this.shown, wanted);
    if (stale === shownDiffers) return stale;
    return this.patched(STATUS_WRITES_FOLLOW_LAST_WRITTEN) ? stale : shownDiffers;
  }

  /** A status the database could not take (its write is failing): shown in the query and the search attributes only. */
  showUnrecordedStatus(status: SubscriptionStatus, reason: string | null): void {
    this.s.status = status;
    this.s.statusReason = reason;
    this.shown = { status, reasonCode: reason, cycle: this.s.cycle, nextBillingAt: this.nextBillingAt };
    this.displayed = { status, reason };
    this.publish();
  }

  /**
   * Shows a failed call (`failed`: status and reason) over the workflow's own status, or with
   * null restores that status (FAILED_CALL_SHOWN_OVER_OWN_STATUS). Written like any status change;
   * throws what the status write throws.
   */
  async showFailedCall(
    acts: ActivityProxies,
    failed: { status: SubscriptionStatus; reason: string | null } | null,
    detail?: Record<string, unknown>,
  ): Promise<void> {
    this.failedCallShown = failed;
    await this.setStatus(acts, this.s.status, this.s.statusReason, this.nextBillingAt, detail);
  }

  /** A failed call shown in the query and search attributes only, when even its status write fails. */
  showUnrecordedFailedCall(failed: { status: SubscriptionStatus; reason: string | null }): void {
    this.failedCallShown = failed;
    this.shown = { status: failed.status, reasonCode: failed.reason, cycle: this.s.cycle, nextBillingAt: this.nextBillingAt };
    this.displayed = failed;
    this.publish();
  }

  async publishNextBilling(acts: ActivityProxies, dueAt: string): Promise<void> {
    await this.setStatus(acts, this.s.status, this.s.statusReason, dueAt);
  }

  async finish(
    acts: ActivityProxies,
    status: 'canceled' | 'ended',
    reason: string | null,
  ): Promise<{ status: 'canceled' | 'ended'; reason: string | null; cycle: number }> {
    if (!this.ended) {
      this.nextRetryAt = null;
      await this.setStatus(acts, status, reason, null);
      this.ended = true;
    }
    return { status, reason, cycle: this.s.cycle };
  }

  /** finish() with a stop's end (stopEnding, cancellationEnding). */
  finishAs(acts: ActivityProxies, ending: SubscriptionEnding): Promise<{ status: 'canceled' | 'ended'; reason: string | null; cycle: number }> {
    return this.finish(acts, ending.status, ending.reason);
  }

  /** The buyer's zone: the schedule's anchor zone (every segment keeps it). */
  zone(): string {
    return this.s.segments[0]?.anchor.zone ?? 'UTC';
  }

  /**
   * condition(fn, timeoutMs) whose timer says in the Web UI what it waits for (TIMER_SUMMARIES;
   * runs from before it start the timer without a summary, as their histories have it).
   */
  waitFor(fn: () => boolean, timeoutMs: number, summary: () => string): Promise<boolean> {
    return this.patched(TIMER_SUMMARIES) ? condition(fn, timeoutMs, { summary: summary() }) : condition(fn, timeoutMs);
  }

  /** The Web UI's "current details": no command, no history event (the SDK serves it by query). */
  private publishDetails(): void {
    const details = currentDetails({
      status: this.displayed.status,
      reason: this.displayed.reason,
      amountMinor: this.amountFor(this.s.cycle),
      currency: this.input.currency,
      interval: this.intervalFor(this.s.cycle),
      cycle: this.s.cycle,
      nextBillingAt: this.nextBillingAt,
      nextRetryAt: this.failedCall?.nextRetryAt ?? this.nextRetryAt,
      dunningStep: this.s.dunningStep,
      dunningSteps: this.input.policy.dunningRetryDelaysMs.length,
      paused: this.s.paused,
      zone: this.zone(),
      planAhead: this.planAhead(),
      stopsAtPeriodEnd: this.s.cancelAtPeriodEnd,
    });
    if (details === this.publishedDetails) return;
    setCurrentDetails(details);
    this.publishedDetails = details;
  }

  private publish(): void {
    this.publishDetails();
    if (this.publishedStatus === this.displayed.status && this.publishedNext === this.nextBillingAt && this.publishedCycle === this.s.cycle) return;
    upsertSearchAttributes([
      { key: BillingStatusKey, value: this.displayed.status },
      { key: BillingCycleKey, value: this.s.cycle },
      { key: NextBillingAtKey, value: this.nextBillingAt ? new Date(this.nextBillingAt) : null },
    ]);
    this.publishedStatus = this.displayed.status;
    this.publishedNext = this.nextBillingAt;
    this.publishedCycle = this.s.cycle;
  }

  snapshot(): SubscriptionState {
    return {
      subscriptionId: this.input.subscriptionId,
      chargePermissionId: this.input.chargePermissionId,
      status: this.displayed.status,
      statusReason: this.displayed.reason,
      cycle: this.s.cycle,
      attempt: this.s.attempt,
      nextBillingAt: this.nextBillingAt,
      nextRetryAt: this.failedCall?.nextRetryAt ?? this.nextRetryAt,
      dunningStep: this.s.dunningStep,
      paused: this.s.paused,
      cancelAtPeriodEnd: this.s.cancelAtPeriodEnd !== null,
      amountMinor: this.amountFor(this.s.cycle),
      currency: this.input.currency,
      interval: this.intervalFor(this.s.cycle),
      lastCharge: this.s.lastCharge,
      outstanding: this.outstanding,
      chargesMade: this.s.chargesMade,
      permission: this.permission,
      failedCall: this.failedCall,
      upcoming: this.upcoming(),
    };
  }

  /** The billing dates planned ahead under the current plan (empty until the loop planned them). */
  private upcoming(): PlannedCycle[] {
    if (this.plannedVersion !== this.version) return [];
    return [...this.planned.entries()]
      .filter(([cycle]) => cycle >= this.s.cycle)
      .sort(([a], [b]) => a - b)
      .map(([cycle, p]) => ({ cycle, ...p }));
  }
}
