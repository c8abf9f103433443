// When a ledger row's cycle was due: computed from its subscription's stored anchor, as the
// workflow computes it (billing/schedule.ts cycleDueAt). The dashboard's billing lag and the
// forecast's capacity evidence read it. A subscription whose plan changed is left out: its later
// cycles follow a schedule the database row alone does not hold.
import { sql } from 'drizzle-orm';
import { cycleDueAt, ELAPSED_UNIT_MS } from '../../billing/schedule.js';
import type { BillingInterval, IntervalUnit } from '../../billing/types.js';

/** A ledger row (`c`, charges) with its subscription's schedule (`s`, subscriptions): LEDGER_SCHEDULE_COLUMNS. */
export interface LedgerScheduleRow extends Record<string, unknown> {
  cycle: number;
  anchor_local: string;
  anchor_zone: string;
  interval_unit: string;
  interval_count: number;
  trial: BillingInterval | null;
  /** Whether the subscription's plan changed (PLAN_CHANGED): its due times are not known here. */
  plan_changed: boolean;
}

/** The select list of LedgerScheduleRow, for a query over `charges c join subscriptions s`. */
export const LEDGER_SCHEDULE_COLUMNS = sql`c.cycle, s.anchor_local, s.anchor_zone, s.interval_unit, s.interval_count, s.trial,
  exists (select 1 from subscription_events e where e.subscription_id = s.id and e.reason_code = 'plan_changed') as plan_changed`;

/**
 * A function giving a row's due time (epoch ms), or null when its plan changed. It remembers each
 * schedule's cycle 0 and the (schedule, cycle) pairs it computed: a billing day's rows share a few
 * anchors, and the cycles of a second/minute/hour plan are added, not resolved one by one (a
 * sandbox plan billed every second leaves ~86,400 rows a day in the ledger).
 */
export function ledgerDueTimes(): (row: LedgerScheduleRow) => number | null {
  const known = new Map<string, number>();
  return (row) => {
    if (row.plan_changed) return null;
    const spec = {
      anchor: { localDateTime: row.anchor_local, zone: row.anchor_zone },
      ...(row.trial ? { trial: row.trial } : {}),
      plan: { interval: { unit: row.interval_unit as IntervalUnit, count: row.interval_count } },
    } as Parameters<typeof cycleDueAt>[0];
    const schedule = `${row.anchor_local}|${row.anchor_zone}|${row.interval_unit}|${row.interval_count}|${row.trial ? JSON.stringify(row.trial) : ''}`;
    const unitMs = ELAPSED_UNIT_MS[row.interval_unit as IntervalUnit];
    const cycle = unitMs === undefined ? row.cycle : 0;
    const key = `${schedule}|${cycle}`;
    let due = known.get(key);
    if (due === undefined) {
      due = cycleDueAt(spec, cycle).toMillis();
      known.set(key, due);
    }
    return unitMs === undefined ? due : due + row.cycle * row.interval_count * unitMs;
  };
}
