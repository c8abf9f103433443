import { sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';

/** First key of the webhook advisory locks ('whk'), apart from housekeeping's ('kee'). */
const LOCK_CLASS = 0x77686b;
/** Second key: the fan-out of events to webhook_deliveries (webhooks/fanout.ts). */
const FANOUT_LOCK = 1;

/**
 * Takes the fan-out lock for the rest of `tx` (released by commit or rollback, or when the
 * connection drops). `wait: false` answers false at once when another transaction holds it.
 * Endpoint creation and re-enabling take it too (waiting), so the position an endpoint starts
 * from is set while no fan-out is running: no event at or after it can be fanned out without it.
 */
export async function lockFanout(tx: DatabaseOrTransaction, options: { wait: boolean }): Promise<boolean> {
  if (options.wait) {
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_CLASS}, ${FANOUT_LOCK})`);
    return true;
  }
  const [row] = await tx.execute<{ locked: boolean }>(sql`select pg_try_advisory_xact_lock(${LOCK_CLASS}, ${FANOUT_LOCK}) as locked`);
  return row?.locked === true;
}

/** The position the next event will get: an endpoint created now receives events from there on. */
export const NEXT_EVENT_POSITION_SQL = sql`coalesce(pg_sequence_last_value(pg_get_serial_sequence('events', 'position')), 0) + 1`;
