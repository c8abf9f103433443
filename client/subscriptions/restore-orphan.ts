// A subscription workflow that runs in Temporal without a row in `subscriptions` — what restoring
// the daemon's PostgreSQL from a backup older than Temporal's leaves behind for a subscription
// started after the backup point (docs/deploy.md "Backup and restore") — gets its row back,
// rebuilt from the workflow: the terms from its input, its status and position from its state
// query, its creation time from its first run, and the ledger rows of the charges it made from
// its runs' histories (ledger-from-history.ts). Without the row it charges nothing: the ledger
// row written before Create Charge is refused by its foreign key.
import type { Client } from '@temporalio/client';
import { subscriptionWorkflowId } from '../../billing/keys.js';
import type { SubscriptionSpec } from '../../billing/types.js';
import { insertLedgerRowsIfAbsent } from '../../db/queries/charges.js';
import { insertRestoredSubscription, restorePlanChanges } from '../../db/queries/subscriptions.js';
import { stateQuery } from '../../workflows/messages.js';
import type { SubscriptionWorkflowInput } from '../../workflows/types.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, UpstreamError } from '../errors.js';
import { subscriptionRowOf } from '../launch.js';
import { ledgerRowsOfRuns, planChangeRestored, readRunChain, summarise, type LedgerRowsRestored, type PlanChangeRestored } from './ledger-from-history.js';
import { planChangesOfRuns, planOfRun, type PlanChangeInHistory } from './plan-changes-from-history.js';
import { runOfHistory } from './repair-history.js';

/** The status-history reason of a row rebuilt from its workflow. */
export const RESTORED_FROM_TEMPORAL = 'RestoredFromTemporal';

/** The visibility query of the subscription workflows running on the daemon's workflow task queue (the drift job's and repair's). */
export function runningSubscriptionWorkflowsQuery(workflowsTaskQueue: string): string {
  return `WorkflowType = 'subscriptionWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${workflowsTaskQueue.replace(/'/g, "''")}'`;
}

/** What restoreOrphan wrote. */
export interface RestoredRow {
  workflowId: string;
  /** The row's status, reason, current cycle and next billing date (ISO UTC or null), as the workflow's state query answered. */
  status: string;
  statusReason: string | null;
  cycle: number;
  nextBillingAt: string | null;
  /** The row's created_at (ISO UTC): the first run's start, or the oldest run Temporal still keeps (`firstRunKept` false). */
  createdAt: string;
  firstRunKept: boolean;
  /** The ledger rows rebuilt from the runs' histories. */
  ledgerRows: LedgerRowsRestored[];
  /** The plan changes the runs made, put back as `plan_changed` events (the row has the plan going forward). */
  planChanges: PlanChangeRestored[];
}

/**
 * Rebuilds the row of subscription workflow `workflowId`, which runs without one, and the
 * ledger rows of the charges its runs made, in one transaction with a status-history entry
 * (RestoredFromTemporal) — nothing else: no outbox event, no webhook. The row: id, Charge
 * Permission, currency, the initial anchor (the first billing date's: a trial's length is not in
 * the workflow, so `trial` is null and the anchor is where the trial ended), end, soft descriptor,
 * merchant metadata, first ChargeId, environment and the Charge Permission's expiry from the
 * latest run's input (it carries them across continue-as-new); amount and interval of the plan
 * going forward from its carried state; status, reason, cycle and next billing date from its
 * `state` query; created_at = the first run's start. Returns undefined, writing nothing, when a
 * row with its id or workflow id exists by then (a concurrent `billing start`, another repair):
 * that row is never overwritten. Errors (nothing written): Conflict when the workflow is not a
 * running subscription workflow on the daemon's workflow task queue, or its input is not a
 * subscription workflow's; Upstream when
 * Temporal cannot be read or the workflow does not answer its state query (no worker polls).
 */
