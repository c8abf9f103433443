// The event log as a transactional outbox (db/queries/*, docs/events.md), against PostgreSQL:
// every write point appends exactly its event in its own statement or transaction (a rolled-back
// write leaves none), sequences stay gapless under concurrent appends with a rollback among them,
// and a cursor reader never skips an event whose transaction commits after a later one's.
import postgres from 'postgres';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_EVENT_TYPE_ITEM } from '../../billing/event-types.js';
import { CURSOR_REFUSED, listEvents } from '../../client/events.js';
import { claimChargeSend, completeCharge, insertCheckoutCharge, resolvePendingCharge } from '../../db/queries/charges.js';
import { appendEvent, decodeEventCursor, encodeEventCursor, listEventsAfter, START_OF_EVENTS } from '../../db/queries/events.js';
import { completeRefund, insertRefund, recordRefundStatus } from '../../db/queries/refunds.js';
import { insertSubscription, recordPlanChange, recordSubscriptionStatus } from '../../db/queries/subscriptions.js';
import { emitTrialWillEnd } from '../../db/queries/trial-events.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { monthlySubscriptionRow } from '../support/subscription-rows.js';
import { checkedEvents, eventTypes, untilCommittedEventsReadable } from '../support/events.js';
import { waitUntil } from '../support/webhook-receiver.js';

const at = new Date('2026-03-01T09:00:00Z');
const later = (ms: number) => new Date(at.getTime() + ms);

