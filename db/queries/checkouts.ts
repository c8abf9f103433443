// Checkouts prepared by POST /v1/checkout-sessions (db/schema/checkouts.ts): saved with their
// signed button payload, claimed by the Checkout Session that completes them.
import { and, eq, lt, sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { checkouts, type CheckoutRow } from '../schema/index.js';

export async function getCheckout(db: DatabaseOrTransaction, subscriptionId: string): Promise<CheckoutRow | undefined> {
  const [row] = await db.select().from(checkouts).where(eq(checkouts.subscriptionId, subscriptionId));
  return row;
}

/**
 * Saves a checkout's terms and payload: a new row, or new terms for one no Checkout Session has
 * claimed yet (the newest button is the one that completes). Returns the stored row, or
 * `claimedBy` (the session id) when a session claimed it and nothing was changed.
 */
export async function saveCheckout(
  db: DatabaseOrTransaction,
  row: { subscriptionId: string; account: string | null; terms: unknown; payloadJson: string; replacesSubscriptionId?: string | null; at: Date },
): Promise<{ saved: CheckoutRow } | { claimedBy: string }> {
  const { at, ...values } = row;
  const [saved] = await db
    .insert(checkouts)
    .values({ ...values, createdAt: at, updatedAt: at })
    .onConflictDoUpdate({
      target: checkouts.subscriptionId,
      set: { terms: row.terms, payloadJson: row.payloadJson, replacesSubscriptionId: row.replacesSubscriptionId ?? null, updatedAt: at },
      setWhere: sql`${checkouts.checkoutSessionId} is null`,
    })
    .returning();
  if (saved) return { saved };
  const existing = await getCheckout(db, row.subscriptionId);
  return { claimedBy: existing?.checkoutSessionId ?? 'another Checkout Session' };
}

/**
 * Claims the checkout for `checkoutSessionId` before it is completed, in one statement: the first
 * claim stores the session and the subscription's anchor; a repeat by the same session returns
 * them as stored (so repeated and concurrent completes start the same subscription); another
 * session gets `claimedBy`, and nothing changes. `continuesReplaced`: a replacement's anchor
 * continues the replaced subscription's next billing date, which moves while that one bills, so
 * it is taken anew by every claim until the subscription exists. A replacement whose replaced
 * subscription another checkout's session has claimed gets `replacedBy`: the replaced
 * subscription, and that checkout's subscription and session (null when it let go meanwhile).
 */
export async function claimCheckout(
  db: DatabaseOrTransaction,
  claim: { subscriptionId: string; checkoutSessionId: string; anchorLocal: string; anchorDayOfMonth?: number | null; continuesReplaced?: boolean; at: Date },
): Promise<
  | { anchorLocal: string; anchorDayOfMonth: number | null }
  | { claimedBy: string; replacedBy?: undefined }
  | { claimedBy?: undefined; replacedBy: { replacedSubscriptionId: string; subscriptionId: string | null; checkoutSessionId: string | null } }
> {
  const started = sql`exists (select 1 from subscriptions s where s.id = ${claim.subscriptionId})`;
  const keep = claim.continuesReplaced ? started : sql`${checkouts.anchorLocal} is not null`;
  let row: { anchorLocal: string | null; anchorDayOfMonth: number | null } | undefined;
  try {
    [row] = await db
      .update(checkouts)
      .set({
        checkoutSessionId: claim.checkoutSessionId,
        anchorLocal: sql`case when ${keep} then ${checkouts.anchorLocal} else ${claim.anchorLocal} end`,
        anchorDayOfMonth: sql`case when ${keep} then ${checkouts.anchorDayOfMonth} else ${claim.anchorDayOfMonth ?? null}::integer end`,
        updatedAt: claim.at,
      })
      .where(
        and(
          eq(checkouts.subscriptionId, claim.subscriptionId),
          sql`(${checkouts.checkoutSessionId} is null or ${checkouts.checkoutSessionId} = ${claim.checkoutSessionId})`,
        ),
      )
      .returning({ anchorLocal: checkouts.anchorLocal, anchorDayOfMonth: checkouts.anchorDayOfMonth });
  } catch (error) {
    // checkouts_one_claimed_replacement: another checkout's session is completing a replacement of the same subscription.
    if ((error as { code?: string }).code !== '23505' && (error as { cause?: { code?: string } }).cause?.code !== '23505') throw error;
    const own = await getCheckout(db, claim.subscriptionId);
    const [other] = await db
      .select({ subscriptionId: checkouts.subscriptionId, checkoutSessionId: checkouts.checkoutSessionId })
      .from(checkouts)
      .where(and(eq(checkouts.replacesSubscriptionId, own?.replacesSubscriptionId ?? ''), sql`${checkouts.checkoutSessionId} is not null`));
    return {
      replacedBy: {
        replacedSubscriptionId: own?.replacesSubscriptionId ?? '',
        subscriptionId: other?.subscriptionId ?? null,
        checkoutSessionId: other?.checkoutSessionId ?? null,
      },
    };
  }
  if (row?.anchorLocal) return { anchorLocal: row.anchorLocal, anchorDayOfMonth: row.anchorDayOfMonth };
  const existing = await getCheckout(db, claim.subscriptionId);
  return { claimedBy: existing?.checkoutSessionId ?? 'another Checkout Session' };
}

/**
 * Gives the checkout back when `checkoutSessionId` did not start its subscription (the session was
 * refused, canceled, expired, or completed as OneTime), so the buyer can check out again. A
 * checkout whose subscription exists stays claimed.
 */
export async function releaseCheckout(db: DatabaseOrTransaction, release: { subscriptionId: string; checkoutSessionId: string; at: Date }): Promise<void> {
  await db
    .update(checkouts)
    .set({ checkoutSessionId: null, anchorLocal: null, anchorDayOfMonth: null, updatedAt: release.at })
    .where(
      and(
        eq(checkouts.subscriptionId, release.subscriptionId),
        eq(checkouts.checkoutSessionId, release.checkoutSessionId),
        sql`not exists (select 1 from subscriptions where subscriptions.id = ${release.subscriptionId})`,
      ),
    );
}

/**
 * Counts one definitive refusal of Complete Checkout Session that left the session Open
 * (checkouts.complete_refusals): the next complete sends a new idempotency key (billing/keys.ts).
 * Only if the count is still `refusals`, the one the refused request's key was made from: two
 * concurrent completes refused with the same key move it on once.
 */
export async function recordCompleteRefusal(db: DatabaseOrTransaction, refusal: { subscriptionId: string; refusals: number; at: Date }): Promise<void> {
  await db
    .update(checkouts)
    .set({ completeRefusals: sql`${checkouts.completeRefusals} + 1`, updatedAt: refusal.at })
    .where(and(eq(checkouts.subscriptionId, refusal.subscriptionId), eq(checkouts.completeRefusals, refusal.refusals)));
}

/**
 * Deletes checkouts last changed before `before` that started no subscription: buttons never
 * clicked, and sessions that never completed (a claim left by a complete that failed or crashed).
 * A checkout that started its subscription stays (it answers repeated completes). Returns the
 * deleted rows' subscription ids and the Checkout Session that had claimed each (null: none).
 */
export async function pruneStaleCheckouts(db: DatabaseOrTransaction, before: Date): Promise<{ subscriptionId: string; checkoutSessionId: string | null }[]> {
  return db
    .delete(checkouts)
    .where(and(lt(checkouts.updatedAt, before), sql`not exists (select 1 from subscriptions s where s.id = ${checkouts.subscriptionId})`))
    .returning({ subscriptionId: checkouts.subscriptionId, checkoutSessionId: checkouts.checkoutSessionId });
}

/**
 * Another checkout (not `exceptSubscriptionId`'s) that replaces `replacedSubscriptionId` and has
 * started its subscription (`started`) or is being completed by a Checkout Session; undefined
 * when none. The started one first.
 */
export async function getCheckoutReplacing(
  db: DatabaseOrTransaction,
  replacedSubscriptionId: string,
  exceptSubscriptionId: string,
): Promise<{ subscriptionId: string; checkoutSessionId: string | null; started: boolean } | undefined> {
  const started = sql<boolean>`exists (select 1 from subscriptions s where s.id = ${checkouts.subscriptionId})`;
  const [row] = await db
    .select({ subscriptionId: checkouts.subscriptionId, checkoutSessionId: checkouts.checkoutSessionId, started })
    .from(checkouts)
    .where(
      and(
        eq(checkouts.replacesSubscriptionId, replacedSubscriptionId),
        sql`${checkouts.subscriptionId} <> ${exceptSubscriptionId}`,
        sql`(${checkouts.checkoutSessionId} is not null or ${started})`,
      ),
    )
    .orderBy(sql`${started} desc`)
    .limit(1);
  return row;
}

/** Records that the replacement `subscriptionId`'s checkout made is finished (client/checkout/replace.ts finishReplacement); the first time stays. */
export async function recordReplacementFinished(db: DatabaseOrTransaction, subscriptionId: string, at: Date): Promise<void> {
  await db
    .update(checkouts)
    .set({ replacementFinishedAt: sql`coalesce(${checkouts.replacementFinishedAt}, ${at.toISOString()}::timestamptz)` })
    .where(eq(checkouts.subscriptionId, subscriptionId));
}

/**
 * Replacements whose new subscription was started before `startedBefore` but that were never
 * recorded finished (a complete that crashed or failed between the start and the close): the new
 * subscription's id and the replaced one's.
 */
export async function unfinishedReplacements(
  db: DatabaseOrTransaction,
  startedBefore: Date,
): Promise<{ subscriptionId: string; replacesSubscriptionId: string }[]> {
  const rows = await db.execute<{ subscription_id: string; replaces_subscription_id: string }>(sql`
    select c.subscription_id, c.replaces_subscription_id
    from checkouts c join subscriptions s on s.id = c.subscription_id
    where c.replaces_subscription_id is not null and c.replacement_finished_at is null and s.created_at < ${startedBefore.toISOString()}::timestamptz
    order by s.created_at`);
  return [...rows].map((r) => ({ subscriptionId: r.subscription_id, replacesSubscriptionId: r.replaces_subscription_id }));
}
