import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { idempotencyKeys, refunds, type IdempotencyKeyRow, type RefundRow } from '../schema/index.js';

/** An Idempotency-Key as stored: the header's value, scoped to the API key (api_keys.id) that sent it. */
export interface IdempotencyKeyRef {
  apiKeyId: string;
  key: string;
}

export interface IdempotencyClaimInput extends IdempotencyKeyRef {
  requestHash: string;
  method: string;
  path: string;
  at: Date;
}

/** The row of `ref`: its header value under its API key. */
const rowOf = (ref: IdempotencyKeyRef) => and(eq(idempotencyKeys.apiKeyId, ref.apiKeyId), eq(idempotencyKeys.key, ref.key));

/**
 * Insert-first claim: true when this caller now owns the key and must run the request. A row
 * left in_progress longer than `leaseMs` (its process died), a released row of the same request
 * (its first run failed with a 5xx), or a row older than `retentionMs` is taken over in the same
 * statement, so exactly one of several concurrent callers wins. A takeover of the same request
 * keeps the refund the key is bound to; an expired key starts afresh.
 */
export async function claimIdempotencyKey(
  db: DatabaseOrTransaction,
  input: IdempotencyClaimInput,
  options: { leaseMs: number; retentionMs: number },
): Promise<boolean> {
  const leaseCutoff = new Date(input.at.getTime() - options.leaseMs).toISOString();
  const retentionCutoff = new Date(input.at.getTime() - options.retentionMs).toISOString();
  const expired = sql`${idempotencyKeys.createdAt} < ${retentionCutoff}::timestamptz`;
  const claimed = await db
    .insert(idempotencyKeys)
    .values({ ...input, state: 'in_progress', lockedAt: input.at, createdAt: input.at })
    .onConflictDoUpdate({
      target: [idempotencyKeys.apiKeyId, idempotencyKeys.key],
      set: {
        requestHash: input.requestHash,
        method: input.method,
        path: input.path,
        state: 'in_progress',
        lockedAt: input.at,
        createdAt: input.at,
        responseStatus: null,
        responseContentType: null,
        responseBody: null,
        completedAt: null,
        refundId: sql`case when ${expired} then null else ${idempotencyKeys.refundId} end`,
      },
      // Taken over only when expired, or by the same request when its first run failed (released) or lost its owner.
      setWhere: sql`${expired} or (${idempotencyKeys.requestHash} = ${input.requestHash} and (${idempotencyKeys.state} = 'released' or (${idempotencyKeys.state} = 'in_progress' and ${idempotencyKeys.lockedAt} < ${leaseCutoff}::timestamptz)))`,
    })
    .returning({ key: idempotencyKeys.key });
  return claimed.length === 1;
}

export async function getIdempotencyKey(db: DatabaseOrTransaction, ref: IdempotencyKeyRef): Promise<IdempotencyKeyRow | undefined> {
  const [row] = await db.select().from(idempotencyKeys).where(rowOf(ref));
  return row;
}

/** Stores the response of the claimed request (only the claim's owner calls this). */
export async function completeIdempotencyKey(
  db: DatabaseOrTransaction,
  ref: IdempotencyKeyRef,
  response: { status: number; contentType: string; body: string; at: Date },
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({
      state: 'completed',
      responseStatus: response.status,
      responseContentType: response.contentType,
      responseBody: response.body,
      completedAt: response.at,
    })
    .where(and(rowOf(ref), eq(idempotencyKeys.state, 'in_progress')));
}

/**
 * Gives a claim up (the request failed in a way worth retrying: 5xx, 503): the next request with
 * the key and the same fingerprint runs again. The row stays, so the key remains bound to its
 * request (another body is still refused) and to the refund it recorded, if any.
 */
export async function releaseIdempotencyKey(db: DatabaseOrTransaction, ref: IdempotencyKeyRef): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ state: 'released' })
    .where(and(rowOf(ref), eq(idempotencyKeys.state, 'in_progress')));
}

/**
 * Binds a claimed key to the refund its request recorded or re-sent (in the refund's
 * transaction); no row (a key the HTTP API did not claim) binds nothing. Never rebinds a key
 * that already names a refund.
 */
export async function bindIdempotencyKeyToRefund(db: DatabaseOrTransaction, ref: IdempotencyKeyRef, refundId: bigint): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ refundId })
    .where(and(rowOf(ref), isNull(idempotencyKeys.refundId)));
}

/** The refund a key is bound to (bindIdempotencyKeyToRefund); undefined when none or no such key. */
export async function refundOfIdempotencyKey(db: DatabaseOrTransaction, ref: IdempotencyKeyRef): Promise<RefundRow | undefined> {
  const [row] = await db.select({ refund: refunds }).from(idempotencyKeys).innerJoin(refunds, eq(refunds.id, idempotencyKeys.refundId)).where(rowOf(ref));
  return row?.refund;
}

/** Rows one prune statement deletes at most: a short transaction, whatever the backlog. */
export const IDEMPOTENCY_PRUNE_BATCH = 1_000;

/**
 * Housekeeping: deletes keys created before `before` (completed or abandoned alike), oldest
 * first, in statements of at most `batchSize` rows (index idempotency_keys_created_idx), until
 * none is left or `maxBatches` ran. Returns how many rows went.
 */
export async function pruneIdempotencyKeys(
  db: DatabaseOrTransaction,
  before: Date,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? IDEMPOTENCY_PRUNE_BATCH;
  const maxBatches = options.maxBatches ?? 1_000;
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const oldest = db
      .select({ apiKeyId: idempotencyKeys.apiKeyId, key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(lt(idempotencyKeys.createdAt, before))
      .orderBy(idempotencyKeys.createdAt)
      .limit(batchSize);
    // By the whole primary key: another API key's younger row with the same header value stays.
    const deleted = await db
      .delete(idempotencyKeys)
      .where(sql`(${idempotencyKeys.apiKeyId}, ${idempotencyKeys.key}) in ${oldest}`)
      .returning({ key: idempotencyKeys.key });
    total += deleted.length;
    if (deleted.length < batchSize) break;
  }
  return total;
}
