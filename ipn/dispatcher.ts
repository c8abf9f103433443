// Hands stored inbox rows to Temporal: one handler workflow per SNS MessageId. Runs right after
// the endpoint's insert commits, and again from the inboxRetry sweep for rows still pending
// (Temporal was unreachable, the daemon stopped in between). Starting twice is harmless: the
// workflow id is fixed and a second start finds the first.
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { markInboxDispatched, noteInboxDispatchFailure } from '../db/queries/ipn-inbox.js';
import type { IpnInboxRow } from '../db/schema/index.js';
import { ipnHandlerWorkflow } from '../workflows/index.js';
import { ipnHandlerWorkflowId, type IpnHandlerInput } from '../workflows/ipn-types.js';

export interface IpnDispatcherOptions {
  db: Database;
  client: Client;
  taskQueues: { workflows: string; amazonReads: string };
  logger: Logger;
  /** Bound on one start call, so an unreachable server leaves the row pending quickly. */
  startTimeoutMs?: number;
}

export interface IpnDispatcher {
  /** true when the row is now in Temporal's hands (started now or before). Never throws. */
  dispatch(row: IpnInboxRow): Promise<boolean>;
  /** Resolves when dispatches started so far have finished (shutdown). */
  drain(): Promise<void>;
}

export function createIpnDispatcher(options: IpnDispatcherOptions): IpnDispatcher {
  const { db, client, taskQueues, logger } = options;
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const inFlight = new Set<Promise<boolean>>();

  async function start(row: IpnInboxRow): Promise<boolean> {
    if (!row.objectType || !row.objectId) return false;
    const input: IpnHandlerInput = {
      inboxId: row.id.toString(),
      messageId: row.messageId,
      objectType: row.objectType,
      objectId: row.objectId,
      chargePermissionId: row.chargePermissionId,
      amazonReadsTaskQueue: taskQueues.amazonReads,
    };
    const log = logger.child({ requestId: row.messageId, inboxId: input.inboxId });
    try {
      await client.connection.withDeadline(Date.now() + timeoutMs, () =>
        client.workflow.start(ipnHandlerWorkflow, {
          workflowId: ipnHandlerWorkflowId(row.messageId),
          taskQueue: taskQueues.workflows,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          staticSummary: `IPN ${row.objectType} ${row.objectId}`.slice(0, 200),
        }),
      );
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
        const message = error instanceof Error ? error.message : String(error);
        log.warn({ err: message }, 'ipn stays pending: could not start its handler workflow');
        await noteInboxDispatchFailure(db, row.id, message).catch(() => {});
        return false;
      }
      // Closed already (REJECT_DUPLICATE): it was handled.
    }
    try {
      await markInboxDispatched(db, row.id);
    } catch (error) {
      // The handler runs regardless; the sweep will find the row pending and start nothing new.
      log.warn({ err: (error as Error).message }, 'handler started but the inbox row could not be marked dispatched');
    }
    log.debug('ipn dispatched');
    return true;
  }

  return {
    dispatch(row) {
      const run = start(row);
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
      return run;
    },
    async drain() {
      await Promise.allSettled([...inFlight]);
    },
  };
}
