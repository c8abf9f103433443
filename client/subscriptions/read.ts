// Reading subscriptions: the database row with its ledger and history, plus the live
// workflow state when the workflow still runs (a finished one answers from the database only).
import { createHash } from 'node:crypto';
import { paymentMethodUpdateUrl } from '../../amazonpay/update-link.js';
import { validateChargePermissionId } from '../../billing/plan-rules.js';
import { isIsoInstant } from '../../billing/plan-rules.js';
import { SUBSCRIPTION_STATUSES, type Problem } from '../../billing/types.js';
import { listCharges } from '../../db/queries/charges.js';
import { listRefundsOfSubscription } from '../../db/queries/refunds.js';
import { listSubscriptionsPage } from '../../db/queries/subscription-list.js';
import { listSubscriptionEvents } from '../../db/queries/subscriptions.js';
import { stateQuery } from '../../workflows/messages.js';
import type { SubscriptionState } from '../../workflows/types.js';
import type { BillingClientDeps } from '../deps.js';
import { InvalidInputError } from '../errors.js';
import {
  chargeView,
  refundView,
  statusEventView,
  subscriptionView,
  type ChargeView,
  type RefundView,
  type StatusEventView,
  type SubscriptionView,
} from './views.js';
import { describeOrUndefined, requireSubscriptionRow, subscriptionHandle } from './workflow-handle.js';

/** A running workflow answers a query within this time unless no worker polls its task queue. */
const QUERY_TIMEOUT_MS = 5_000;

export interface SubscriptionDetails {
  subscription: SubscriptionView;
  workflow: {
    workflowId: string;
    /** RUNNING, COMPLETED, CANCELLED, TERMINATED, …; null when Temporal does not know the workflow. */
    status: string | null;
    /** Live state from the workflow; null when it has finished or did not answer (see `note`). */
    live: SubscriptionState | null;
    note: string | null;
  };
  charges: ChargeView[];
  refunds: RefundView[];
  history: StatusEventView[];
  /** Where to send the buyer to fix the payment method (hard decline, NonChargeable); null where Amazon documents none. */
  paymentMethodUpdateUrl: string | null;
}

export async function getSubscriptionDetails(deps: BillingClientDeps, id: string): Promise<SubscriptionDetails> {
  await requireSubscriptionRow(deps, id);
  // The live state first, then PostgreSQL: a charge is recorded before the workflow moves past
  // its cycle, so the ledger read after holds every charge the live state counts (read side by
  // side, a later answer of the query could show cycle 8 above a ledger without cycle 7).
  const workflow = await liveWorkflow(deps, id);
  const [row, charges, refunds, history] = await Promise.all([
    requireSubscriptionRow(deps, id),
    listCharges(deps.db, id),
    listRefundsOfSubscription(deps.db, id),
    listSubscriptionEvents(deps.db, id),
  ]);
  return {
    subscription: subscriptionView(row),
    workflow,
    charges: charges.map(chargeView),
    refunds: refunds.map(refundView),
    history: history.map(statusEventView),
    paymentMethodUpdateUrl: paymentMethodUpdateUrl(row.chargePermissionId, deps.region ?? 'na'),
  };
}

async function liveWorkflow(deps: BillingClientDeps, id: string): Promise<SubscriptionDetails['workflow']> {
  const handle = subscriptionHandle(await deps.temporal(), id);
  const description = await describeOrUndefined(handle);
  if (!description) return { workflowId: handle.workflowId, status: null, live: null, note: 'Temporal has no workflow for this subscription' };
  const status = description.status.name;
  if (status !== 'RUNNING') return { workflowId: handle.workflowId, status, live: null, note: null };
  let timer: NodeJS.Timeout | undefined;
  try {
    const live = await Promise.race([
      handle.query(stateQuery),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), QUERY_TIMEOUT_MS);
      }),
    ]);
    return { workflowId: handle.workflowId, status, live, note: null };
  } catch (error) {
    const why =
      error instanceof Error && error.message === 'timeout' ? `no answer within ${QUERY_TIMEOUT_MS / 1000} s (is the billing daemon running?)` : String(error);
    return { workflowId: handle.workflowId, status, live: null, note: `live state unavailable: ${why}` };
  } finally {
    clearTimeout(timer);
  }
}

