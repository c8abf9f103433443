// The housekeeping jobs, each callable directly (tests, an operator's one-off run) and from
// the cron scheduler (scheduler.ts), which wraps them in a once-per-tick advisory lock.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AmazonPayClient } from '../../amazonpay/client.js';
import type { Database } from '../../db/client.js';
import {
  activeSubscriptionsOnPermission,
  listPendingInboxRows,
  nonFinalSubscriptions,
  permissionsToReconcile,
  pruneInbox,
  recordPermissionCheck,
  recordUnknownPermission,
  subscriptionWorkflowIds,
} from '../../db/queries/ipn-inbox.js';
import { recordSubscriptionStatus } from '../../db/queries/subscriptions.js';
import type { IpnDispatcher } from '../../ipn/dispatcher.js';
import { AmazonReadFailed, applyPermissionStatus, fetchPermissionStatus, type ReactionDeps } from '../../ipn/reaction.js';

export interface HousekeepingDeps {
  db: Database;
  amazonPay: AmazonPayClient;
  temporal: Client;
  dispatcher: IpnDispatcher;
  workflowsTaskQueue: string;
  reconcileBudget: number;
  pruneAfterMs: number;
  /** Subscriptions younger than this may still be starting their workflow: drift leaves them alone. */
  driftMinAgeMs?: number;
  now: () => Date;
  logger: Logger;
  metrics?: ReactionDeps['metrics'];
}

export type HousekeepingJobName = 'inboxRetry' | 'reconcile' | 'drift' | 'prune';

export function createHousekeepingJobs(deps: HousekeepingDeps) {
  const reaction: ReactionDeps = { db: deps.db, amazonPay: deps.amazonPay, temporal: deps.temporal, now: deps.now, logger: deps.logger, ...(deps.metrics ? { metrics: deps.metrics } : {}) };

  return {
    /** Inbox rows still pending (Temporal was away, the daemon stopped before dispatching) go to Temporal now. */
    async inboxRetry(): Promise<{ pending: number; dispatched: number }> {
      const rows = await listPendingInboxRows(deps.db, 500);
      let dispatched = 0;
      for (const row of rows) if (await deps.dispatcher.dispatch(row)) dispatched += 1;
      if (rows.length > 0) deps.logger.info({ pending: rows.length, dispatched }, 'inbox retry');
      return { pending: rows.length, dispatched };
    },

    /**
     * Catches IPNs that never came: Get Charge Permission for up to reconcileBudget permissions
     * of live subscriptions, least recently checked first, and reacts exactly as to an IPN.
     */
    async reconcile(): Promise<{ checked: number; closed: number; errors: number; throttled: boolean }> {
      const ids = await permissionsToReconcile(deps.db, deps.reconcileBudget);
      let checked = 0;
      let closed = 0;
      let errors = 0;
      let throttled = false;
      for (const chargePermissionId of ids) {
        try {
          const status = await fetchPermissionStatus(reaction, chargePermissionId);
          checked += 1;
          await recordPermissionCheck(deps.db, chargePermissionId, status.state, deps.now());
          if (status.state === 'NotFound') await recordUnknownPermission(deps.db, chargePermissionId, 'not_found', deps.now());
          const subscriptions = await activeSubscriptionsOnPermission(deps.db, chargePermissionId);
          const touched = await applyPermissionStatus(reaction, subscriptions, status, 'poll');
          if (status.state === 'Closed') closed += touched;
        } catch (error) {
          if (error instanceof AmazonReadFailed && error.outcome.kind === 'throttled') {
            // Leave the quota to billing; the next run continues with the permissions left unchecked.
            throttled = true;
            break;
          }
          errors += 1;
          await recordPermissionCheck(deps.db, chargePermissionId, 'error', deps.now()).catch(() => {});
          deps.logger.warn({ chargePermissionId, err: (error as Error).message }, 'reconciliation could not check a charge permission');
        }
      }
      deps.logger.info({ checked, closed, errors, throttled }, 'reconciliation run');
      return { checked, closed, errors, throttled };
    },

    /**
     * PostgreSQL and Temporal disagree. A live subscription whose workflow is not running is
     * marked needs_attention (WorkflowNotRunning) for an operator, not restarted: its workflow
     * id is never reused (REJECT_DUPLICATE) and its policy overrides are not stored, so an
     * automatic restart could bill on the wrong terms. A running workflow without a row is reported.
     */
    async drift(): Promise<{ stalled: string[]; orphans: string[] }> {
      const running = new Set<string>();
      const query = `WorkflowType = 'subscriptionWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${deps.workflowsTaskQueue.replace(/'/g, "''")}'`;
      for await (const execution of deps.temporal.workflow.list({ query })) running.add(execution.workflowId);

      const stalled: string[] = [];
      const rows = await nonFinalSubscriptions(deps.db, new Date(deps.now().getTime() - (deps.driftMinAgeMs ?? 5 * 60_000)));
      for (const row of rows) {
        if (running.has(row.workflowId)) continue;
        // Visibility lags: ask the workflow itself before calling it drift.
        let state: string;
        try {
          state = (await deps.temporal.workflow.getHandle(row.workflowId).describe()).status.name;
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
          state = 'NOT_FOUND';
        }
        if (state === 'RUNNING') continue;
        stalled.push(row.id);
        if (row.status === 'needs_attention' && row.statusReason === 'WorkflowNotRunning') continue;
        deps.logger.error({ subscriptionId: row.id, workflowId: row.workflowId, workflowState: state, status: row.status }, 'drift: subscription is live in PostgreSQL but its workflow is not running; marked needs_attention');
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
      for (const workflowId of orphans) deps.logger.error({ workflowId }, 'drift: a subscription workflow is running without a subscription row');
      return { stalled, orphans };
    },

    /** Settled inbox rows (and housekeeping run records) older than pruneAfter. */
    async prune(): Promise<{ deleted: number }> {
      const deleted = await pruneInbox(deps.db, new Date(deps.now().getTime() - deps.pruneAfterMs));
      if (deleted > 0) deps.logger.info({ deleted }, 'inbox pruned');
      return { deleted };
    },
  };
}

export type HousekeepingJobs = ReturnType<typeof createHousekeepingJobs>;
