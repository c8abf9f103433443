// The fault suite's webhook invariant (issue 17), checked at the end from PostgreSQL and what the
// run's receiver got: every ledger and status change of the run has exactly one event (the
// outbox), each subscription's events are numbered 1..N with no gap, and every event reached the
// webhook endpoint registered for the run (by webhook-id).
import { sql } from 'drizzle-orm';
import { PAID_CHARGE_STATES } from '../billing/vocabulary.js';
import type { Database } from '../db/client.js';
import { TROUBLE_STATUSES } from '../db/queries/status-events.js';

/** Ledger states whose write emits charge.failed (db/queries/charges.ts chargeEventsSql). */
const FAILED_LEDGER_STATES: readonly string[] = ['Refused', 'failed', 'Declined', 'Canceled'];
/** Subscription event types that report a status change (the rest: started, plan_changed, cancel_scheduled, trial_will_end, permission_will_expire). */
const NOT_STATUS_TYPES: readonly string[] = [
  'subscription.started',
  'subscription.plan_changed',
  'subscription.cancel_scheduled',
  'subscription.trial_will_end',
  'subscription.permission_will_expire',
];

export interface EventCheck {
  events: number;
  /** Subscriptions whose sequences are not 1..N, or whose N is not subscriptions.last_event_sequence. */
  sequenceGaps: number;
  /** Final charge rows without exactly one charge.succeeded/charge.failed (same cycle, attempt and ChargeId), plus such events with no row. */
  chargeEventMismatches: number;
  /** Subscriptions whose status events differ from what their status history (subscription_events) implies. */
  statusEventMismatches: number;
  /** Events of the run the receiver never got (null: no endpoint registered). */
  undelivered: number | null;
  /** Requests beyond one per event (retries after a kill: at least once, same webhook-id). */
  redeliveries: number | null;
  violations: string[];
}

/**
 * The event type a status write from `from` to `to` emits, in JS, as db/queries/status-events.ts
 * statusEventTypeSql decides it in SQL; null for none.
 */
export function statusEventType(from: string, to: string, reasonChanged: boolean): string | null {
  if (to === 'canceled' || to === 'ended') return from === to ? null : `subscription.${to}`;
  if (to === 'paused') return from === to ? null : 'subscription.paused';
  if (from === 'paused') return 'subscription.resumed';
  if (to === 'active') return from === to ? null : 'subscription.activated';
  if ((TROUBLE_STATUSES as readonly string[]).includes(to)) return from !== to || reasonChanged ? `subscription.${to}` : null;
  return null;
}

interface EventRow extends Record<string, unknown> {
  id: string;
  subscription_id: string;
  type: string;
  sequence: number;
  data: Record<string, unknown>;
}

/**
 * `subscriptionIds`: the run's subscriptions. `received`: webhook-id → requests the run's
 * receiver got, or null when no endpoint was registered.
 */
