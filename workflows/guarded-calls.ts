// Every activity the subscription workflow calls (database writes, schedule math, Amazon Pay
// reads) goes through this guard: a failure that survives the activity's own retry policy — a
// non-retryable error such as a 400 from Amazon Pay, or a retry window that ran out during an
// outage — must never end the workflow. Temporal fails the whole execution when an
// ActivityFailure escapes the workflow function (TemporalFailure subclasses always fail the
// execution, whatever workflowFailureErrorTypes says; a plain Error only fails the workflow
// task, which Temporal retries). Instead the subscription waits in `needs_attention`
// (reason `CallFailed:<activity>`, the cause in the event's detail and in the `state` query) and
// the same call is tried again on a schedule (policy.failedCallRetryDelaysMs) or at once after
// an operator's resume; when it succeeds, the status the workflow holds then comes back (the loop
// may have moved on meanwhile when the failed call was a message handler's).
// Create Charge is not guarded here: settle-cycle.ts decides on its failures (unknown outcome).
import { ActivityFailure, CancellationScope, CancelledFailure, condition, isCancellation, TemporalFailure } from '@temporalio/workflow';
import type { SubscriptionStatus } from '../billing/types.js';
import type { ActivityProxies } from './proxies.js';
import { FAILED_CALL_SHOWN_OVER_OWN_STATUS, FAILED_CALLS_WAIT_FOR_RETRY, UNPAUSE_RETRIES_FAILED_CALL } from './patches.js';
import type { SubscriptionRuntime } from './runtime.js';
import type { FailedCall } from './types.js';
import { timerSummary } from './ui-metadata.js';

const MINUTE = 60_000;
/** Automatic retries of a failed call: 5 minutes, 30 minutes, 2 hours, then every 6 hours (about 4 events a day in history). */
export const DEFAULT_FAILED_CALL_RETRY_DELAYS_MS = [5 * MINUTE, 30 * MINUTE, 120 * MINUTE, 360 * MINUTE];

/**
 * Thrown out of a guarded call when the subscription is stopped (cancel now, permission closed)
 * while the call waits for its retry. A CancelledFailure, so an update handler that made the
 * call fails its update instead of the workflow task; the workflow ends as the stop asked
 * (SubscriptionRuntime.stopEnding: canceled, or ended for an expired permission).
 */
export class StoppedWhileCallFailed extends CancelledFailure {}

interface StatusBefore {
  status: SubscriptionStatus;
  reason: string | null;
  nextRetryAt: string | null;
}

/** The one retry loop every guarded call runs in; holds what the subscription showed before its first failure. */
class CallGuard {
  private waiting = 0;
  private before: StatusBefore | null = null;
  /** The guarded stubs, for the status write that restores what the subscription showed. */
  guarded!: ActivityProxies;

  constructor(
    private readonly rt: SubscriptionRuntime,
    private readonly raw: ActivityProxies,
  ) {}

  async run<T>(activity: string, call: () => Promise<T>): Promise<T> {
    for (let failures = 1; ; failures += 1) {
      try {
        const result = await call();
        if (failures > 1) await this.recovered(activity);
        return result;
      } catch (error) {
        // A regular activity fails with an ActivityFailure; a local one with its cause itself
        // (ApplicationFailure, TimeoutFailure). A plain Error is a bug in workflow code: it fails
        // the workflow task, which Temporal retries, and must not be taken for a failed call.
        // Histories recorded before the guard failed here; they replay that way.
        if (!(error instanceof TemporalFailure) || isCancellation(error) || !this.rt.patched(FAILED_CALLS_WAIT_FOR_RETRY)) throw error;
        await this.waitForRetry(activity, error, failures);
      }
    }
  }

  private async waitForRetry(activity: string, error: TemporalFailure, failures: number): Promise<void> {
    const { rt } = this;
    const delays = rt.input.policy.failedCallRetryDelaysMs ?? DEFAULT_FAILED_CALL_RETRY_DELAYS_MS;
    const delay = Math.max(1, delays[Math.min(failures, delays.length) - 1] ?? DEFAULT_FAILED_CALL_RETRY_DELAYS_MS[0]!);
    // Histories recorded before FAILED_CALL_SHOWN_OVER_OWN_STATUS kept one snapshot to write back.
    const overOwn = rt.patched(FAILED_CALL_SHOWN_OVER_OWN_STATUS);
    if (!overOwn) this.before ??= { status: rt.s.status, reason: rt.s.statusReason, nextRetryAt: rt.nextRetryAt };
    const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
    const failure = `${cause.name}: ${cause.message}`.slice(0, 500);
    const nextRetryAt = new Date(Date.now() + delay).toISOString();
    rt.failedCall = { activity, failure, failures, nextRetryAt };
    if (!overOwn) rt.nextRetryAt = nextRetryAt;
    this.waiting += 1;
    try {
      await this.show(
        'needs_attention',
        `CallFailed:${activity}`,
        { activity, failure, failures, nextRetryAt, cycle: rt.s.cycle, previousStatus: this.before?.status ?? rt.s.status },
        overOwn,
      );
      const resumes = rt.resumes;
      // A stop ends the wait unless the caller must finish what it started (a charge in flight, the final status).
      const stoppable = CancellationScope.current().cancellable;
      // Histories recorded before UNPAUSE_RETRIES_FAILED_CALL woke only on a resume that was not a pause's.
      if (rt.patched(UNPAUSE_RETRIES_FAILED_CALL)) await this.untilRetry(delay, () => stoppable && rt.stopRequested, overOwn);
      else await condition(() => rt.resumes !== resumes || (stoppable && rt.stopRequested), delay);
      // The resume that brought this call back is spent here: a wait around the call must not take it as a retry too.
      rt.resumesTakenByFailedCalls += rt.resumes - resumes;
      if (stoppable && rt.stopRequested) throw new StoppedWhileCallFailed(`stopped while ${activity} was failing`);
    } finally {
      this.waiting -= 1;
    }
  }

