// The subscription workflow's in-memory state and the small transitions every part of it
// shares: status changes (database + search attributes), messages, and the query snapshot.
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import type { BillingInterval, SubscriptionStatus } from '../billing/types.js';
import { PAUSE_HOLDS_DUNNING, STATUS_WRITES_AS_LOCAL_ACTIVITIES } from './patches.js';
import type { ActivityProxies } from './proxies.js';
import { BillingCycleKey, BillingStatusKey, NextBillingAtKey } from './search-attributes.js';
import type { CancelRequest, CarriedState, ChargeUpdate, CyclePlan, FailedCall, PermissionStatus, PlannedCycle, SubscriptionState, SubscriptionWorkflowInput } from './types.js';

/** A status row as the database holds it after a write. */
export interface WrittenStatus {
  status: SubscriptionStatus;
  reasonCode: string | null;
  cycle: number;
  nextBillingAt: string | null;
}

export class SubscriptionRuntime {
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
  cancelNow = false;
  permission: PermissionStatus | null = null;
  permissionVersion = 0;
  /** Counts IPN-driven signals that found the permission Chargeable: evidence a buyer fixed it, kept even if a poll lands after. */
  chargeableByIpn = 0;
  /** A failed activity call waiting for its retry (workflows/guarded-calls.ts). */
  failedCall: FailedCall | null = null;
  /** Counts answers from Amazon that found the permission NonChargeable, so one followed at once by Chargeable is not lost. */
  nonChargeableSeen = 0;
  private readonly chargeUpdates = new Map<string, ChargeUpdate>();
  /** Plans the planCycle local activity returned for later cycles, valid while `version` is `plannedVersion`. */
  private planned = new Map<number, CyclePlan>();
  private plannedVersion = 0;
  /** What the charge activity wrote with a paid charge (ChargeCycleInput.onPaid): the next status write of exactly this is skipped. */
  recordedByCharge: WrittenStatus | null = null;
  private publishedStatus: string | null = null;
  private publishedNext: string | null = null;
  private publishedCycle: number | null = null;

  constructor(
    readonly input: SubscriptionWorkflowInput,
    public s: CarriedState,
  ) {
    // A pause carried across a continue-as-new keeps its reason.
    this.pauseReason = s.paused ? (s.pauseReason ?? null) : null;
  }

  pause(reason: string): void {
    if (this.ended) return;
    this.s.paused = true;
    this.pauseReason = reason;
  }

  resume(reason: string): void {
    // A resume that lifts an operator's pause only lifts it (dunning continues where it stood);
    // otherwise it is how an admin retries a cycle waiting in needs_attention/unpaid/payment_method_required.
    const unpauses = this.s.paused && patched(PAUSE_HOLDS_DUNNING);
    this.s.paused = false;
    this.resumeReason = reason;
    this.resumeSignals += 1;
    if (!unpauses) this.resumes += 1;
  }

  requestCancel(request: CancelRequest): void {
    if (request.mode === 'period_end') {
      this.s.cancelAtPeriodEnd = { reason: request.reason };
    } else {
      this.cancelNow = true;
      this.cancelReason = request.reason;
    }
  }

  /** `via` says whether it came from a signal or the workflow's own check (see PermissionStatus.source). */
  notePermission(status: PermissionStatus, via: 'ipn' | 'poll'): void {
    this.permission = { ...status, source: via };
    if (via === 'ipn' && status.state === 'Chargeable') this.chargeableByIpn += 1;
    if (status.state === 'NonChargeable') this.nonChargeableSeen += 1;
    this.permissionVersion += 1;
    if (status.state === 'Closed' || status.state === 'NotFound') this.cancelReason ??= status.reasons[0] ?? `ChargePermission${status.state}`;
  }

  noteChargeUpdate(update: ChargeUpdate): void {
    this.chargeUpdates.set(update.chargeId, update);
  }

  chargeUpdate(chargeId: string): ChargeUpdate | undefined {
    return this.chargeUpdates.get(chargeId);
  }

