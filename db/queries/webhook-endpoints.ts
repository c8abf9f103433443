// webhook_endpoints rows: created, read, changed and disabled by the library (webhooks/endpoints.ts)
// and the dispatcher (410 Gone, failing for the whole retry window).
import { and, desc, eq, sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { webhookDeliveries, webhookEndpoints, type WebhookEndpointRow } from '../schema/index.js';
import { lockFanout, NEXT_EVENT_POSITION_SQL } from './webhook-fanout-lock.js';

export interface NewWebhookEndpoint {
  id: string;
  url: string;
  eventTypes: string[] | null;
  description: string | null;
  secret: string;
  createdAt: Date;
}

/** Inserts an endpoint that receives every event from the next one on (under the fan-out lock; `db` must be a transaction). */
export async function insertWebhookEndpoint(tx: DatabaseOrTransaction, endpoint: NewWebhookEndpoint): Promise<WebhookEndpointRow> {
  await lockFanout(tx, { wait: true });
  const [row] = await tx
    .insert(webhookEndpoints)
    .values({ ...endpoint, status: 'enabled', fromPosition: sql`${NEXT_EVENT_POSITION_SQL}` })
    .returning();
  if (!row) throw new Error(`webhook endpoint ${endpoint.id} vanished after insert`);
  return row;
}

export async function listWebhookEndpointRows(db: DatabaseOrTransaction): Promise<WebhookEndpointRow[]> {
  return db.select().from(webhookEndpoints).orderBy(desc(webhookEndpoints.createdAt), webhookEndpoints.id);
}

export async function getWebhookEndpointRow(db: DatabaseOrTransaction, id: string): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row;
}

export async function getWebhookEndpointRows(db: DatabaseOrTransaction, ids: readonly string[]): Promise<WebhookEndpointRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(webhookEndpoints)
    .where(
      sql`${webhookEndpoints.id} in (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
}

/** Changes url, event types and/or description; undefined when no endpoint has this id. */
export async function updateWebhookEndpointRow(
  db: DatabaseOrTransaction,
  id: string,
  change: { url?: string; eventTypes?: string[] | null; description?: string | null },
): Promise<WebhookEndpointRow | undefined> {
  if (Object.keys(change).length === 0) return getWebhookEndpointRow(db, id);
  const [row] = await db.update(webhookEndpoints).set(change).where(eq(webhookEndpoints.id, id)).returning();
  return row;
}

/**
 * Disables an enabled endpoint (reason: operator, gone, failing) and fails its pending deliveries
 * (lastError says why; `billing events redeliver` sends them again). Under the fan-out lock (`tx`
 * must be a transaction), so no fan-out adds a delivery for it afterwards. Returns the row, and whether
 * this call disabled it (false: it already was, or does not exist).
 */
export async function disableWebhookEndpointRow(
  tx: DatabaseOrTransaction,
  id: string,
  reason: 'operator' | 'gone' | 'failing',
  at: Date,
): Promise<{ row: WebhookEndpointRow | undefined; disabled: boolean; failedDeliveries: number }> {
  // A fan-out running now could still add a pending delivery for it after this commit; wait for it.
  await lockFanout(tx, { wait: true });
  const [changed] = await tx
    .update(webhookEndpoints)
    .set({ status: 'disabled', disabledReason: reason, disabledAt: at })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.status, 'enabled')))
    .returning();
  if (!changed) return { row: await getWebhookEndpointRow(tx, id), disabled: false, failedDeliveries: 0 };
  const failed = await tx
    .update(webhookDeliveries)
    .set({ status: 'failed', leaseUntil: null, lastError: `endpoint disabled (${reason})` })
    .where(and(eq(webhookDeliveries.endpointId, id), eq(webhookDeliveries.status, 'pending')))
    .returning({ id: webhookDeliveries.id });
  return { row: changed, disabled: true, failedDeliveries: failed.length };
}

/**
 * Enables a disabled endpoint: it receives events from the next one on, not those of the time it
 * was disabled (`billing events redeliver --since` sends those). Under the fan-out lock; `tx` must
 * be a transaction.
 */
export async function enableWebhookEndpointRow(tx: DatabaseOrTransaction, id: string): Promise<{ row: WebhookEndpointRow | undefined; enabled: boolean }> {
  await lockFanout(tx, { wait: true });
  const [changed] = await tx
    .update(webhookEndpoints)
    .set({ status: 'enabled', disabledReason: null, disabledAt: null, fromPosition: sql`${NEXT_EVENT_POSITION_SQL}` })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.status, 'disabled')))
    .returning();
  if (!changed) return { row: await getWebhookEndpointRow(tx, id), enabled: false };
  return { row: changed, enabled: true };
}

/** New secret; the current one becomes the previous, still signing until `previousExpiresAt`. */
export async function rotateWebhookSecretRow(
  db: DatabaseOrTransaction,
  id: string,
  secret: string,
  previousExpiresAt: Date,
): Promise<WebhookEndpointRow | undefined> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ secret, previousSecret: sql`${webhookEndpoints.secret}`, previousSecretExpiresAt: previousExpiresAt })
    .where(eq(webhookEndpoints.id, id))
    .returning();
  return row;
}
