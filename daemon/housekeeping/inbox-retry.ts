// The inboxRetry job: rows the IPN pipeline has not settled. Pending rows (never handed to
// Temporal) are dispatched. Dispatched rows whose handler workflow ended without settling them
// (terminated, failed, timed out, gone, or completed while the row was not updated) are settled
// from the handler's result or run again. Failed rows (the reaction failed for good: Amazon Pay
// refused a read, or was unreachable for the handler's hour) are run again with exponential
// backoff, up to maxAttempts handler runs in all; then they stay failed for an operator.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Database } from '../../db/client.js';
import { listDispatchedInboxRows, listPendingInboxRows, listRetryableFailedInboxRows, settleInboxRow } from '../../db/queries/ipn-inbox.js';
import type { IpnInboxRow } from '../../db/schema/index.js';
import type { IpnDispatcher } from '../../ipn/dispatcher.js';
import { ipnHandlerWorkflowId, type IpnHandlerResult } from '../../workflows/ipn-types.js';

export interface InboxRetryPolicy {
  /** A dispatched row received at least this long ago is looked at; its handler is described, and left alone while running. */
  stuckAfterMs: number;
  /** Handler runs (dispatches) a row gets in all; a row that failed this often stays failed for an operator. */
  maxAttempts: number;
  /** A failed row is run again backoffBaseMs·2^(attempts-1) after it failed. */
  backoffBaseMs: number;
}

export const DEFAULT_INBOX_RETRY: InboxRetryPolicy = { stuckAfterMs: 5 * 60_000, maxAttempts: 5, backoffBaseMs: 5 * 60_000 };

export interface InboxRetryDeps {
  db: Database;
  temporal: Client;
  dispatcher: IpnDispatcher;
  now: () => Date;
  logger: Logger;
  policy: InboxRetryPolicy;
}

type StuckOutcome = 'running' | 'settled' | 'restarted' | 'gave_up' | 'skipped';

export interface InboxRetryResult {
  /** Pending rows found, and how many of them are now in Temporal's hands. */
  pending: number;
  dispatched: number;
  /** Dispatched rows older than stuckAfter, by what was done with them. */
  stuck: Record<StuckOutcome, number>;
  /** Failed rows whose handler was started again. */
  failedRetried: number;
}

export function createInboxRetry(deps: InboxRetryDeps): () => Promise<InboxRetryResult> {
  const { policy } = deps;

  /** A dispatched row's handler is not running: settle the row from its result, or run it again. */
  async function recoverDispatched(row: IpnInboxRow): Promise<StuckOutcome> {
    const handle = deps.temporal.workflow.getHandle<(input: unknown) => Promise<IpnHandlerResult>>(ipnHandlerWorkflowId(row.messageId));
    let state: string;
    try {
      state = (await handle.describe()).status.name;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      state = 'NOT_FOUND';
    }
    if (state === 'RUNNING') return 'running';
    if (state === 'COMPLETED') {
      // It reacted; only the row missed its update. The result says how the handler ended.
      const result = await handle.result();
      await settleInboxRow(deps.db, row.id, result.status, result.summary, deps.now());
      deps.logger.warn(
        { inboxId: row.id.toString(), messageId: row.messageId, status: result.status },
        'inbox retry: the handler had completed; row settled from its result',
      );
      return 'settled';
    }
    if (row.attempts >= policy.maxAttempts) {
      const note = `handler workflow ${state} without settling the row; not run again after ${row.attempts} attempts`;
      await settleInboxRow(deps.db, row.id, 'failed', note, deps.now());
      deps.logger.error({ inboxId: row.id.toString(), messageId: row.messageId, workflowState: state }, `inbox retry: ${note}`);
      return 'gave_up';
    }
    // Failed, terminated, cancelled, timed out, or gone (retention): a new run under the same id.
    return (await deps.dispatcher.redispatch(row, 'failed-runs')) ? 'restarted' : 'skipped';
  }

  return async function inboxRetry(): Promise<InboxRetryResult> {
    const rows = await listPendingInboxRows(deps.db, 500);
    let dispatched = 0;
    for (const row of rows) if (await deps.dispatcher.dispatch(row)) dispatched += 1;

    const stuck: Record<StuckOutcome, number> = { running: 0, settled: 0, restarted: 0, gave_up: 0, skipped: 0 };
    const now = deps.now();
    for (const row of await listDispatchedInboxRows(deps.db, new Date(now.getTime() - policy.stuckAfterMs), 100)) {
      try {
        stuck[await recoverDispatched(row)] += 1;
      } catch (error) {
        stuck.skipped += 1;
        deps.logger.warn({ inboxId: row.id.toString(), err: (error as Error).message }, 'inbox retry: could not look at a dispatched row');
      }
    }

    let failedRetried = 0;
    const failed = await listRetryableFailedInboxRows(deps.db, { now, maxAttempts: policy.maxAttempts, backoffBaseMs: policy.backoffBaseMs, limit: 100 });
    for (const row of failed) if (await deps.dispatcher.redispatch(row, 'any')) failedRetried += 1;

    if (rows.length > 0 || stuck.settled + stuck.restarted + stuck.gave_up + failed.length > 0) {
      deps.logger.info({ pending: rows.length, dispatched, stuck, failedRetried }, 'inbox retry');
    }
    return { pending: rows.length, dispatched, stuck, failedRetried };
  };
}