export async function restoreOrphan(deps: BillingClientDeps, client: Client, workflowId: string): Promise<RestoredRow | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch((error: unknown) => {
    throw new UpstreamError(`could not describe workflow ${workflowId} in Temporal (${firstLine(error)}); nothing was written, try again`, true);
  });
  if (description.type !== 'subscriptionWorkflow' || description.status.name !== 'RUNNING')
    throw new ConflictError(
      `workflow ${workflowId} is not a running subscription workflow (${description.type}, ${description.status.name.toLowerCase()}); nothing was written`,
    );
  // Another daemon's workflow in a shared namespace is not this database's to restore (the drift job looks at this queue only).
  if (description.taskQueue !== deps.taskQueues.workflows)
    throw new ConflictError(
      `workflow ${workflowId} runs on task queue ${description.taskQueue}, not this daemon's ${deps.taskQueues.workflows}; nothing was written`,
    );
  const chain = await readRunChain(client, workflowId);
  const latest = chain?.runs.at(-1);
  const input = latest ? subscriptionInputOf(runOfHistory(latest)?.input, workflowId) : undefined;
  if (!chain || !input) throw new ConflictError(`workflow ${workflowId}: Temporal has no start input of its latest run; nothing was written`);
  const state = await handle.query(stateQuery).catch((error: unknown) => {
    throw new UpstreamError(`workflow ${workflowId} did not answer its state query (${firstLine(error)}); is the daemon running? nothing was written`, true);
  });
  let ledger;
  try {
    ledger = ledgerRowsOfRuns(chain.runs);
  } catch (error) {
    throw new ConflictError(`workflow ${workflowId}: its charges in the history cannot be read (${firstLine(error)}); nothing was written`);
  }
  const createdAt = chain.firstStartedAt ?? description.startTime;
  // Every run's changes become events; the latest run's, made since its input, move the plan on.
  const planChanges = planChangesOfRuns(chain.runs);
  const row = {
    ...subscriptionRowOf(
      specOf(input, planChangesOfRuns([latest!])),
      input.environment,
      input.permissionExpiresAt ? new Date(input.permissionExpiresAt) : null,
    ),
    status: state.status,
    statusReason: state.statusReason,
    currentCycle: state.cycle,
    nextBillingAt: state.nextBillingAt ? new Date(state.nextBillingAt) : null,
    createdAt,
    updatedAt: deps.now(),
  };
  return deps.db.transaction(async (tx) => {
    const detail = { workflowId, runId: description.runId, firstRunKept: chain.complete, ledgerRows: ledger.length };
    if (!(await insertRestoredSubscription(tx, row, { reasonCode: RESTORED_FROM_TEMPORAL, detail, at: deps.now() }))) return undefined;
    const inserted = await insertLedgerRowsIfAbsent(tx, ledger);
    await restorePlanChanges(tx, row.id, planChanges, null);
    return {
      workflowId,
      status: state.status,
      statusReason: state.statusReason,
      cycle: state.cycle,
      nextBillingAt: state.nextBillingAt,
      createdAt: createdAt.toISOString(),
      firstRunKept: chain.complete,
      ledgerRows: summarise(inserted),
      planChanges: planChanges.map((c) => planChangeRestored(c, row.currency)),
    };
  });
}

/**
 * The subscription's terms as launchSubscription would store them: the initial anchor, and the
 * plan going forward — the run's input (its carried state holds earlier runs' changes) with the
 * changes made during the run (`changedInRun`, from its history) applied in order.
 */
function specOf(input: SubscriptionWorkflowInput, changedInRun: readonly PlanChangeInHistory[]): SubscriptionSpec {
  const plan = planOfRun(input, changedInRun);
  return {
    id: input.subscriptionId,
    chargePermissionId: input.chargePermissionId,
    plan: { amountMinor: plan.amountMinor, currency: input.currency, interval: plan.interval },
    anchor: input.segments[0]!.anchor,
    ...(input.end ? { end: input.end } : {}),
    ...(input.softDescriptor ? { softDescriptor: input.softDescriptor } : {}),
    ...(input.merchantMetadata ? { merchantMetadata: input.merchantMetadata } : {}),
    ...(input.firstChargeId ? { firstChargeId: input.firstChargeId } : {}),
  };
}

/** `value` when it has the fields of a subscription workflow's input for `workflowId`; Conflict otherwise. */
function subscriptionInputOf(value: unknown, workflowId: string): SubscriptionWorkflowInput | undefined {
  if (value === undefined) return undefined;
  const input = value as Partial<SubscriptionWorkflowInput> | null;
  const problems = [
    typeof input?.subscriptionId !== 'string' && 'subscriptionId',
    typeof input?.chargePermissionId !== 'string' && 'chargePermissionId',
    typeof input?.environment !== 'string' && 'environment',
    (typeof input?.currency !== 'string' || !/^[A-Z]{3}$/.test(input.currency)) && 'currency',
    (typeof input?.amountMinor !== 'string' || !/^[1-9]\d*$/.test(input.amountMinor)) && 'amountMinor',
    (!Array.isArray(input?.segments) ||
      typeof input.segments[0]?.anchor?.localDateTime !== 'string' ||
      typeof input.segments[0]?.interval?.unit !== 'string') &&
      'segments',
  ].filter((p): p is string => typeof p === 'string');
  if (problems.length > 0)
    throw new ConflictError(`workflow ${workflowId}: its input is not a subscription workflow's (no valid ${problems.join(', ')}); nothing was written`);
  const id = input!.subscriptionId!;
  let expected: string | undefined;
  try {
    expected = subscriptionWorkflowId(id);
  } catch {
    expected = undefined;
  }
  if (expected !== workflowId)
    throw new ConflictError(`workflow ${workflowId}: its input names subscription ${JSON.stringify(id)}, whose workflow id would differ; nothing was written`);
  return input as SubscriptionWorkflowInput;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