export async function checkEventInvariants(input: {
  db: Database;
  subscriptionIds: readonly string[];
  received: ReadonlyMap<string, number> | null;
}): Promise<EventCheck> {
  const ids = [...input.subscriptionIds];
  const inIds = sql`(${sql.join(
    ids.map((id) => sql`${id}`),
    sql`, `,
  )})`;
  const violations: string[] = [];
  const events = [
    ...(await input.db.execute<EventRow>(
      sql`select id, subscription_id, type, sequence::int as sequence, data from events where subscription_id in ${inIds} order by subscription_id, sequence`,
    )),
  ];
  const charges = [
    ...(await input.db.execute<{ subscription_id: string; cycle: number; attempt: number; charge_id: string | null; state: string }>(
      sql`select subscription_id, cycle, attempt, charge_id, state from charges where subscription_id in ${inIds}`,
    )),
  ];
  const history = [
    ...(await input.db.execute<{ subscription_id: string; from_status: string | null; to_status: string; reason_code: string | null }>(
      sql`select subscription_id, from_status, to_status, reason_code from subscription_events where subscription_id in ${inIds} order by id`,
    )),
  ];
  const last = new Map(
    [...(await input.db.execute<{ id: string; n: number }>(sql`select id, last_event_sequence::int as n from subscriptions where id in ${inIds}`))].map((r) => [
      r.id,
      r.n,
    ]),
  );
  const bySub = new Map<string, EventRow[]>(ids.map((id) => [id, []]));
  for (const e of events) bySub.get(e.subscription_id)?.push(e);

  let sequenceGaps = 0;
  let statusEventMismatches = 0;
  for (const [id, own] of bySub) {
    const sequences = own.map((e) => e.sequence);
    if (sequences.some((s, i) => s !== i + 1) || sequences.length !== (last.get(id) ?? 0)) {
      sequenceGaps += 1;
      violations.push(`${id}: event sequences ${sequences.join(',')} are not 1..${last.get(id) ?? 0}`);
    }
    // Each status change of the history has its event, in the same order.
    const expected: string[] = [];
    let previous: { status: string; reason: string | null } | null = null;
    for (const h of history.filter((r) => r.subscription_id === id)) {
      if (previous !== null) {
        const type = statusEventType(h.from_status ?? previous.status, h.to_status, h.reason_code !== previous.reason);
        if (type) expected.push(type);
      }
      previous = { status: h.to_status, reason: h.reason_code };
    }
    const actual = own.filter((e) => e.type.startsWith('subscription.') && !NOT_STATUS_TYPES.includes(e.type)).map((e) => e.type);
    if (expected.join() !== actual.join()) {
      statusEventMismatches += 1;
      violations.push(`${id}: status history implies events [${expected.join(', ')}], the log has [${actual.join(', ')}]`);
    }
  }

  // Each final charge row ↔ exactly one charge.succeeded / charge.failed of its (subscription, cycle, attempt) naming its ChargeId.
  const key = (sub: string, cycle: unknown, attempt: unknown) => `${sub}/${String(cycle)}/${String(attempt)}`;
  const chargeEvents = new Map<string, EventRow[]>();
  for (const e of events) {
    if (e.type !== 'charge.succeeded' && e.type !== 'charge.failed') continue;
    const k = key(e.subscription_id, e.data.cycle, e.data.attempt);
    chargeEvents.set(k, [...(chargeEvents.get(k) ?? []), e]);
  }
  let chargeEventMismatches = 0;
  for (const c of charges) {
    const k = key(c.subscription_id, c.cycle, c.attempt);
    const want = (PAID_CHARGE_STATES as readonly string[]).includes(c.state)
      ? 'charge.succeeded'
      : FAILED_LEDGER_STATES.includes(c.state)
        ? 'charge.failed'
        : null;
    const got = chargeEvents.get(k) ?? [];
    chargeEvents.delete(k);
    if (want === null ? got.length === 0 : got.length === 1 && got[0]!.type === want && got[0]!.data.charge_id === c.charge_id) continue;
    chargeEventMismatches += 1;
    violations.push(
      `${k}: ledger row ${c.state} ${c.charge_id ?? '(no ChargeId)'} has events [${got.map((e) => `${e.type} ${String(e.data.charge_id)}`).join(', ')}], expected ${want ?? 'none'}`,
    );
  }
  for (const [k, got] of chargeEvents) {
    chargeEventMismatches += got.length;
    violations.push(`${k}: ${got.map((e) => e.type).join(', ')} with no ledger row`);
  }

  let undelivered: number | null = null;
  let redeliveries: number | null = null;
  if (input.received) {
    const received = input.received;
    const missing = events.filter((e) => !received.has(e.id));
    undelivered = missing.length;
    redeliveries = events.reduce((n, e) => n + Math.max(0, (received.get(e.id) ?? 0) - 1), 0);
    if (missing.length > 0)
      violations.push(
        `${missing.length} events never reached the webhook receiver, e.g. ${missing
          .slice(0, 3)
          .map((e) => `${e.id} (${e.subscription_id} #${e.sequence})`)
          .join(', ')}`,
      );
  }
  return { events: events.length, sequenceGaps, chargeEventMismatches, statusEventMismatches, undelivered, redeliveries, violations };
}
