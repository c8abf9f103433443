// `billing events listen`: events as they happen, read from the event log's cursor (so nothing
// committed late is skipped), optionally forwarded to a local URL signed like a real delivery
// — the development loop of `stripe listen --forward-to`. Nothing is written to the database.
import { sql as drizzleSql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Database } from '../db/client.js';
import { listEventsAfter, type EventCursor } from '../db/queries/events.js';
import type { EventRow } from '../db/schema/index.js';
import { EVENTS_CHANNEL } from './dispatcher.js';
import { webhookBody } from './payload.js';
import { postWebhook, type AttemptResult } from './send.js';
import { signWebhook } from './signing.js';

export interface ListenOptions {
  db: Database;
  /** For LISTEN; polling every pollMs catches what a notification misses. */
  sql: postgres.Sql;
  /** Only these types (undefined: all). */
  types?: readonly string[];
  /** POST each event here, signed with `secret`; undefined: print only. */
  forwardTo?: string;
  secret: string;
  timeoutMs: number;
  pollMs?: number;
  signal: AbortSignal;
  /** Called once listening: events committed from then on are seen. */
  onListening?(): void;
  /** Called in order, after the forward (if any) was answered. */
  onEvent(event: EventRow, forwarded: AttemptResult | undefined): void;
}

/** The cursor after every event committed so far: listening starts there. */
export async function endOfEvents(db: Database): Promise<EventCursor> {
  const [row] = await db.execute<{ txid: string; position: string }>(drizzleSql`
    select txid::text, position::text from events where txid < pg_snapshot_xmin(pg_current_snapshot())
    order by events.txid desc, events.position desc limit 1`); // the columns, not the text aliases ("999" > "1000")
  return row ? { txid: row.txid, position: BigInt(row.position) } : { txid: '0', position: 0n };
}

/** Runs until `signal` aborts; resolves with the number of events seen. */
export async function listenToEvents(options: ListenOptions): Promise<number> {
  let cursor = await endOfEvents(options.db);
  let seen = 0;
  let wake: (() => void) | undefined;
  const listener = await options.sql.listen(EVENTS_CHANNEL, () => wake?.()).catch(() => undefined);
  const onAbort = (): void => wake?.();
  options.signal.addEventListener('abort', onAbort);
  options.onListening?.();
  try {
    while (!options.signal.aborted) {
      const page = await listEventsAfter(options.db, { after: cursor, limit: 100, ...(options.types ? { types: options.types } : {}) });
      for (const event of page.events) {
        if (options.signal.aborted) break;
        const forwarded = options.forwardTo
          ? await postWebhook(options.forwardTo, signWebhook([options.secret], event.id, new Date(), webhookBody(event)), options.timeoutMs)
          : undefined;
        options.onEvent(event, forwarded);
        seen += 1;
        cursor = { txid: event.txid, position: event.position };
      }
      if (page.events.length === 100) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs ?? 1_000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await listener?.unlisten().catch(() => {});
  }
  return seen;
}
