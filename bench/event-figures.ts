// What a billing day wrote to the event outbox and what the webhook dispatcher delivered of it,
// read from PostgreSQL after the run: the events after a mark taken before T0 (the billing day's
// own, not the launch's subscription.started), their deliveries, and how fast and late those came.
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { percentiles, type Percentiles } from './ledger-check.js';
import { round } from './proc-stats.js';

export interface EventFigures {
  /** Events written after the mark. */
  written: number;
  byType: Record<string, number>;
  /** webhook_deliveries rows of those events, by status, and attempts made. */
  deliveries: { total: number; delivered: number; pending: number; failed: number; attempts: number };
  /** Events delivered to every endpoint. */
  eventsDelivered: number;
  /** Seconds from the first event written to the last delivery; null: nothing delivered. */
  spanSeconds: number | null;
  /** eventsDelivered / spanSeconds. */
  eventsDeliveredPerSecond: number | null;
  /** delivered deliveries / spanSeconds. */
  deliveriesPerSecond: number | null;
  /** Seconds from the last event written to the last delivery (how far delivery trailed billing). */
  lastDeliveryAfterLastEventSeconds: number | null;
  /** Event written (its transaction's start) → delivered, seconds. */
  lagSeconds: Percentiles | null;
  /** The first part of it: event written → its delivery row made by the fan-out (the event readable and fanned out), seconds. */
  fanoutSeconds: Percentiles | null;
}

/** The position of the last event written so far: events after it belong to what follows. */
export async function eventMark(db: Database): Promise<bigint> {
  const [row] = await db.execute<{ mark: string }>(sql`select coalesce(max(position), 0)::text as mark from events`);
  return BigInt(row?.mark ?? '0');
}

/** True once every event after `mark` is delivered to each of `endpoints` endpoints. */
export async function allDelivered(db: Database, mark: bigint, endpoints: number): Promise<boolean> {
  const [row] = await db.execute<{ events: number; delivered: number }>(sql`
    select (select count(*)::int from events where position > ${mark.toString()}::bigint) as events,
           (select count(*)::int from webhook_deliveries d join events e on e.id = d.event_id
             where e.position > ${mark.toString()}::bigint and d.status = 'delivered') as delivered`);
  return row !== undefined && row.delivered >= row.events * endpoints;
}

/** One row per event after the mark: when it was written and when each of its deliveries was made. */
export interface EventDeliveryRow {
  type: string;
  writtenAtMs: number;
  /** status and delivered time of each delivery of the event (none without endpoints). */
  deliveries: Array<{ status: string; attempts: number; createdAtMs: number; deliveredAtMs: number | null }>;
}

export async function readEventDeliveries(db: Database, mark: bigint): Promise<EventDeliveryRow[]> {
  const rows = await db.execute<{
    id: string;
    type: string;
    created_at: Date;
    status: string | null;
    attempts: number | null;
    delivery_created_at: Date | null;
    delivered_at: Date | null;
  }>(sql`
    select e.id, e.type, e.created_at, d.status, d.attempts, d.created_at as delivery_created_at, d.delivered_at
    from events e left join webhook_deliveries d on d.event_id = e.id
    where e.position > ${mark.toString()}::bigint order by e.position`);
  const byId = new Map<string, EventDeliveryRow>();
  for (const r of rows) {
    let event = byId.get(r.id);
    if (!event) byId.set(r.id, (event = { type: r.type, writtenAtMs: new Date(r.created_at).getTime(), deliveries: [] }));
    if (r.status !== null)
      event.deliveries.push({
        status: r.status,
        attempts: r.attempts ?? 0,
        createdAtMs: new Date(r.delivery_created_at ?? r.created_at).getTime(),
        deliveredAtMs: r.delivered_at === null ? null : new Date(r.delivered_at).getTime(),
      });
  }
  return [...byId.values()];
}

/** The figures of `rows` (readEventDeliveries) with `endpoints` endpoints registered. Pure. */
export function summariseEventDeliveries(rows: readonly EventDeliveryRow[], endpoints: number): EventFigures {
  const byType: Record<string, number> = {};
  const deliveries = { total: 0, delivered: 0, pending: 0, failed: 0, attempts: 0 };
  const lagsMs: number[] = [];
  const fanoutMs: number[] = [];
  let eventsDelivered = 0;
  let lastDelivery: number | null = null;
  for (const event of rows) {
    byType[event.type] = (byType[event.type] ?? 0) + 1;
    let deliveredHere = 0;
    for (const d of event.deliveries) {
      deliveries.total += 1;
      deliveries.attempts += d.attempts;
      fanoutMs.push(d.createdAtMs - event.writtenAtMs);
      if (d.status === 'delivered') deliveries.delivered += 1;
      else if (d.status === 'failed') deliveries.failed += 1;
      else deliveries.pending += 1;
      if (d.status !== 'delivered' || d.deliveredAtMs === null) continue;
      deliveredHere += 1;
      lagsMs.push(d.deliveredAtMs - event.writtenAtMs);
      lastDelivery = Math.max(lastDelivery ?? d.deliveredAtMs, d.deliveredAtMs);
    }
    if (endpoints > 0 && deliveredHere >= endpoints) eventsDelivered += 1;
  }
  const written = rows.map((r) => r.writtenAtMs);
  const firstWritten = written.length > 0 ? Math.min(...written) : null;
  const lastWritten = written.length > 0 ? Math.max(...written) : null;
  const span = lastDelivery === null || firstWritten === null ? null : (lastDelivery - firstWritten) / 1000;
  const perSecond = (count: number): number | null => (span === null || span <= 0 ? null : round(count / span, 1));
  const seconds = (ms: number[]): Percentiles | null => {
    if (ms.length === 0) return null;
    const p = percentiles(ms.map((x) => x / 1000));
    return { p50: round(p.p50, 2), p95: round(p.p95, 2), p99: round(p.p99, 2), max: round(p.max, 2) };
  };
  return {
    written: rows.length,
    byType,
    deliveries,
    eventsDelivered,
    spanSeconds: span === null ? null : round(span, 1),
    eventsDeliveredPerSecond: perSecond(eventsDelivered),
    deliveriesPerSecond: perSecond(deliveries.delivered),
    lastDeliveryAfterLastEventSeconds: lastDelivery === null || lastWritten === null ? null : round((lastDelivery - lastWritten) / 1000, 1),
    lagSeconds: seconds(lagsMs),
    fanoutSeconds: seconds(fanoutMs),
  };
}
