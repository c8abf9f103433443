// Subscriptions and events for webhook tests: rows written with the event log's own appendEvent.
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { appendEvent } from '../../db/queries/events.js';
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

/** Limits an endpoint to one account's events: tests sharing a database do not see each other's. */
export async function restrictEndpointToAccount(db: Database, endpointId: string, account: string): Promise<void> {
  await db.execute(sql`update webhook_endpoints set account = ${account} where id = ${endpointId}`);
}
