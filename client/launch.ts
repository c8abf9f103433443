import { WorkflowIdConflictPolicy, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { firstBillingAnchor } from '../billing/schedule.js';
import { subscriptionWorkflowId } from '../billing/keys.js';
import { formatMoney, money } from '../billing/money.js';
import type { BillingEnvironment, SubscriptionSpec } from '../billing/types.js';
import type { Database } from '../db/client.js';
import { getSubscription, insertSubscription } from '../db/queries/subscriptions.js';
import { ConflictError, UpstreamError, type TermDifference } from './errors.js';
import type { NewSubscriptionRow, SubscriptionRow } from '../db/schema/index.js';
import { subscriptionWorkflow } from '../workflows/index.js';
import { ChargePermissionIdKey, SubscriptionIdKey, BillingStatusKey } from '../workflows/search-attributes.js';
import type { BillingPolicy, SubscriptionWorkflowInput } from '../workflows/types.js';

export interface LaunchContext {
  db: Database;
  client: Client;
  environment: BillingEnvironment;
  taskQueues: { workflows: string; charges: string; amazonReads: string };
  policy: BillingPolicy;
}

export class SubscriptionConflictError extends Error {
  override name = 'SubscriptionConflictError';
  constructor(
    readonly summary: string,
    readonly differences: TermDifference[],
  ) {
    super(`${summary}: ${differences.map((d) => `${d.field} ${d.stored} ≠ ${d.requested}`).join('; ')}`);
  }
}

/**
 * Writes the subscription row and starts its workflow, idempotently: the row is inserted only
 * once (a second call with the same id must describe the same subscription), and the workflow
 * id derives from the subscription id with USE_EXISTING, so two calls never make two workflows.
 */
export async function launchSubscription(
  ctx: LaunchContext,
  spec: SubscriptionSpec,
  policyOverrides: Partial<BillingPolicy> = {},
  /** What Amazon Pay said of the Charge Permission at start: its expirationTimestamp (null: none). */
  permission: { expiresAt?: Date | null } = {},
): Promise<{ row: SubscriptionRow; handle: WorkflowHandle<typeof subscriptionWorkflow>; created: boolean }> {
  const workflowId = subscriptionWorkflowId(spec.id);
  // The row is written before the workflow starts: with Temporal unreachable it would stay
  // behind without a workflow. Asked first, Temporal's absence fails the launch with nothing written.
  const existing = await describeBeforeLaunch(ctx.client, workflowId);
  // A workflow under this id without a row: the database was restored from a backup older than
  // Temporal's (or the id was used before). A row written from this request would describe terms
  // the workflow may no longer bill (a plan change, a pause); repair rebuilds it from the workflow.
  if (existing && !(await getSubscription(ctx.db, spec.id))) throw orphanConflict(spec.id, workflowId, existing.status.name);
  const { row, created } = await insertSubscription(ctx.db, subscriptionRowOf(spec, ctx.environment, permission.expiresAt ?? null));
  if (!created) assertSameSubscription(row, spec);

  const policy: BillingPolicy = { ...ctx.policy, ...policyOverrides };
  const input: SubscriptionWorkflowInput = {
    subscriptionId: spec.id,
    chargePermissionId: spec.chargePermissionId,
    environment: ctx.environment,
    currency: spec.plan.currency,
    ...(spec.softDescriptor ? { softDescriptor: spec.softDescriptor } : {}),
    ...(spec.merchantMetadata ? { merchantMetadata: spec.merchantMetadata } : {}),
    ...(spec.end ? { end: spec.end } : {}),
    ...(spec.firstChargeId ? { firstChargeId: spec.firstChargeId } : {}),
    trialing: spec.trial !== undefined,
    ...(row.permissionExpiresAt ? { permissionExpiresAt: row.permissionExpiresAt.toISOString() } : {}),
    policy,
    taskQueues: { charges: ctx.taskQueues.charges, amazonReads: ctx.taskQueues.amazonReads },
    amountMinor: spec.plan.amountMinor,
    segments: [{ fromCycle: 0, anchor: firstBillingAnchor(spec), interval: spec.plan.interval }],
  };
  const price = formatMoney(money(BigInt(spec.plan.amountMinor), spec.plan.currency));
  const every = `${spec.plan.interval.count === 1 ? '' : `${spec.plan.interval.count} `}${spec.plan.interval.unit}${spec.plan.interval.count === 1 ? '' : 's'}`;
  const handle = await ctx.client.workflow.start(subscriptionWorkflow, {
    workflowId,
    taskQueue: ctx.taskQueues.workflows,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    // A finished subscription's id is not reused for a new one: that would be a different subscription.
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [
      { key: SubscriptionIdKey, value: spec.id },
      { key: ChargePermissionIdKey, value: spec.chargePermissionId },
      { key: BillingStatusKey, value: spec.trial ? 'trialing' : 'active' },
    ],
    staticSummary: `${price} every ${every} on ${spec.chargePermissionId}`.slice(0, 200),
    staticDetails: [
      `**Subscription** \`${spec.id}\``,
      `- Charge Permission: \`${spec.chargePermissionId}\``,
      `- Plan: ${price} every ${every}`,
      `- Anchor: ${spec.anchor.localDateTime} ${spec.anchor.zone}`,
      spec.firstChargeId ? `- First charge captured at checkout: \`${spec.firstChargeId}\`` : '',
    ]
      .filter(Boolean)
      .join('\n'),
  });
  return { row, handle, created };
}

/**
 * The subscriptions row of a subscription started with `spec` (its plan, anchor, trial, end…;
 * status trialing or active, cycle 0) — what launchSubscription inserts, and what `billing
 * repair` rebuilds from the workflow for a row a database restore lost (restore-orphan.ts, which
 * then sets what the workflow says of its status and position). `permissionExpiresAt`: the Charge
 * Permission's expirationTimestamp as last known (null: none).
 */
export function subscriptionRowOf(spec: SubscriptionSpec, environment: BillingEnvironment, permissionExpiresAt: Date | null): NewSubscriptionRow {
  return {
    id: spec.id,
    workflowId: subscriptionWorkflowId(spec.id),
    chargePermissionId: spec.chargePermissionId,
    environment,
    status: spec.trial ? 'trialing' : 'active',
    amountMinor: BigInt(spec.plan.amountMinor),
    currency: spec.plan.currency,
    intervalUnit: spec.plan.interval.unit,
    intervalCount: spec.plan.interval.count,
    anchorLocal: spec.anchor.localDateTime,
    anchorZone: spec.anchor.zone,
    anchorDayOfMonth: spec.anchor.dayOfMonth ?? null,
    trial: spec.trial ?? null,
    endAfterCycles: spec.end && 'afterCycles' in spec.end ? spec.end.afterCycles : null,
    endAt: spec.end && 'at' in spec.end ? new Date(spec.end.at) : null,
    softDescriptor: spec.softDescriptor ?? null,
    merchantMetadata: spec.merchantMetadata ?? null,
    firstChargeId: spec.firstChargeId ?? null,
    permissionExpiresAt,
  };
}

/** How long the check before a launch waits for Temporal's frontend. */
const REACHABLE_WITHIN_MS = 5_000;

/**
 * The workflow under `workflowId` as Temporal describes it, undefined when it has none — one
 * frontend call within REACHABLE_WITHIN_MS, which also proves Temporal answers before anything is
 * written. Throws a retryable UpstreamError naming the gRPC failure (UNAVAILABLE,
 * DEADLINE_EXCEEDED) when Temporal does not answer.
 */
async function describeBeforeLaunch(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.connection.withDeadline(Date.now() + REACHABLE_WITHIN_MS, () => client.workflow.getHandle(workflowId).describe());
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    const grpc = error as { code?: unknown; details?: unknown };
    const why = typeof grpc.details === 'string' && grpc.details ? grpc.details : (error as Error)?.message;
    throw new UpstreamError(`Temporal did not answer within ${REACHABLE_WITHIN_MS / 1000} s (${why}); nothing was written, try again`, true);
  }
}

