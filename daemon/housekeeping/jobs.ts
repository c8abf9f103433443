// The housekeeping jobs, each callable directly (tests, an operator's one-off run) and from
// the cron scheduler (scheduler.ts), which wraps them in a once-per-tick advisory lock.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AmazonPayClient } from '../../amazonpay/client.js';
import type { Database } from '../../db/client.js';
import { pruneStaleCheckouts } from '../../db/queries/checkouts.js';
import { pruneInbox } from '../../db/queries/ipn-inbox.js';
import {
  lastPermissionStates,
  permissionsToReconcile,
  recordPermissionCheck,
  recordPermissionExpiry,
  recordUnknownPermission,
} from '../../db/queries/permissions.js';
import { IDEMPOTENCY_RETENTION_MS } from '../../api/idempotency.js';
import { pruneIdempotencyKeys } from '../../db/queries/idempotency.js';
import { refundsToPoll } from '../../db/queries/refunds.js';
import { emitPermissionWillExpire, emitTrialWillEnd } from '../../db/queries/trial-events.js';
import {
  activeSubscriptionsOnPermission,
  nonFinalSubscriptions,
  recordedPeriodEndStopOf,
  recordedStopOf,
  recordSubscriptionStatus,
  subscriptionWorkflowIds,
} from '../../db/queries/subscriptions.js';
import type { IpnDispatcher } from '../../ipn/dispatcher.js';
import { AmazonReadFailed, readPermissionStatus } from '../../amazonpay/reads.js';
import { applyPermissionStatus, withStaleExpiry, type ReactionDeps } from '../../ipn/reaction.js';
import { finishUnfinishedReplacements } from '../../client/checkout/replace.js';
import { finishStoppedSubscription } from '../../client/subscriptions/finish-stopped.js';
import { redeliverPeriodEndStop } from '../../client/subscriptions/stop-at-period-end.js';
import { redeliverStop, workflowStateOf } from '../../client/subscriptions/stop-now.js';
import { runningSubscriptionWorkflowsQuery } from '../../client/subscriptions/restore-orphan.js';
import { refreshRefund } from '../../ipn/refund-reaction.js';
import { createInboxRetry, DEFAULT_INBOX_RETRY, type InboxRetryPolicy } from './inbox-retry.js';
import { pacer } from './pacer.js';

export interface HousekeepingDeps {
  db: Database;
  amazonPay: AmazonPayClient;
  temporal: Client;
  dispatcher: IpnDispatcher;
  workflowsTaskQueue: string;
  reconcileBudget: number;
  pruneAfterMs: number;
  /** HTTP API Idempotency-Keys older than this are deleted by prune (billing.yaml api.idempotencyRetention). Default 24 h. */
  idempotencyRetentionMs?: number;
  /** Subscriptions younger than this may still be starting their workflow: drift leaves them alone. */
  driftMinAgeMs?: number;
  now: () => Date;
  logger: Logger;
  metrics?: ReactionDeps['metrics'];
  /**
   * Amazon Pay reads per second reconciliation allows itself (unset: no pacing). Its calls do
   * not go through the amazon-reads task queue, so the server's cap does not see them; the
   * daemon passes a quarter of rateLimits.amazonReadsPerSecond (see daemon/run.ts).
   */
  reconcileReadsPerSecond?: number;
  /** A refund still RefundInitiated this long after it was asked for (and not checked for as long) is polled. Default 10 minutes. */
  refundPollAfterMs?: number;
  inboxRetry?: Partial<InboxRetryPolicy>;
  /** subscription.trial_will_end is emitted this long before a trial ends (billing.yaml housekeeping.trialWillEndBefore). Default 3 days. */
  trialWillEndBeforeMs?: number;
  /** subscription.permission_will_expire is emitted this long before a Charge Permission expires (billing.yaml housekeeping.permissionWillExpireBefore). Default 7 days. */
  permissionWillExpireBeforeMs?: number;
}