  /**
   * Until the next automatic retry, any resume signal (also one that only lifts a pause) or a
   * stop. While an operator's pause holds, the subscription shows `paused` and nothing is
   * retried by itself; the resume that lifts the pause retries at once.
   */
  private async untilRetry(delay: number, stopped: () => boolean, overOwn: boolean): Promise<void> {
    const { rt } = this;
    const retryAt = Date.now() + delay;
    const signals = rt.resumeSignals;
    for (;;) {
      if (rt.s.paused) {
        await this.show('paused', rt.pauseReason, { failedCall: rt.failedCall, heldStatus: 'needs_attention', cycle: rt.s.cycle }, overOwn);
        await condition(() => !rt.s.paused || stopped());
        return;
      }
      const remaining = retryAt - Date.now();
      if (remaining <= 0) return;
      await rt.waitFor(
        () => rt.resumeSignals !== signals || rt.s.paused || stopped(),
        remaining,
        () => timerSummary.failedCallRetry(rt.failedCall?.activity ?? 'a call', retryAt, rt.zone()),
      );
      if (rt.resumeSignals !== signals || stopped()) return;
    }
  }

  /**
   * The status in PostgreSQL and the search attributes; if even that write fails, in the query and
   * search attributes only. With `overOwn`, shown over the workflow's own status, which stays.
   */
  private async show(status: SubscriptionStatus, reason: string | null, detail: Record<string, unknown>, overOwn: boolean): Promise<void> {
    try {
      if (overOwn) await this.rt.showFailedCall(this.raw, { status, reason }, detail);
      else await this.rt.setStatus(this.raw, status, reason, this.rt.nextBillingAt, detail);
    } catch (error) {
      if (!(error instanceof TemporalFailure) || isCancellation(error)) throw error;
      if (overOwn) this.rt.showUnrecordedFailedCall({ status, reason });
      else this.rt.showUnrecordedStatus(status, reason);
    }
  }

  /**
   * The call went through and no other is failing: the subscription shows the status the workflow
   * holds now (FAILED_CALL_SHOWN_OVER_OWN_STATUS); in older histories what it showed before the
   * failure (a status write that failed writes its own status next).
   */
  private async recovered(activity: string): Promise<void> {
    const { rt } = this;
    if (this.waiting > 0) return;
    if (rt.failedCallShown !== null) {
      rt.failedCall = null;
      await rt.showFailedCall(this.guarded, null, { recoveredFrom: activity });
      return;
    }
    if (this.before === null) return;
    const before = this.before;
    rt.failedCall = null;
    rt.nextRetryAt = before.nextRetryAt;
    if (activity !== 'recordStatus') await rt.setStatus(this.guarded, before.status, before.reason, rt.nextBillingAt, { recoveredFrom: activity });
    this.before = null;
  }
}

function guardedProxies(raw: ActivityProxies, guard: CallGuard): ActivityProxies {
  const wrap = <T extends object>(proxy: T): T =>
    new Proxy(proxy, {
      get(target, name) {
        const stub: unknown = Reflect.get(target, name);
        if (typeof name !== 'string' || typeof stub !== 'function') return stub;
        return (...args: unknown[]) => guard.run(name, () => (stub as (...a: unknown[]) => Promise<unknown>)(...args));
      },
    });
  return { ...raw, db: wrap(raw.db), localDb: wrap(raw.localDb), local: wrap(raw.local), amazon: wrap(raw.amazon) };
}

/**
 * The subscription's activity stubs with every call but Create Charge guarded (see above).
 * Shapes: the same as createActivityProxies'. On the success path nothing is added to history.
 */
export function guardActivityCalls(raw: ActivityProxies, rt: SubscriptionRuntime): ActivityProxies {
  const guard = new CallGuard(rt, raw);
  guard.guarded = guardedProxies(raw, guard);
  return guard.guarded;
}

export type { FailedCall };