/** The refusal of a start whose id has a workflow in Temporal but no row (ConflictError, nothing written). */
function orphanConflict(id: string, workflowId: string, status: string): ConflictError {
  return status === 'RUNNING'
    ? new ConflictError(
        `Subscription ${id} has no row but its workflow ${workflowId} is running in Temporal (was the database restored from an older backup?): \`billing repair ${id}\` rebuilds its row from the workflow; nothing was written`,
      )
    : new ConflictError(
        `Subscription id ${id} was used by a workflow that has ${status.toLowerCase()} in Temporal: an id is not used for a second subscription; nothing was written`,
      );
}

/** The terms a repeated start must repeat, each under the library's field name (client/errors.ts TermDifference). */
function assertSameSubscription(row: SubscriptionRow, spec: SubscriptionSpec): void {
  const differences: TermDifference[] = [];
  const differ = (field: string, stored: string, requested: string): void => {
    if (stored !== requested) differences.push({ field, stored, requested });
  };
  differ('chargePermissionId', row.chargePermissionId, spec.chargePermissionId);
  if (row.currency === spec.plan.currency)
    differ('plan.amountMinor', formatMoney(money(row.amountMinor, row.currency)), formatMoney(money(BigInt(spec.plan.amountMinor), spec.plan.currency)));
  else differ('plan.currency', row.currency, spec.plan.currency);
  differ('plan.interval', `${row.intervalCount} ${row.intervalUnit}`, `${spec.plan.interval.count} ${spec.plan.interval.unit}`);
  const day = (d: number | null | undefined) => (d == null ? '' : ` (day ${d})`);
  differ(
    'anchor',
    `${row.anchorLocal} ${row.anchorZone}${day(row.anchorDayOfMonth)}`,
    `${spec.anchor.localDateTime} ${spec.anchor.zone}${day(spec.anchor.dayOfMonth)}`,
  );
  if (differences.length > 0) throw new SubscriptionConflictError(`Subscription ${spec.id} already exists with different terms`, differences);
}
