import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { subscriptionWorkflowId } from '../../billing/keys.js';
import { validateSubscriptionId } from '../../billing/plan-rules.js';
import { isFinalSubscriptionStatus } from '../../billing/vocabulary.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import type { SubscriptionRow } from '../../db/schema/index.js';
import type { subscriptionWorkflow } from '../../workflows/index.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';

export type SubscriptionHandle = WorkflowHandle<typeof subscriptionWorkflow>;

/** The database row, or NotFound; a malformed id is InvalidInput (it could never exist). */
export async function requireSubscriptionRow(deps: BillingClientDeps, id: string): Promise<SubscriptionRow> {
  const problems = validateSubscriptionId(id, 'subscriptionId');
  if (problems.length > 0) throw new InvalidInputError(problems);
  const row = await getSubscription(deps.db, id);
  if (!row) throw new NotFoundError('subscription', id);
  return row;
}

export function subscriptionHandle(client: Client, id: string): SubscriptionHandle {
  return client.workflow.getHandle<typeof subscriptionWorkflow>(subscriptionWorkflowId(id));
}

/** Describes the workflow; undefined when Temporal has no such workflow (e.g. its history was pruned). */
export async function describeOrUndefined(handle: SubscriptionHandle): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await handle.describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Row + handle of a subscription whose workflow still runs; a finished one, or a live one whose
 * workflow is not running (drift: `billing repair` first), is a Conflict for any change. The workflow can still finish between this check and the message that follows (a
 * "cancel now" just sent): the returned handle's signal, query and executeUpdate turn
 * Temporal's WorkflowNotFoundError ("workflow execution already completed") into the same
 * ConflictError, so every caller answers 409 "already finished", never an unexpected error.
 */
export async function requireRunning(deps: BillingClientDeps, id: string, action: string): Promise<{ row: SubscriptionRow; handle: SubscriptionHandle }> {
  const row = await requireSubscriptionRow(deps, id);
  const handle = subscriptionHandle(await deps.temporal(), id);
  const description = await describeOrUndefined(handle);
  if (!description) throw new NotFoundError('workflow', id, `Temporal has no workflow ${handle.workflowId} in this namespace`);
  if (description.status.name !== 'RUNNING') {
    const state = description.status.name.toLowerCase();
    // A live row whose workflow stopped has not finished: it drifted, and repair restarts (or finishes) it.
    throw new ConflictError(
      isFinalSubscriptionStatus(row.status)
        ? `Cannot ${action} subscription ${id}: it has already finished (workflow ${state}, status ${row.status})`
        : `Cannot ${action} subscription ${id}: its workflow is not running (workflow ${state}, status ${row.status}); run \`billing repair ${id}\` first`,
    );
  }
  return {
    row,
    handle: finishedIsConflict(handle, `Cannot ${action} subscription ${id}: it has already finished (workflow completed while the request was sent)`),
  };
}

/** The handle, with WorkflowNotFoundError from its messages to the workflow thrown as ConflictError(`message`). */
function finishedIsConflict(handle: SubscriptionHandle, message: string): SubscriptionHandle {
  const guard = <F extends (...args: never[]) => Promise<unknown>>(call: F): F =>
    (async (...args: Parameters<F>) => {
      try {
        return await call(...args);
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) throw new ConflictError(message);
        throw error;
      }
    }) as F;
  return {
    ...handle,
    signal: guard(handle.signal.bind(handle)),
    query: guard(handle.query.bind(handle)),
    executeUpdate: guard(handle.executeUpdate.bind(handle)),
  };
}
