import { sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { amazonPayCallSlots } from '../schema/index.js';

/**
 * Reserves the next slot of `operation` on `account` for one call and returns how long (ms, ≥ 0)
 * the caller waits before making it. Slots are `gapMs` apart (1000 / the rate); one that is free
 * now is taken at once. One statement, timed on PostgreSQL's clock only, so replicas whose clocks
 * differ still space their calls together and two callers never get the same slot.
 */
export async function reserveCallSlot(db: DatabaseOrTransaction, slot: { account: string; operation: string; gapMs: number }): Promise<number> {
  const gap = sql`(${slot.gapMs}::float8 * interval '1 millisecond')`;
  const [row] = await db
    .insert(amazonPayCallSlots)
    .values({ account: slot.account, operation: slot.operation, nextSlotAt: sql`clock_timestamp() + ${gap}` })
    .onConflictDoUpdate({
      target: [amazonPayCallSlots.account, amazonPayCallSlots.operation],
      set: { nextSlotAt: sql`greatest(clock_timestamp(), ${amazonPayCallSlots.nextSlotAt}) + ${gap}` },
    })
    // The reserved slot is the new next slot minus one gap.
    .returning({
      waitMs: sql<number>`greatest(0, extract(epoch from (${amazonPayCallSlots.nextSlotAt} - clock_timestamp())) * 1000 - ${slot.gapMs}::float8)::float8`,
    });
  return Number(row?.waitMs ?? 0);
}