export interface ListSubscriptionsInput {
  status?: string;
  chargePermissionId?: string;
  /** ISO instant: only subscriptions whose next billing date is before it. */
  dueBefore?: string;
  /** Page size, 1..500 (default 50). */
  limit?: number;
  /** From the previous page's nextCursor. */
  cursor?: string;
}

export interface SubscriptionPage {
  items: SubscriptionView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** Most subscriptions one page holds. */
export const MAX_PAGE = 500;

/** The filters a cursor was made for: a page of one filter is no position in another's list. */
type CursorFilter = Pick<ListSubscriptionsInput, 'status' | 'chargePermissionId' | 'dueBefore'>;

/** 12 hex digits of SHA-256 over the filters: binds a cursor to them and keeps it short (the API takes 200 characters). */
const filterTag = (input: CursorFilter): string =>
  createHash('sha256')
    .update(JSON.stringify([input.status ?? null, input.chargePermissionId ?? null, input.dueBefore ?? null]))
    .digest('hex')
    .slice(0, 12);

const showFilter = (filter: CursorFilter): string => {
  const parts = (['status', 'chargePermissionId', 'dueBefore'] as const).filter((k) => filter[k] !== undefined).map((k) => `${k}=${filter[k]}`);
  return parts.length === 0 ? 'no filter' : parts.join(', ');
};

/** Opaque (base64url JSON): the last id of the page and the tag of the filters it was made with. */
export function encodeCursor(lastId: string, filter: CursorFilter = {}): string {
  return Buffer.from(JSON.stringify({ after: lastId, f: filterTag(filter) }), 'utf8').toString('base64url');
}

/** The cursor's last id and filter tag; undefined when it is not a cursor this function made. A cursor made before filters were bound has no tag. */
export function decodeCursor(cursor: string): { after: string; tag?: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown; f?: unknown };
    if (typeof parsed.after !== 'string' || (parsed.f !== undefined && typeof parsed.f !== 'string')) return undefined;
    return parsed.f === undefined ? { after: parsed.after } : { after: parsed.after, tag: parsed.f };
  } catch {
    return undefined;
  }
}

/** The filter checked as a whole (InvalidInputError naming every bad field), with the page size and the cursor's position. */
export function checkListFilter(input: ListSubscriptionsInput): { limit: number; afterId: string | undefined } {
  const problems: Problem[] = [];
  if (input.status !== undefined && !(SUBSCRIPTION_STATUSES as readonly string[]).includes(input.status)) {
    problems.push({ field: 'status', message: `must be one of ${SUBSCRIPTION_STATUSES.join(', ')}, got ${JSON.stringify(input.status)}` });
  }
  if (input.chargePermissionId !== undefined) problems.push(...validateChargePermissionId(input.chargePermissionId));
  if (input.dueBefore !== undefined && !isIsoInstant(input.dueBefore)) {
    problems.push({
      field: 'dueBefore',
      message: `must be an ISO-8601 instant with Z or an offset (e.g. "2026-01-01T00:00:00Z"), got ${JSON.stringify(input.dueBefore)}`,
    });
  }
  const limit = input.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    problems.push({ field: 'limit', message: `must be a whole number from 1 to ${MAX_PAGE}, got ${String(input.limit)}` });
  const cursor = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  if (input.cursor !== undefined && cursor === undefined) problems.push({ field: 'cursor', message: 'is not a cursor returned by a previous page' });
  if (cursor?.tag !== undefined && cursor.tag !== filterTag(input)) {
    problems.push({
      field: 'cursor',
      message: `was made for other filters than this request's (${showFilter(input)}): pass the filters of the page it came from, or start without a cursor`,
    });
  }
  const afterId = cursor?.after;
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { limit, afterId };
}

export async function listSubscriptions(deps: BillingClientDeps, input: ListSubscriptionsInput = {}): Promise<SubscriptionPage> {
  const { limit, afterId } = checkListFilter(input);
  const rows = await listSubscriptionsPage(deps.db, {
    ...(input.status === undefined ? {} : { status: input.status }),
    ...(input.chargePermissionId === undefined ? {} : { chargePermissionId: input.chargePermissionId }),
    ...(input.dueBefore === undefined ? {} : { dueBefore: new Date(input.dueBefore) }),
    ...(afterId === undefined ? {} : { afterId }),
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page.map(subscriptionView), nextCursor: rows.length > limit && last ? encodeCursor(last.id, input) : null };
}