describe.concurrent('event outbox', () => {
  let database: TestDatabase;
  const db = () => database.db;
  const subscription = async (id: string, options: { status?: string; trialEndsAt?: Date } = {}) => {
    await insertSubscription(
      db(),
      monthlySubscriptionRow(id, {
        status: options.status ?? 'active',
        ...(options.trialEndsAt ? { trial: { unit: 'day', count: 14 }, nextBillingAt: options.trialEndsAt } : {}),
      }),
    );
  };
  const status = (subscriptionId: string, to: string, reasonCode: string | null, detail?: Record<string, unknown>) =>
    recordSubscriptionStatus(db(), {
      subscriptionId,
      status: to,
      reasonCode,
      cycle: 1,
      nextBillingAt: later(86_400_000),
      ...(detail ? { detail } : {}),
      ended: to === 'canceled' || to === 'ended',
      at,
      paymentMethodUpdateUrlPrefix: 'https://payments.amazon.com/jr/your-account/ba/',
    });

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  it('subscription.started is written with the row, once: a repeated insert adds nothing', async () => {
    await subscription('ev-started');
    await subscription('ev-started');
    const [started] = await checkedEvents(db(), 'ev-started');
    expect(started).toMatchObject({
      type: 'subscription.started',
      sequence: 1,
      account: null,
      data: { status: 'active', plan: { amount: '14.00', currency: 'USD', interval: { unit: 'month', count: 1 } }, trial: null, end: null },
    });
    expect(await eventTypes(db(), 'ev-started')).toEqual(['subscription.started']);
  });

  it('status writes: each transition emits its one event; a repeated write and a reason change of active emit none', async () => {
    await subscription('ev-status');
    await status('ev-status', 'active', 'AuthorizationPending');
    await status('ev-status', 'past_due', 'SoftDeclined', { nextRetryAt: '2026-03-02T09:00:00.000Z', dunningStep: 1, of: 3 });
    await status('ev-status', 'past_due', 'SoftDeclined', { nextRetryAt: '2026-03-02T09:00:00.000Z', dunningStep: 1, of: 3 });
    await status('ev-status', 'past_due', 'PeriodicAmountExceeded', { nextRetryAt: '2026-04-01T00:05:00.000Z' });
    await status('ev-status', 'paused', 'vacation');
    await status('ev-status', 'past_due', 'PeriodicAmountExceeded', { resumed: true });
    await status('ev-status', 'active', null);
    await status('ev-status', 'payment_method_required', 'HardDeclined', { graceEndsAt: '2026-03-15T09:00:00.000Z' });
    await status('ev-status', 'needs_attention', 'InvalidParameterValue', { lastFailure: 'bad' });
    await status('ev-status', 'unpaid', 'DunningExhausted:SoftDeclined');
    await status('ev-status', 'canceled', 'BuyerCanceled');
    await status('ev-status', 'active', null); // a late write after the end changes nothing
    const events = await checkedEvents(db(), 'ev-status');
    expect(events.map((e) => e.type)).toEqual([
      'subscription.started',
      'subscription.past_due',
      'subscription.past_due',
      'subscription.paused',
      'subscription.resumed',
      'subscription.activated',
      'subscription.payment_method_required',
      'subscription.needs_attention',
      'subscription.unpaid',
      'subscription.canceled',
    ]);
    expect(events[1]!.data).toEqual({
      status: 'past_due',
      previous_status: 'active',
      reason: 'SoftDeclined',
      cycle: 1,
      next_billing_at: '2026-03-02T09:00:00.000Z',
      next_retry_at: '2026-03-02T09:00:00.000Z',
      dunning_step: 1,
      dunning_steps: 3,
    });
    expect(events[4]!.data).toMatchObject({ status: 'past_due', previous_status: 'paused' });
    expect(events[6]!.data).toMatchObject({
      grace_ends_at: '2026-03-15T09:00:00.000Z',
      payment_method_update_url: 'https://payments.amazon.com/jr/your-account/ba/S01-1234567-1234567',
    });
    expect(events[9]!).toMatchObject({ occurred_at: at.toISOString(), data: { status: 'canceled', previous_status: 'unpaid', reason: 'BuyerCanceled' } });
  });

  it('a status write rolled back leaves no event and no sequence number used', async () => {
    await subscription('ev-rollback');
    await expect(
      db().transaction(async (tx) => {
        await recordSubscriptionStatus(tx, {
          subscriptionId: 'ev-rollback',
          status: 'paused',
          reasonCode: 'x',
          cycle: 0,
          nextBillingAt: null,
          ended: false,
          at,
        });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await status('ev-rollback', 'paused', 'y');
    const events = await checkedEvents(db(), 'ev-rollback');
    expect(events.map((e) => [e.type, e.sequence])).toEqual([
      ['subscription.started', 1],
      ['subscription.paused', 2],
    ]);
  });

  it('charge ledger writes: succeeded, pending then resolved, failed (soft and hard), and a replayed answer emits nothing', async () => {
    await subscription('ev-charges');
    await status('ev-charges', 'active', null); // next_billing_at: the period's start
    const key = (attempt: number) => ({ subscriptionId: 'ev-charges', cycle: 1, attempt });
    const claim = (attempt: number) =>
      claimChargeSend(db(), { ...key(attempt), idempotencyKey: `k-${attempt}`, amountMinor: 1400n, currency: 'USD', honourStop: false });
    const answered = { amazonRequestId: 'r', completedAt: later(1_000), mayHaveBeenProcessed: true };
    await claim(1);
    await completeCharge(db(), key(1), { state: 'Refused', outcome: 'soft_decline', chargeId: null, reasonCode: 'SoftDeclined', ...answered });
    await claim(2);
    await completeCharge(db(), key(2), { state: 'Refused', outcome: 'hard_decline', chargeId: null, reasonCode: 'HardDeclined', ...answered });
    await claim(3);
    const pending = { state: 'AuthorizationInitiated', outcome: 'ok', chargeId: 'S01-1234567-1234567-C000003', reasonCode: null, ...answered };
    await completeCharge(db(), key(3), pending);
    await resolvePendingCharge(db(), { ...key(3), chargeId: pending.chargeId }, { state: 'Declined', reasonCode: 'ProcessingFailure', at: later(2_000) });
    await claim(4);
    const paid = { state: 'Captured', outcome: 'ok', chargeId: 'S01-1234567-1234567-C000004', reasonCode: null, ...answered };
    await completeCharge(db(), key(4), paid, { periodEnd: new Date('2026-04-02T09:00:00Z') });
    // A retry whose earlier execution committed: the same answer again, and a late 5xx answer.
    await claim(4);
    await completeCharge(db(), key(4), paid, { periodEnd: new Date('2026-04-02T09:00:00Z') });
    await claim(4);
    await completeCharge(db(), key(4), { state: 'pending', outcome: 'transient', chargeId: null, reasonCode: null, ...answered });

    const events = (await checkedEvents(db(), 'ev-charges')).slice(1);
    expect(events.map((e) => [e.type, e.data.attempt, e.data.decline])).toEqual([
      ['charge.failed', 1, 'soft'],
      ['charge.failed', 2, 'hard'],
      ['charge.pending', 3, undefined],
      ['charge.failed', 3, 'soft'],
      ['charge.succeeded', 4, undefined],
    ]);
    expect(events[4]).toMatchObject({
      occurred_at: later(1_000).toISOString(),
      data: {
        charge_id: paid.chargeId,
        cycle: 1,
        amount: '14.00',
        currency: 'USD',
        state: 'Captured',
        period: { start: '2026-03-02T09:00:00.000Z', end: '2026-04-02T09:00:00.000Z' },
      },
    });
  });

  it('the checkout charge: charge.succeeded for cycle 0 once, and in JPY the amount has no decimals', async () => {
    await insertSubscription(db(), {
      id: 'ev-checkout',
      workflowId: 'subscription-ev-checkout',
      chargePermissionId: 'S01-1234567-1234567',
      environment: 'sandbox',
      status: 'active',
      amountMinor: 500n,
      currency: 'JPY',
      intervalUnit: 'month',
      intervalCount: 1,
      anchorLocal: '2026-03-01T09:00:00',
      anchorZone: 'Asia/Tokyo',
    });
    const charge = { subscriptionId: 'ev-checkout', chargeId: 'S01-1234567-1234567-C000001', amountMinor: 500n, currency: 'JPY', at };
    await insertCheckoutCharge(db(), charge);
    await insertCheckoutCharge(db(), charge);
    const events = await checkedEvents(db(), 'ev-checkout');
    expect(events.map((e) => e.type)).toEqual(['subscription.started', 'charge.succeeded']);
    expect(events[1]!.data).toMatchObject({ cycle: 0, amount: '500', currency: 'JPY', charge_id: charge.chargeId });
  });

  it('a plan change emits subscription.plan_changed; its retried write does not', async () => {
    await subscription('ev-plan');
    await recordPlanChange(db(), { subscriptionId: 'ev-plan', fromCycle: 3, amountMinor: '2000', at });
    await recordPlanChange(db(), { subscriptionId: 'ev-plan', fromCycle: 3, amountMinor: '2000', at });
    const events = await checkedEvents(db(), 'ev-plan');
    expect(events.map((e) => e.type)).toEqual(['subscription.started', 'subscription.plan_changed']);
    expect(events[1]!.data).toEqual({ from_cycle: 3, plan: { amount: '20.00', currency: 'USD', interval: { unit: 'month', count: 1 } }, changed: ['amount'] });
  });

  it('refunds: refund.failed when refused, refund.succeeded when Refunded, nothing for RefundInitiated or a repeat', async () => {
    await subscription('ev-refunds');
    await claimChargeSend(db(), {
      subscriptionId: 'ev-refunds',
      cycle: 0,
      attempt: 1,
      idempotencyKey: 'k',
      amountMinor: 1400n,
      currency: 'USD',
      honourStop: false,
    });
    const chargeId = 'S01-1234567-1234567-C000009';
    const refund = (seq: number) =>
      insertRefund(db(), {
        subscriptionId: 'ev-refunds',
        chargeId,
        seq,
        idempotencyKey: `r-${seq}`,
        amountMinor: 500n,
        currency: 'USD',
        reason: 'damaged',
        at,
        sendLeaseUntil: later(60_000),
      });
    const refused = await refund(1);
    await completeRefund(db(), refused.id, { state: 'failed', refundId: null, reasonCode: 'TransactionAmountExceeded', at });
    const accepted = await refund(2);
    await completeRefund(db(), accepted.id, { state: 'RefundInitiated', refundId: 'S01-1234567-1234567-R000002', reasonCode: null, at });
    const done = { state: 'Refunded', reasonCode: null, resolvedAt: later(5_000), at: later(5_000) };
    await recordRefundStatus(db(), 'S01-1234567-1234567-R000002', done);
    await recordRefundStatus(db(), 'S01-1234567-1234567-R000002', done);
    const events = await checkedEvents(db(), 'ev-refunds');
    expect(events.map((e) => e.type)).toEqual(['subscription.started', 'refund.failed', 'refund.succeeded']);
    expect(events[1]!.data).toMatchObject({
      refund_id: null,
      charge_id: chargeId,
      refund_number: 1,
      amount: '5.00',
      state: 'failed',
      reason_code: 'TransactionAmountExceeded',
    });
    expect(events[2]!).toMatchObject({
      occurred_at: later(5_000).toISOString(),
      data: { refund_id: 'S01-1234567-1234567-R000002', state: 'Refunded', reason: 'damaged' },
    });
  });

  it('subscription.trial_will_end: once per trial within the window, also when two runs overlap', async () => {
    const now = new Date('2026-03-10T00:00:00Z');
    await subscription('ev-trial-soon', { status: 'trialing', trialEndsAt: new Date('2026-03-12T00:00:00Z') });
    await subscription('ev-trial-later', { status: 'trialing', trialEndsAt: new Date('2026-03-20T00:00:00Z') });
    await subscription('ev-trial-over', { status: 'trialing', trialEndsAt: new Date('2026-03-09T00:00:00Z') });
    const before = 3 * 86_400_000;
    await Promise.all([emitTrialWillEnd(db(), now, before), emitTrialWillEnd(db(), now, before)]);
    await emitTrialWillEnd(db(), later(1), before);
    const soon = await checkedEvents(db(), 'ev-trial-soon');
    expect(soon.map((e) => e.type)).toEqual(['subscription.started', 'subscription.trial_will_end']);
    expect(soon[1]).toMatchObject({ occurred_at: now.toISOString(), data: { trial_ends_at: '2026-03-12T00:00:00.000Z', cycle: 0 } });
    expect(await eventTypes(db(), 'ev-trial-later')).toEqual(['subscription.started']);
    expect(await eventTypes(db(), 'ev-trial-over')).toEqual(['subscription.started']);
  });

  it('sequences stay gapless under concurrent appends, with one transaction rolled back among them', async () => {
    await subscription('ev-concurrent');
    const append = (i: number) =>
      db().transaction(async (tx) => {
        const data = { status: 'paused', previous_status: 'active', reason: String(i), cycle: 0, next_billing_at: null };
        await appendEvent(tx, { subscriptionId: 'ev-concurrent', type: 'subscription.paused', occurredAt: at, data });
        if (i === 5) throw new Error('rolled back');
      });
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => append(i)));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const rows = await checkedEvents(db(), 'ev-concurrent');
    expect(rows).toHaveLength(12);
    expect(
      rows
        .map((r) => Number(r.data.reason))
        .filter((i) => !Number.isNaN(i))
        .sort((a, b) => a - b),
    ).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
  });

  it('a cursor never skips an event whose transaction commits after a later one', async () => {
    await subscription('ev-cursor-a');
    await subscription('ev-cursor-b');
    // Other cases of this file write events meanwhile: only these two subscriptions' are looked at.
    const ours = new Set(['ev-cursor-a', 'ev-cursor-b']);
    const reader = async () => {
      const page = await listEventsAfter(db(), { after: cursor, limit: 100_000 });
      return { events: page.events.filter((e) => ours.has(e.subscriptionId) && e.type === 'subscription.resumed'), next: page.next };
    };
    let cursor = (await listEventsAfter(db(), { after: START_OF_EVENTS, limit: 100_000 })).next;
    // Connection 1 appends first (the smaller position) and stays open; connection 2 appends and commits.
    const other = postgres(database.url, { max: 1, onnotice: () => {} });
    let release!: () => void;
    try {
      const held = new Promise<void>((resolve) => (release = resolve));
      let appended!: () => void;
      const first = new Promise<void>((resolve) => (appended = resolve));
      const slow = other.begin(async (tx) => {
        await tx`select pg_current_xact_id()`;
        await tx.unsafe(
          `with bumped as (update subscriptions set last_event_sequence = last_event_sequence + 1 where id = 'ev-cursor-a' returning id, last_event_sequence)
           insert into events (id, type, subscription_id, sequence, occurred_at, data)
           select 'evt_slow', 'subscription.resumed', id, last_event_sequence, now(),
             '{"status":"active","previous_status":"paused","reason":null,"cycle":0,"next_billing_at":null}' from bumped`,
        );
        appended();
        await held;
      });
      await first;
      const data = { status: 'active', previous_status: 'paused', reason: null, cycle: 0, next_billing_at: null };
      await appendEvent(db(), { subscriptionId: 'ev-cursor-b', type: 'subscription.resumed', occurredAt: at, data });
      // The later event is committed, but the earlier transaction is still open: nothing is readable yet.
      const whileOpen = await reader();
      expect(whileOpen.events).toEqual([]);
      cursor = whileOpen.next;
      release();
      await slow;
      // Another test file's transaction anywhere in the cluster may still hold both back a moment.
      await untilCommittedEventsReadable(db());
      const afterCommit = await reader();
      expect(afterCommit.events.map((e) => e.subscriptionId)).toEqual(['ev-cursor-a', 'ev-cursor-b']);
      cursor = afterCommit.next;
      expect((await reader()).events).toEqual([]);
    } finally {
      release();
      await other.end();
    }
  });

  it('a cursor orders transaction ids and positions as numbers: 999 before 1000, 9 before 10 (a fresh dev stack crossed 999 in minutes)', async () => {
    await subscription('ev-digits');
    // Rows as older transactions left them (txid is a plain column): ids around each digit boundary.
    // Sequences from 2: subscription.started is 1.
    // Only ids older than every running transaction are read: this cluster's counter decides which boundaries fit.
    const [{ xmin } = { xmin: '0' }] = await database.sql<{ xmin: string }[]>`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`;
    const ids = [9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000].filter((txid) => txid < Number(xmin) - 1);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    for (const [i, txid] of ids.entries())
      await database.sql`insert into events (id, txid, type, subscription_id, sequence, occurred_at, data)
        values (${`evt_digits_${i}`}, ${String(txid)}::xid8, 'charge.succeeded', 'ev-digits', ${i + 2}, now(), '{}'::jsonb)`;
    await untilCommittedEventsReadable(db());
    const seen: string[] = [];
    let after = START_OF_EVENTS;
    for (let page = 0; page < 10; page++) {
      const { events, next } = await listEventsAfter(db(), { after, limit: 3, subscriptionId: 'ev-digits' });
      seen.push(...events.map((e) => e.id));
      after = next;
      if (events.length === 0) break;
    }
    // After subscription.started, written by this transaction (its txid is far above these).
    expect(seen.filter((id) => id.startsWith('evt_digits_'))).toEqual(ids.map((_, i) => `evt_digits_${i}`));
    expect(seen).toHaveLength(ids.length + 1);
  });

  it('listEvents: filters, pages by cursor, and names every bad input', async () => {
    await subscription('ev-list');
    await status('ev-list', 'paused', 'a');
    await status('ev-list', 'active', null);
    // Another case of this file may hold a transaction open for a moment (the cursor case): until
    // it ends, the newest events are rightly not readable.
    await waitUntil('the three events readable', async () => (await listEvents({ db: db() }, { subscriptionId: 'ev-list' })).data.length === 3);
    const first = await listEvents({ db: db() }, { subscriptionId: 'ev-list', limit: 2 });
    expect(first.data.map((e) => [e.type, e.sequence])).toEqual([
      ['subscription.started', 1],
      ['subscription.paused', 2],
    ]);
    const second = await listEvents({ db: db() }, { subscriptionId: 'ev-list', after: first.next_cursor });
    expect(second.data.map((e) => e.type)).toEqual(['subscription.resumed']);
    expect((await listEvents({ db: db() }, { subscriptionId: 'ev-list', after: second.next_cursor })).next_cursor).toBe(second.next_cursor);
    const typed = await listEvents({ db: db() }, { subscriptionId: 'ev-list', types: ['subscription.resumed', 'subscription.paused'] });
    expect(typed.data.map((e) => e.type)).toEqual(['subscription.paused', 'subscription.resumed']);
    expect(decodeEventCursor(encodeEventCursor({ txid: '12', position: 34n }))).toEqual({ txid: '12', position: 34n });
    await expect(listEvents({ db: db() }, { after: 'nope!', subscriptionId: 'a b', types: ['charge.exploded'], limit: 0 })).rejects.toMatchObject({
      problems: [
        { field: 'after', message: expect.stringContaining('is not a cursor') },
        { field: 'subscription', message: expect.any(String) },
        { field: 'type', message: expect.stringContaining('"charge.exploded"') },
        { field: 'limit', message: 'must be a whole number from 1 to 1000, got 0' },
      ],
    });
  });

  it('listEvents refuses a well-formed cursor it never gave out: beyond every event, a pair no event has, not yet readable, spelled otherwise', async () => {
    await subscription('ev-forged');
    await untilCommittedEventsReadable(db());
    const page = await listEvents({ db: db() }, { subscriptionId: 'ev-forged' });
    expect(page.data.map((e) => e.type)).toEqual(['subscription.started']);
    const issued = decodeEventCursor(page.next_cursor)!;
    const cursorOf = (text: string) => Buffer.from(text).toString('base64url');
    const forged = {
      "the reviewer's: txid far beyond, position 0": cursorOf('999999999.0'),
      'txid beyond the snapshot': cursorOf(`${BigInt(issued.txid) + 1_000_000n}.${issued.position}`),
      'position beyond the sequence': cursorOf(`${issued.txid}.${issued.position + 1_000_000n}`),
      "an event's position with another txid": cursorOf(`${BigInt(issued.txid) - 1n}.${issued.position}`),
      'a leading zero': cursorOf(`0${issued.txid}.${issued.position}`),
      'a position beyond bigint': cursorOf(`${issued.txid}.99999999999999999999`),
      'a txid beyond xid8': cursorOf(`${2n ** 64n}.${issued.position}`),
    };
    for (const [what, after] of Object.entries(forged))
      await expect(listEvents({ db: db() }, { after }), what).rejects.toMatchObject({ problems: [{ field: 'after', message: CURSOR_REFUSED }] });
    // Every other bad field is named with it, in one refusal.
    await expect(listEvents({ db: db() }, { after: forged['position beyond the sequence'], limit: 0 })).rejects.toMatchObject({
      problems: [{ field: 'after' }, { field: 'limit' }],
    });
    // What it gave out still reads: the cursor of an event, and the start of the log.
    expect((await listEvents({ db: db() }, { subscriptionId: 'ev-forged', after: page.next_cursor })).data).toEqual([]);
    expect((await listEvents({ db: db() }, { subscriptionId: 'ev-forged', after: encodeEventCursor(START_OF_EVENTS) })).data).toHaveLength(1);
    // A committed event whose transaction is not older than every running one is not readable yet
    // (as while an older transaction is still open): its cursor was never given out. Made by hand
    // with a transaction id far ahead, so no transaction is held open against the other cases.
    const [row] = await database.sql<{ txid: string; position: string }[]>`
      with bumped as (update subscriptions set last_event_sequence = last_event_sequence + 1 where id = 'ev-forged' returning id, last_event_sequence)
      insert into events (id, txid, type, subscription_id, sequence, occurred_at, data)
      select 'evt_unreadable', ((pg_snapshot_xmax(pg_current_snapshot())::text::bigint + 1000000)::text)::xid8, 'subscription.paused',
        id, last_event_sequence, now(), '{"status":"paused","previous_status":"active","reason":null,"cycle":0,"next_billing_at":null}'::jsonb
      from bumped
      returning txid::text as txid, position::text as position`;
    const unreadable = encodeEventCursor({ txid: row!.txid, position: BigInt(row!.position) });
    await expect(listEvents({ db: db() }, { after: unreadable })).rejects.toMatchObject({ problems: [{ field: 'after', message: CURSOR_REFUSED }] });
  });

  it('listEvents refuses an empty item in its types, never reading it as "every type"', async () => {
    for (const types of [['charge.succeeded', ''], [' '], ['', 'charge.exploded']])
      await expect(listEvents({ db: db() }, { types }), JSON.stringify(types)).rejects.toMatchObject({
        problems: [{ field: 'type', message: EMPTY_EVENT_TYPE_ITEM }],
      });
  });

  // Sequential: it runs once every case above has finished writing. Beside them, it read a
  // subscription's events, then its last sequence after another case had appended one.
  it.sequential('every event written by this file validates against its schema', async () => {
    const [{ count } = { count: 0 }] = await db().execute<{ count: number }>(sql`select count(*)::int as count from events`);
    expect(count).toBeGreaterThan(0);
    // Not ev-digits: its rows are made by hand for cursor order, with no real data.
    const ids = await db().execute<{ id: string }>(sql`select id from subscriptions where id <> 'ev-digits'`);
    for (const { id } of ids) await checkedEvents(db(), id);
  });
});
