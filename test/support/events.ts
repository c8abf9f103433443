// Reading a subscription's events in tests: in sequence order, checked to be gapless, to match
// the subscription's last_event_sequence, and each to validate against its schema
// (api/schemas/events.ts), so every integration test that reads events also checks the payloads.
import { sql } from 'drizzle-orm';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { EventSchema } from '../../api/schemas/events.js';
import { eventView, type EventView } from '../../client/events.js';
import type { Database } from '../../db/client.js';
import { eventsOfSubscription } from '../../db/queries/events.js';
import { getSubscription } from '../../db/queries/subscriptions.js';

export async function checkedEvents(db: Database, subscriptionId: string): Promise<EventView[]> {
  // One snapshot for both reads: an event committed between them is not a mismatch.
  const { rows, lastEventSequence } = await db.transaction(
    async (tx) => ({
      rows: await eventsOfSubscription(tx, subscriptionId),
      lastEventSequence: (await getSubscription(tx, subscriptionId))?.lastEventSequence,
    }),
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  expect(rows.map((r) => r.sequence)).toEqual(rows.map((_, i) => i + 1));
  expect(lastEventSequence).toBe(rows.length);
  return rows.map((row) => {
    const view = eventView(row);
    const parsed = EventSchema.safeParse(view);
    if (!parsed.success) throw new Error(`event ${view.type} #${view.sequence} of ${subscriptionId} does not match its schema: ${parsed.error.message}`);
    return view;
  });
}

/**
 * Waits until every transaction running in the PostgreSQL cluster at the call has ended, so that
 * each event committed before the call is readable through the event feed: listEventsAfter
 * (db/queries/events.ts) returns only events whose transaction is older than every running one,
 * and any test's transaction anywhere in the cluster holds the newest events back until it ends.
 * Throws after `timeoutMs`, naming the horizon it waited for.
 */
export async function untilCommittedEventsReadable(db: Database, timeoutMs = 30_000): Promise<void> {
  const [horizon] = await db.execute<{ xmax: string }>(sql`select pg_snapshot_xmax(pg_current_snapshot())::text as xmax`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await db.execute<{ done: boolean }>(sql`select pg_snapshot_xmin(pg_current_snapshot()) >= ${horizon!.xmax}::xid8 as done`);
    if (row?.done) return;
    if (Date.now() > deadline) throw new Error(`transactions older than ${horizon!.xmax} still running after ${timeoutMs} ms: the event feed cannot catch up`);
    await sleep(20);
  }
}

/** The types of a subscription's events, in sequence order (checked as checkedEvents does). */
export async function eventTypes(db: Database, subscriptionId: string): Promise<string[]> {
  return (await checkedEvents(db, subscriptionId)).map((e) => e.type);
}

/**
 * The first events of the life both life tests drive (dunning-declines, webhooks-life): a paid
 * cycle, a soft decline and its recovery, a hard decline and the buyer's fix.
 */
export const LIFE_FIRST_EVENT_TYPES: readonly string[] = [
  'subscription.started',
  'charge.succeeded',
  'charge.failed',
  'subscription.past_due',
  'charge.succeeded',
  'subscription.activated',
  'charge.failed',
  'subscription.payment_method_required',
  'charge.succeeded',
  'subscription.activated',
];
