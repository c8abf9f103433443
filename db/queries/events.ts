import { sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import type { EventType } from '../../billing/event-types.js';
import type { EventRow } from '../schema/index.js';

/** An event to append: its subscription, type, when the fact happened, and its `data` object. */
export interface NewEvent {
  subscriptionId: string;
  type: EventType;
  occurredAt: Date;
  data: Record<string, unknown>;
}

/**
 * Appends one event to the outbox (events) in the caller's transaction and returns its id and
 * per-subscription sequence number. Must run in the same transaction as the change it reports
 * (that is the outbox's guarantee); `db` is that transaction.
 *
 * The sequence comes from subscriptions.last_event_sequence, bumped by an UPDATE that holds the
 * subscription's row lock until commit: two transactions appending for one subscription are
 * serialised, and a rolled-back one gives its number back, so sequences have no gaps.
 * Throws when the subscription does not exist.
 */
export async function appendEvent(db: DatabaseOrTransaction, event: NewEvent): Promise<{ id: string; sequence: number }> {
  const rows = await db.execute<{ id: string; sequence: number }>(sql`
    with bumped as (
      update subscriptions set last_event_sequence = last_event_sequence + 1
      where id = ${event.subscriptionId}
      returning id, last_event_sequence, account
    )
    insert into events (id, type, subscription_id, sequence, account, occurred_at, data)
    select ${newEventIdSql}, ${event.type}, bumped.id, bumped.last_event_sequence, bumped.account,
      ${event.occurredAt.toISOString()}::timestamptz, ${JSON.stringify(event.data)}::jsonb
    from bumped
    returning id, sequence`);
  const row = rows[0];
  if (!row) throw new Error(`subscription ${event.subscriptionId} is not in the database`);
  return { id: row.id, sequence: Number(row.sequence) };
}

/**
 * SQL for a new event id: "evt_" and 32 lower-case hex digits (a random UUID). For statements
 * that insert events themselves (a CTE next to a status update).
 */
export const newEventIdSql = sql`'evt_' || replace(gen_random_uuid()::text, '-', '')`;

/**
 * Where a reader of the event log stands: after the event with this transaction id and position.
 * Encoded for users as an opaque string (encodeEventCursor).
 */
export interface EventCursor {
  txid: string;
  position: bigint;
}

/** The cursor before every event. */
export const START_OF_EVENTS: EventCursor = { txid: '0', position: 0n };

/** "<txid>.<position>" in base64url: opaque to users, stable across releases. */
export function encodeEventCursor(cursor: EventCursor): string {
  return Buffer.from(`${cursor.txid}.${cursor.position}`).toString('base64url');
}

/** The largest xid8 (unsigned 64 bits) and bigint (signed 64 bits): a larger number fails the cast in SQL. */
const MAX_XID8 = 2n ** 64n - 1n;
const MAX_BIGINT = 2n ** 63n - 1n;

/**
 * Decodes encodeEventCursor's string; null when it is not one: exactly what encodeEventCursor
 * writes (no leading zeros, no other base64url spelling of the same bytes), numbers within their
 * column types. A cursor of this shape may still be forged: isIssuedEventCursor says whether it
 * names a readable event.
 */
export function decodeEventCursor(text: string): EventCursor | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(text)) return null;
  const match = /^(0|[1-9]\d{0,19})\.(0|[1-9]\d{0,18})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  if (!match) return null;
  const cursor = { txid: match[1]!, position: BigInt(match[2]!) };
  if (BigInt(cursor.txid) > MAX_XID8 || cursor.position > MAX_BIGINT || encodeEventCursor(cursor) !== text) return null;
  return cursor;
}

/**
 * Whether `cursor` is one listEventsAfter can have given out: START_OF_EVENTS, or the
 * (txid, position) of an event that exists and is readable (its transaction older than every
 * running one). listEventsAfter returns only such events, and they stay readable (the snapshot's
 * xmin only grows; events are never deleted), so every cursor it gave out passes. A forged one —
 * a position or txid beyond anything written, or a pair no event has — would otherwise move a
 * reader past events it never saw. One lookup on the unique position index.
 */
export async function isIssuedEventCursor(db: DatabaseOrTransaction, cursor: EventCursor): Promise<boolean> {
  if (cursor.txid === START_OF_EVENTS.txid && cursor.position === START_OF_EVENTS.position) return true;
  const rows = await db.execute<{ issued: boolean }>(sql`
    select exists (
      select 1 from events
      where position = ${cursor.position.toString()}::bigint and txid = ${cursor.txid}::xid8
        and txid < pg_snapshot_xmin(pg_current_snapshot())
    ) as issued`);
  return rows[0]?.issued === true;
}

/**
 * Events after `after`, oldest first (by transaction id, then position), at most `limit`, with
 * the cursor to pass next time (the last row's, or `after` when none).
 *
 * Only events of transactions older than every transaction still running are returned
 * (txid < pg_snapshot_xmin of the current snapshot): those are final, so a cursor never moves
 * past an event that commits later. The price: an event appears once every transaction older
 * than it has ended — normally milliseconds; a long open transaction anywhere in the cluster
 * holds events back until it ends.
 */
export async function listEventsAfter(
  db: DatabaseOrTransaction,
  query: { after: EventCursor; limit: number; subscriptionId?: string; types?: readonly string[] },
): Promise<{ events: EventRow[]; next: EventCursor }> {
  const filters = [
    sql`(txid, position) > (${query.after.txid}::xid8, ${query.after.position.toString()}::bigint)`,
    sql`txid < pg_snapshot_xmin(pg_current_snapshot())`,
  ];
  if (query.subscriptionId !== undefined) filters.push(sql`subscription_id = ${query.subscriptionId}`);
  if (query.types && query.types.length > 0)
    filters.push(
      sql`type in (${sql.join(
        query.types.map((t) => sql`${t}`),
        sql`, `,
      )})`,
    );
  const rows = await db.execute<RawEventRow>(sql`
    select id, position::text as position, txid::text as txid, type, subscription_id, sequence, account, occurred_at, data, created_at
    from events where ${sql.join(filters, sql` and `)}
    -- The table's columns, not the text aliases above: "1000" sorts before "999" as text.
    order by events.txid, events.position limit ${query.limit}`);
  const events = rows.map(toEventRow);
  const last = events.at(-1);
  return { events, next: last ? { txid: last.txid, position: last.position } : query.after };
}

interface RawEventRow extends Record<string, unknown> {
  id: string;
  position: string;
  txid: string;
  type: string;
  subscription_id: string;
  sequence: number;
  account: string | null;
  occurred_at: string | Date;
  data: Record<string, unknown>;
  created_at: string | Date;
}

function toEventRow(raw: RawEventRow): EventRow {
  return {
    id: raw.id,
    position: BigInt(raw.position),
    txid: raw.txid,
    type: raw.type,
    subscriptionId: raw.subscription_id,
    sequence: Number(raw.sequence),
    account: raw.account,
    occurredAt: new Date(raw.occurred_at),
    data: raw.data,
    createdAt: new Date(raw.created_at),
  };
}

/** Every event of one subscription in sequence order (for tests, `billing show`, and invariant checks). */
export async function eventsOfSubscription(db: DatabaseOrTransaction, subscriptionId: string): Promise<EventRow[]> {
  const rows = await db.execute<RawEventRow>(sql`
    select id, position::text as position, txid::text as txid, type, subscription_id, sequence, account, occurred_at, data, created_at
    from events where subscription_id = ${subscriptionId} order by sequence`);
  return rows.map(toEventRow);
}
