// Hands stored inbox rows to Temporal: one handler workflow per SNS MessageId. Runs right after
// the endpoint's insert commits, and again from the inboxRetry sweep for rows still pending
// (Temporal was unreachable, the daemon stopped in between). Starting twice is harmless: the
// workflow id is fixed and a second start finds the first. The sweep also starts a new run
// under the same id (redispatch) for a row whose handler ended without settling it, or
// settled it as failed.
//
// A CHARGE IPN the handler could only ignore (ipn/reaction.ts chargeIpnNeedsNoReaction) is
// settled here, without a handler: Amazon Pay may send one for every synchronous Create Charge,
// and a handler run (a workflow, a Get Charge call, a signal) costs about as much as the charge.
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { ledgerStateOfCharge } from '../db/queries/charges.js';
import { claimInboxRowForRetry, markInboxDispatched, noteInboxDispatchFailure, releaseInboxRetryClaim, settleInboxRow } from '../db/queries/ipn-inbox.js';
import type { IpnInboxRow } from '../db/schema/index.js';
import { ipnHandlerWorkflow } from '../workflows/index.js';
import { chargeIpnNeedsNoReaction } from './reaction.js';
import { ipnHandlerWorkflowId, type IpnHandlerInput } from '../workflows/ipn-types.js';

export interface IpnDispatcherOptions {
  db: Database;
  client: Client;
  taskQueues: { workflows: string; amazonReads: string };
  logger: Logger;
  /** Bound on one start call, so an unreachable server leaves the row pending quickly. */
  startTimeoutMs?: number;
  /** The clock that stamps rows it settles; the daemon passes the one its housekeeping uses. */
  now?: () => Date;
}

export interface IpnDispatcher {
  /** true when the row is now in Temporal's hands (started now or before) or was settled without a handler. Never throws. */
  dispatch(row: IpnInboxRow): Promise<boolean>;
  /**
   * One more handler run for a row whose earlier run did not settle it: 'failed-runs' when that
   * run failed, was terminated, cancelled or timed out; 'any' also after a run that completed
   * (it settled the row as failed). The row is claimed first (status dispatched, one more
   * attempt) and given back if the start fails, also when a run of the id is still going.
   * true when a new run was started. Never throws.
   */
  redispatch(row: IpnInboxRow, after: 'failed-runs' | 'any'): Promise<boolean>;
  /** Resolves when dispatches started so far have finished (shutdown). */
  drain(): Promise<void>;
}

export function createIpnDispatcher(options: IpnDispatcherOptions): IpnDispatcher {
  const { db, client, taskQueues, logger } = options;
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  const inFlight = new Set<Promise<boolean>>();

  function inputOf(row: IpnInboxRow & { objectType: string; objectId: string }): IpnHandlerInput {
    return {
      inboxId: row.id.toString(),
      messageId: row.messageId,
      objectType: row.objectType,
      objectId: row.objectId,
      chargePermissionId: row.chargePermissionId,
      amazonReadsTaskQueue: taskQueues.amazonReads,
    };
  }

  function startHandler(
    row: IpnInboxRow & { objectType: string; objectId: string },
    reusePolicy: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' | 'ALLOW_DUPLICATE',
    conflictPolicy: WorkflowIdConflictPolicy,
  ) {
    // A real deadline for a network call: wall time, not the injected billing clock.
    return client.connection.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.start(ipnHandlerWorkflow, {
        workflowId: ipnHandlerWorkflowId(row.messageId),
        taskQueue: taskQueues.workflows,
        args: [inputOf(row)],
        workflowIdReusePolicy: reusePolicy,
        workflowIdConflictPolicy: conflictPolicy,
        staticSummary: `IPN ${row.objectType} ${row.objectId}`.slice(0, 200),
      }),
    );
  }

  /** true when the row was settled as ignored: its charge is unknown to the ledger or final there. */
  async function settledWithoutHandler(row: IpnInboxRow & { objectId: string }, log: Logger): Promise<boolean> {
    if (row.objectType !== 'CHARGE') return false;
    try {
      const state = await ledgerStateOfCharge(db, row.objectId);
      const note = chargeIpnNeedsNoReaction(row.objectId, state);
      if (note === null) return false;
      await settleInboxRow(db, row.id, 'ignored', note, now());
      log.debug({ chargeId: row.objectId, state }, 'ipn settled without a handler');
      return true;
    } catch (error) {
      // The handler path below is always right, only dearer.
      log.warn({ err: (error as Error).message }, 'could not check the ledger for this CHARGE ipn; starting its handler');
      return false;
    }
  }

  async function start(row: IpnInboxRow): Promise<boolean> {
    if (!row.objectType || !row.objectId) return false;
    const log = logger.child({ requestId: row.messageId, inboxId: row.id.toString() });
    if (await settledWithoutHandler({ ...row, objectId: row.objectId }, log)) return true;
    try {
      await startHandler({ ...row, objectType: row.objectType, objectId: row.objectId }, 'REJECT_DUPLICATE', WorkflowIdConflictPolicy.USE_EXISTING);
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

  async function restart(row: IpnInboxRow, after: 'failed-runs' | 'any'): Promise<boolean> {
    if (!row.objectType || !row.objectId) return false;
    const log = logger.child({ requestId: row.messageId, inboxId: row.id.toString() });
    if (!(await claimInboxRowForRetry(db, row))) return false;
    try {
      // FAIL on a run still going (e.g. the one that settled the row as failed, in its last
      // moments): adopting it would leave the row dispatched with nothing to settle it.
      await startHandler(
        { ...row, objectType: row.objectType, objectId: row.objectId },
        after === 'any' ? 'ALLOW_DUPLICATE' : 'ALLOW_DUPLICATE_FAILED_ONLY',
        WorkflowIdConflictPolicy.FAIL,
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.warn({ err: message, status: row.status, attempts: row.attempts }, 'ipn retry could not start its handler workflow');
      await releaseInboxRetryClaim(db, row, message).catch(() => {});
      return false;
    }
    log.info({ previousStatus: row.status, attempt: row.attempts + 1 }, 'ipn handler started again');
    return true;
  }

  const track = (run: Promise<boolean>): Promise<boolean> => {
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
    return run;
  };

  return {
    dispatch: (row) => track(start(row)),
    redispatch: (row, after) => track(restart(row, after).catch(() => false)),
    async drain() {
      await Promise.allSettled([...inFlight]);
    },
  };
}