const DEFAULT_REFUND_POLL_AFTER_MS = 10 * 60_000;

/** How old a recorded stop must be before drift sends it again to a running workflow that lacks it (the stopper may still be sending it). */
const STOP_REDELIVERY_AFTER_MS = 60_000;

export type HousekeepingJobName = 'inboxRetry' | 'reconcile' | 'drift' | 'prune' | 'trialWillEnd' | 'permissionWillExpire';

const DEFAULT_TRIAL_WILL_END_BEFORE_MS = 3 * 86_400_000;
const DEFAULT_PERMISSION_WILL_EXPIRE_BEFORE_MS = 7 * 86_400_000;
/** Amazon Pay deletes a Checkout Session (and its data) 30 days after creation (amazon-pay-checkout reference §2.2). */
const CHECKOUT_SESSION_LIFETIME_MS = 30 * 86_400_000;

export function createHousekeepingJobs(deps: HousekeepingDeps) {
  const reaction: ReactionDeps = {
    db: deps.db,
    amazonPay: deps.amazonPay,
    temporal: deps.temporal,
    now: deps.now,
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  };

  const inboxRetry = createInboxRetry({ ...deps, policy: { ...DEFAULT_INBOX_RETRY, ...deps.inboxRetry } });
  // Lets shutdown cut a paced reconciliation short instead of waiting for its last read.
  const stopping = new AbortController();

  return {
    /**
     * Inbox rows still pending (Temporal was away, the daemon stopped before dispatching) go to
     * Temporal now; stuck dispatched rows and failed rows get another handler run (inbox-retry.ts).
     */
    inboxRetry,

    /**
     * Catches IPNs that never came. First Get Refund for refunds still RefundInitiated after
     * refundPollAfter (at most a quarter of reconcileBudget), then Get Charge Permission for the
     * rest of the budget: permissions of live subscriptions, least recently checked first.
     * Subscriptions are told only what is news: a state other than the one last seen (a
     * Closed permission always stops what still runs on it), or an expirationTimestamp other
     * than the one their row holds (then written to it), so quiet permissions add nothing to
     * workflow histories. Stops at the first 429, leaving the quota to billing.
     */
    async reconcile(): Promise<{
      checked: number;
      signalled: number;
      unchanged: number;
      closed: number;
      /** Subscriptions whose permission_expires_at was set to the expiry Amazon answered. */
      expiries: number;
      errors: number;
      throttled: boolean;
      refunds: { checked: number; resolved: number; errors: number };
    }> {
      const pace = pacer(deps.reconcileReadsPerSecond, stopping.signal);
      const now = deps.now();
      const refundAfter = new Date(now.getTime() - (deps.refundPollAfterMs ?? DEFAULT_REFUND_POLL_AFTER_MS));
      const refundBudget = deps.reconcileBudget > 0 ? Math.max(1, Math.floor(deps.reconcileBudget / 4)) : 0;
      const refundIds = await refundsToPoll(deps.db, { initiatedBefore: refundAfter, checkedBefore: refundAfter, limit: refundBudget });
      const refunds = { checked: 0, resolved: 0, errors: 0 };
      let throttled = false;
      for (const refundId of refundIds) {
        if (!(await pace())) break;
        try {
          const result = await refreshRefund(reaction, refundId);
          refunds.checked += 1;
          if (result !== 'not_found' && result.changed && (result.state === 'Refunded' || result.state === 'Declined')) refunds.resolved += 1;
        } catch (error) {
          if (error instanceof AmazonReadFailed && error.throttled) {
            throttled = true;
            break;
          }
          refunds.errors += 1;
          deps.logger.warn({ refundId, err: (error as Error).message }, 'reconciliation could not check a refund');
        }
      }

      const ids = throttled ? [] : await permissionsToReconcile(deps.db, deps.reconcileBudget - refundIds.length);
      const lastSeen = await lastPermissionStates(deps.db, ids);
      let checked = 0;
      let signalled = 0;
      let unchanged = 0;
      let closed = 0;
      let expiries = 0;
      let errors = 0;
      for (const chargePermissionId of ids) {
        if (!(await pace())) break;
        try {
          const fetched = await readPermissionStatus(reaction, chargePermissionId);
          checked += 1;
          if (fetched.state === 'NotFound') await recordUnknownPermission(deps.db, chargePermissionId, 'not_found', deps.now());
          const previous = lastSeen.get(chargePermissionId);
          const known = previous !== undefined && previous !== 'error';
          const news = fetched.state === 'Closed' || (known ? previous !== fetched.state : fetched.state !== 'Chargeable');
          const subscriptions = await activeSubscriptionsOnPermission(deps.db, chargePermissionId);
          // An expiry Amazon moved (or set) is news to the subscriptions whose row says another.
          const staleExpiry = withStaleExpiry(subscriptions, fetched);
          if (news) {
            // A change between two checks is evidence of a change like an IPN (a NonChargeable→Chargeable
            // change may end a payment-method wait); a first look is only a routine check.
            const touched = await applyPermissionStatus(reaction, subscriptions, fetched, { evidenceOfChange: known });
            if (fetched.state === 'Closed') closed += touched;
            else signalled += touched;
          } else if (staleExpiry.length > 0) {
            // The same state with another expiry: a routine note (no evidence of a payment-method change).
            signalled += await applyPermissionStatus(reaction, staleExpiry, fetched, { evidenceOfChange: false });
          } else {
            unchanged += 1;
          }
          // Recorded after the subscriptions were told: if telling failed, the next run sees news again.
          expiries += (await recordPermissionExpiry(deps.db, chargePermissionId, fetched.expiresAt, deps.now())).length;
          await recordPermissionCheck(deps.db, chargePermissionId, fetched.state, deps.now());
        } catch (error) {
          if (error instanceof AmazonReadFailed && error.throttled) {
            // Leave the quota to billing; the next run continues with the permissions left unchecked.
            throttled = true;
            break;
          }
          errors += 1;
          await recordPermissionCheck(deps.db, chargePermissionId, 'error', deps.now()).catch(() => {});
          deps.logger.warn({ chargePermissionId, err: (error as Error).message }, 'reconciliation could not check a charge permission');
        }
      }
      const result = { checked, signalled, unchanged, closed, expiries, errors, throttled, refunds };
      deps.logger.info(result, 'reconciliation run');
      return result;
    },

    /**
     * PostgreSQL and Temporal disagree. A live subscription whose workflow is not running is
     * marked needs_attention (WorkflowNotRunning) for an operator, not restarted automatically:
     * `billing repair` (client/subscriptions/repair.ts) restarts it, taking its terms from the old
     * workflow's history when Temporal still has it, which an operator should confirm. One whose
     * workflow ended by itself (completed: by its result; cancelled: as its stop asked), or whose stop
     * was recorded (stop-now.ts) before its workflow stopped, is finished from the database as
     * repair would (finish-stopped.ts: `canceled` / `ended`), unless a charge may have reached
     * Amazon Pay unanswered. A running workflow that never received a stop recorded over a minute
     * ago — "now", or at period end (stop-at-period-end.ts) — is sent it again (`stopsResent`). A running workflow without a row is reported
     * (`orphans`), with the command that rebuilds it from Temporal (`billing repair --all-drifted`). A
     * replacement checkout that started its subscription but never finished stopping the one it
     * replaces (its complete crashed or failed between the steps, and was not repeated) is finished
     * (client/checkout/replace.ts finishUnfinishedReplacements): `replaced` lists those stopped.
     */
    async drift(): Promise<{
      stalled: string[];
      orphans: string[];
      canceled: string[];
      ended: string[];
      stopsResent: string[];
      replaced: string[];
    }> {
      const running = new Set<string>();
      const query = runningSubscriptionWorkflowsQuery(deps.workflowsTaskQueue);
      for await (const execution of deps.temporal.workflow.list({ query })) running.add(execution.workflowId);

      const stalled: string[] = [];
      const finished = { canceled: [] as string[], ended: [] as string[] };
      const stopsResent: string[] = [];
      const rows = await nonFinalSubscriptions(deps.db, new Date(deps.now().getTime() - (deps.driftMinAgeMs ?? 5 * 60_000)));
      for (const row of rows) {
        const handle = deps.temporal.workflow.getHandle(row.workflowId);
        // Visibility lags: ask the workflow itself before calling it drift.
        const state = running.has(row.workflowId) ? 'RUNNING' : await workflowStateOf(handle);
        if (state === 'RUNNING') {
          // A stop younger than a minute may still be on its way from whoever recorded it.
          const stopDue = row.stopRequestedAt !== null && row.stopRequestedAt.getTime() < deps.now().getTime() - STOP_REDELIVERY_AFTER_MS;
          const stop = recordedStopOf(row);
          const reason = stop?.reason ?? 'StopRequested';
          if (stopDue && stop && (await redeliverStop(handle, stop))) {
            stopsResent.push(row.id);
            deps.logger.warn({ subscriptionId: row.id, reason }, 'drift: a recorded stop had not reached the running workflow; sent again');
            continue;
          }
          // The same for a stop at period end (stop-at-period-end.ts); a stop "now" supersedes it.
          const periodEnd = stop ? null : recordedPeriodEndStopOf(row);
          if (periodEnd && periodEnd.at.getTime() < deps.now().getTime() - STOP_REDELIVERY_AFTER_MS && (await redeliverPeriodEndStop(handle, periodEnd))) {
            stopsResent.push(row.id);
            deps.logger.warn(
              { subscriptionId: row.id, reason: periodEnd.reason },
              'drift: a recorded stop at period end had not reached the running workflow; sent again',
            );
          }
          continue;
        }
        const finish = await finishStoppedSubscription(deps.db, handle, row, { workflowState: state, by: 'drift', now: deps.now() });
        if (finish?.finished) {
          finished[finish.status].push(row.id);
          deps.logger.warn(
            { subscriptionId: row.id, workflowState: state, status: finish.status, reason: finish.reason },
            `drift: subscription whose workflow is not running finished as ${finish.status} (${finish.from})`,
          );
          continue;
        }
        if (finish) deps.logger.error({ subscriptionId: row.id }, `drift: ${finish.why}`);
        stalled.push(row.id);
        if (row.status === 'needs_attention' && row.statusReason === 'WorkflowNotRunning') continue;
        deps.logger.error(
          { subscriptionId: row.id, workflowId: row.workflowId, workflowState: state, status: row.status },
          'drift: subscription is live in PostgreSQL but its workflow is not running; marked needs_attention (restart it with `billing repair <id>`)',
        );
        await recordSubscriptionStatus(deps.db, {
          subscriptionId: row.id,
          status: 'needs_attention',
          reasonCode: 'WorkflowNotRunning',
          cycle: row.currentCycle,
          nextBillingAt: null,
          detail: { workflowState: state, previousStatus: row.status },
          ended: false,
          at: deps.now(),
        });
      }

      const known = await subscriptionWorkflowIds(deps.db, [...running]);
      const orphans = [...running].filter((id) => !known.has(id));
      // Reported, not fixed: rebuilding the row from Temporal is the operator's call (restore-orphan.ts).
      for (const workflowId of orphans)
        deps.logger.error(
          { workflowId },
          'drift: a subscription workflow is running without a subscription row (the database restored from an older backup?); it charges nothing until `billing repair --all-drifted` rebuilds its row and ledger from Temporal',
        );

      // A replacement checkout whose complete stopped between starting the new subscription and
      // stopping the old one (client/checkout/replace.ts): finished here, before both bill.
      const replacements = await finishUnfinishedReplacements(
        { db: deps.db, now: deps.now, temporal: async () => deps.temporal, amazonPay: () => deps.amazonPay },
        new Date(deps.now().getTime() - (deps.driftMinAgeMs ?? 5 * 60_000)),
      );
      for (const done of replacements.finished)
        deps.logger.warn(
          { subscriptionId: done.subscriptionId, status: done.status, chargePermissionClosed: done.chargePermissionClosed },
          'drift: a replacement checkout left its replaced subscription live; stopped it and closed its Charge Permission',
        );
      for (const { subscriptionId, error } of replacements.failed)
        deps.logger.error({ subscriptionId, error }, 'drift: could not finish the replacement made by this subscription’s checkout; tried again next run');
      return { stalled, orphans, ...finished, stopsResent, replaced: replacements.finished.map((r) => r.subscriptionId) };
    },

    /**
     * Settled inbox rows (and housekeeping run records) older than pruneAfter; the HTTP API's
     * Idempotency-Keys older than idempotencyRetention, in batches (db/queries/idempotency.ts);
     * checkouts that started no subscription, older than pruneAfter and 30 days (db/queries/checkouts.ts).
     */
    async prune(): Promise<{ deleted: number; idempotencyKeys: number; checkouts: number }> {
      const now = deps.now().getTime();
      // Amazon Pay deletes a Checkout Session 30 days after it was created: no complete can use an older checkout.
      const stale = await pruneStaleCheckouts(deps.db, new Date(now - Math.max(deps.pruneAfterMs, CHECKOUT_SESSION_LIFETIME_MS)));
      for (const { subscriptionId, checkoutSessionId } of stale.filter((c) => c.checkoutSessionId !== null))
        deps.logger.warn(
          { subscriptionId, checkoutSessionId },
          'stale checkout deleted: its Checkout Session claimed it but no subscription started; if Amazon Pay completed the session, refund or cancel its charge in Seller Central',
        );
      if (stale.length > 0) deps.logger.info({ deleted: stale.length }, 'stale checkouts pruned');
      const deleted = await pruneInbox(deps.db, new Date(now - deps.pruneAfterMs));
      if (deleted > 0) deps.logger.info({ deleted }, 'inbox pruned');
      const idempotencyKeys = await pruneIdempotencyKeys(deps.db, new Date(now - (deps.idempotencyRetentionMs ?? IDEMPOTENCY_RETENTION_MS)));
      if (idempotencyKeys > 0) deps.logger.info({ deleted: idempotencyKeys }, 'idempotency keys pruned');
      return { deleted, idempotencyKeys, checkouts: stale.length };
    },

    /**
     * subscription.trial_will_end for every trial ending within trialWillEndBeforeMs from now
     * that has not had one (db/queries/trial-events.ts): once per trial, whichever replica runs it.
     */
    async trialWillEnd(): Promise<{ emitted: number }> {
      const emitted = await emitTrialWillEnd(deps.db, deps.now(), deps.trialWillEndBeforeMs ?? DEFAULT_TRIAL_WILL_END_BEFORE_MS);
      if (emitted > 0) deps.logger.info({ emitted }, 'trial_will_end events emitted');
      return { emitted };
    },

    /**
     * subscription.permission_will_expire for every live subscription whose Charge Permission
     * expires within permissionWillExpireBeforeMs from now (db/queries/trial-events.ts): once per
     * subscription and expiry date (an expiry Amazon moved is warned of again).
     */
    async permissionWillExpire(): Promise<{ emitted: number }> {
      const emitted = await emitPermissionWillExpire(deps.db, deps.now(), deps.permissionWillExpireBeforeMs ?? DEFAULT_PERMISSION_WILL_EXPIRE_BEFORE_MS);
      if (emitted > 0) deps.logger.info({ emitted }, 'permission_will_expire events emitted');
      return { emitted };
    },

    /** Ends paced waits of a run in progress (shutdown); later runs stop at once. */
    stop(): void {
      stopping.abort();
    },
  };
}

export type HousekeepingJobs = ReturnType<typeof createHousekeepingJobs>;
