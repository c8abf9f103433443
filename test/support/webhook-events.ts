// Subscriptions and events for webhook tests: rows written with the event log's own appendEvent.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { appendEvent } from '../../db/queries/events.js';
import { lockFanout } from '../../db/queries/webhook-fanout-lock.js';
import { subscriptions } from '../../db/schema/index.js';
import type { EventType } from '../../billing/event-types.js';

/** A subscription row with its own `account`, so endpoints set to that account get only its events. */
export async function insertEventSubscription(db: Database, prefix = 'sub'): Promise<{ id: string; account: string }> {
  const id = `${prefix}-${randomBytes(4).toString('hex')}`;
  const account = `acct-${id}`;
  await db.insert(subscriptions).values({
    id,
    workflowId: `subscription-${id}`,
    chargePermissionId: `S01-${randomBytes(4).toString('hex')}`,
    environment: 'sandbox',
    status: 'active',
    amountMinor: 1000n,
    currency: 'USD',
    intervalUnit: 'month',
    intervalCount: 1,
    anchorLocal: '2026-01-01T00:00:00',
    anchorZone: 'UTC',
    account,
  });
  return { id, account };
}

/** Appends `count` events (each in its own transaction, as billing writes them) and returns their ids in sequence order. */
export async function appendEvents(db: Database, subscriptionId: string, count: number, type: EventType = 'charge.succeeded'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const { id } = await db.transaction((tx) => appendEvent(tx, { subscriptionId, type, occurredAt: new Date(), data: { cycle: i + 1 } }));
    ids.push(id);
  }
  return ids;
}

/**
 * Creates a webhook endpoint (`create`, given the transaction to create it in) limited to one
 * account's events, so tests sharing a database do not see each other's. An endpoint is created
 * for every account: the create and the limit are one transaction, under the fan-out's lock, so no
 * fan-out sees it unlimited and hands it another test's events.
 */
export async function addEndpointForAccount<E extends { id: string }>(db: Database, account: string, create: (tx: Database) => Promise<E>): Promise<E> {
  return db.transaction(async (tx) => {
    await lockFanout(tx, { wait: true });
    // A drizzle transaction runs the same queries (a nested transaction is a savepoint).
    const endpoint = await create(tx as unknown as Database);
    await tx.execute(sql`update webhook_endpoints set account = ${account} where id = ${endpoint.id}`);
    return endpoint;
  });
}

/**
 * Limits an existing endpoint (one the CLI created, in its own process) to one account's events.
 * Until it runs the endpoint takes every account's events: give it event types no other test
 * running beside it appends.
 */
export async function restrictEndpointToAccount(db: Database, endpointId: string, account: string): Promise<void> {
  await db.execute(sql`update webhook_endpoints set account = ${account} where id = ${endpointId}`);
}
