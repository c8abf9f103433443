// Fan-out: events → webhook_deliveries, one row per (event, endpoint that receives it). One replica
// at a time (an advisory lock; the others skip), from a (txid, position) cursor that never moves
// past an event still to commit (db/queries/events.ts listEventsAfter). The rows and the cursor
// are written in one transaction, so a crash either fans an event out with its cursor or not at
// all; a repeat is harmless (one delivery per event and endpoint).
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { listEventsAfter, START_OF_EVENTS, type EventCursor } from '../db/queries/events.js';
import { lockFanout } from '../db/queries/webhook-fanout-lock.js';

const CURSOR_NAME = 'events';
/** Channel the dispatchers LISTEN on for new deliveries (fan-out, redeliver). */
export const DELIVERIES_CHANNEL = 'billing_webhook_deliveries';

export interface FanoutResult {
  /** false: another replica is fanning out right now. */
  ran: boolean;
  events: number;
  deliveries: number;
}

/**
 * Fans out up to `limit` events after the cursor and moves it. An endpoint receives an event when
 * it is enabled, the event's position is at or after its from_position, the endpoint takes the
 * event's type (event_types null: every type) and its account (null: every account).
 * Call again while `events === limit`.
 */
export async function fanOutEvents(db: Database, options: { limit: number }): Promise<FanoutResult> {
  return db.transaction(async (tx) => {
    if (!(await lockFanout(tx, { wait: false }))) return { ran: false, events: 0, deliveries: 0 };
    const [stored] = await tx.execute<{ last_txid: string; last_position: string }>(
      sql`select last_txid::text, last_position::text from webhook_fanout where name = ${CURSOR_NAME}`,
    );
    const after: EventCursor = stored ? { txid: stored.last_txid, position: BigInt(stored.last_position) } : START_OF_EVENTS;
    const { events, next } = await listEventsAfter(tx, { after, limit: options.limit });
    if (events.length === 0) return { ran: true, events: 0, deliveries: 0 };
    const inserted = await tx.execute(sql`
      insert into webhook_deliveries (event_id, endpoint_id)
      select e.id, w.id from events e
      join webhook_endpoints w on w.status = 'enabled' and e.position >= w.from_position
        and (w.event_types is null or e.type = any (w.event_types))
        and (w.account is null or w.account = e.account)
      where e.id in (${sql.join(
        events.map((e) => sql`${e.id}`),
        sql`, `,
      )})
      on conflict (event_id, endpoint_id) do nothing
      returning id`);
    await tx.execute(sql`
      insert into webhook_fanout (name, last_txid, last_position, updated_at)
      values (${CURSOR_NAME}, ${next.txid}::xid8, ${next.position.toString()}::bigint, now())
      on conflict (name) do update set last_txid = excluded.last_txid, last_position = excluded.last_position, updated_at = now()`);
    if (inserted.length > 0) await tx.execute(sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`);
    return { ran: true, events: events.length, deliveries: inserted.length };
  });
}