  /** The buyer closed the permission, Amazon says it is gone, or an admin asked to stop now. */
  get stopRequested(): boolean {
    return this.cancelNow || this.permission?.state === 'Closed' || this.permission?.state === 'NotFound';
  }

  /** Operator resumes that ask for a retry of the cycle (those a failed call took are not counted). */
  get retryResumes(): number {
    return this.resumes - this.resumesTakenByFailedCalls;
  }

  stopReason(): string {
    return this.cancelReason ?? 'Canceled';
  }

  scheduleChanged(): void {
    this.version += 1;
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
  async setStatus(acts: ActivityProxies, status: SubscriptionStatus, reason: string | null, nextBillingAt: string | null, detail?: Record<string, unknown>): Promise<void> {
    const changed = status !== this.s.status || reason !== this.s.statusReason || this.publishedStatus === null;
    const byCharge = this.recordedByCharge;
    this.recordedByCharge = null;
    const alreadyWritten = byCharge !== null && byCharge.status === status && byCharge.reasonCode === reason && byCharge.cycle === this.s.cycle && byCharge.nextBillingAt === nextBillingAt;
    if (!alreadyWritten && (changed || nextBillingAt !== this.publishedNext || this.publishedCycle !== this.s.cycle)) {
      // Histories recorded before status writes became local activities replay the old command.
      const recordStatus = patched(STATUS_WRITES_AS_LOCAL_ACTIVITIES) ? acts.localDb.recordStatus : acts.db.recordStatus;
      await recordStatus({
        subscriptionId: this.input.subscriptionId,
        status,
        reasonCode: reason,
        cycle: this.s.cycle,
        nextBillingAt,
        detail,
        ended: status === 'canceled' || status === 'ended',
      });
    }
    // Only now does the query report the new status: whoever sees it there also finds it in
    // PostgreSQL (the write above has completed) and, right after, in the search attributes.
    this.s.status = status;
    this.s.statusReason = reason;
    this.nextBillingAt = nextBillingAt;
    this.publish();
  }

  /** A status the database could not take (its write is failing): shown in the query and the search attributes only. */
  showUnrecordedStatus(status: SubscriptionStatus, reason: string | null): void {
    this.s.status = status;
    this.s.statusReason = reason;
    this.publish();
  }

  async publishNextBilling(acts: ActivityProxies, dueAt: string): Promise<void> {
    await this.setStatus(acts, this.s.status, this.s.statusReason, dueAt);
  }

  async finish(acts: ActivityProxies, status: 'canceled' | 'ended', reason: string | null): Promise<{ status: 'canceled' | 'ended'; reason: string | null; cycle: number }> {
    if (!this.ended) {
      this.nextRetryAt = null;
      await this.setStatus(acts, status, reason, null);
      this.ended = true;
    }
    return { status, reason, cycle: this.s.cycle };
  }

  private publish(): void {
    if (this.publishedStatus === this.s.status && this.publishedNext === this.nextBillingAt && this.publishedCycle === this.s.cycle) return;
    upsertSearchAttributes([
      { key: BillingStatusKey, value: this.s.status },
      { key: BillingCycleKey, value: this.s.cycle },
      { key: NextBillingAtKey, value: this.nextBillingAt ? new Date(this.nextBillingAt) : null },
    ]);
    this.publishedStatus = this.s.status;
    this.publishedNext = this.nextBillingAt;
    this.publishedCycle = this.s.cycle;
  }

  snapshot(): SubscriptionState {
    return {
      subscriptionId: this.input.subscriptionId,
      chargePermissionId: this.input.chargePermissionId,
      status: this.s.status,
      statusReason: this.s.statusReason,
      cycle: this.s.cycle,
      attempt: this.s.attempt,
      nextBillingAt: this.nextBillingAt,
      nextRetryAt: this.nextRetryAt,
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
    return [...this.planned.entries()].filter(([cycle]) => cycle >= this.s.cycle).sort(([a], [b]) => a - b).map(([cycle, p]) => ({ cycle, ...p }));
  }
}
