// The claim before every Create Charge (db/queries/charges.ts claimChargeSend) against PostgreSQL:
// after a stop "now", a request is sent again only when an earlier one with its key may have been
// processed — left in flight by a dead worker, answered with anything but a 429, or written by a
// daemon from before migration 0010 (unknown). Otherwise nothing is sent and no row is left.
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { claimChargeSend, completeCharge } from '../../db/queries/charges.js';
import { recordPeriodEndStop, recordStopRequested, recordSubscriptionStatus } from '../../db/queries/subscriptions.js';
import { migrateDatabase } from '../../db/migrate.js';
import type { Database } from '../../db/client.js';
import * as schema from '../../db/schema/index.js';
import { databaseMigratedTo } from '../support/old-migrations.js';

const at = new Date('2026-03-01T09:00:00Z');
const answer = (mayHaveBeenProcessed: boolean) => ({
  state: 'pending',
  outcome: mayHaveBeenProcessed ? 'transient' : 'throttled',
  chargeId: null,
  reasonCode: null,
  amazonRequestId: null,
  completedAt: at,
  mayHaveBeenProcessed,
});

describe('claiming a Create Charge send after a stop', () => {
  let database: Awaited<ReturnType<typeof databaseMigratedTo>>;
  let sql: postgres.Sql;
  let db: Database;
  const attempt = (subscriptionId: string, cycle: number, honourStop = true) => ({
    subscriptionId,
    cycle,
    attempt: 1,
    idempotencyKey: `key-${subscriptionId}-${cycle}`,
    amountMinor: 1400n,
    currency: 'USD',
    honourStop,
  });
  const rows = async (subscriptionId: string) =>
    sql`select cycle, state, sends_in_flight, possibly_processed from charges where subscription_id = ${subscriptionId} order by cycle`;
  const subscription = (id: string) =>
    sql`insert into subscriptions (id, workflow_id, charge_permission_id, environment, status, amount_minor, currency, interval_unit, interval_count, anchor_local, anchor_zone)
      values (${id}, ${`subscription-${id}`}, 'S01-0000001-0000001', 'sandbox', 'active', 1400, 'USD', 'month', 1, '2026-01-31T09:00:00', 'UTC')`;

  beforeAll(async () => {
    database = await databaseMigratedTo(inject('postgresAdminUrl'), '0009_idempotency_key_per_api_key');
    sql = database.sql;
    // A daemon from before 0010 wrote a pending row and may have sent it.
    await subscription('old');
    await sql`insert into charges (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, state) values ('old', 1, 1, 'key-old-1', 1400, 'USD', 'pending')`;
    await migrateDatabase(database.url);
    db = drizzle(sql, { schema });
  });
  afterAll(async () => database?.drop());

  it('a stop before the first send: nothing is claimed, no row is written', async () => {
    await subscription('first');
    await recordStopRequested(db, 'first', 'BuyerRequested', at);
    expect(await claimChargeSend(db, attempt('first', 1))).toEqual({ claimed: false, stopReason: 'BuyerRequested', stopStatus: 'canceled' });
    expect(await rows('first')).toEqual([]);
    // A workflow from before the patch does not honour it.
    expect(await claimChargeSend(db, attempt('first', 2, false))).toEqual({ claimed: true });
  });

  it('a stop recorded for an expired Charge Permission carries its status to the refused claim (the workflow ends it ended, not canceled)', async () => {
    await subscription('expired');
    await recordStopRequested(db, 'expired', 'ChargePermissionExpired', at, 'ended');
    expect(await claimChargeSend(db, attempt('expired', 1))).toEqual({ claimed: false, stopReason: 'ChargePermissionExpired', stopStatus: 'ended' });
  });

  it('a subscription replaced by a started checkout subscription is stopped for the claim, before complete records the stop', async () => {
    await subscription('replaced');
    // Prepared and being completed, its subscription not started yet: the old one still bills.
    await sql`insert into checkouts (subscription_id, terms, payload_json, checkout_session_id, replaces_subscription_id)
      values ('replacement', '{}'::jsonb, '{}', 'a1b2c3d4-0000-0000-0000-000000000000', 'replaced')`;
    expect(await claimChargeSend(db, attempt('replaced', 1))).toEqual({ claimed: true });
    // Its subscription started (complete died before stopping the old one): the old one sends nothing more.
    await subscription('replacement');
    expect(await claimChargeSend(db, attempt('replaced', 2))).toEqual({ claimed: false, stopReason: 'ReplacedBy:replacement', stopStatus: 'canceled' });
    expect((await rows('replaced')).map((r) => r.cycle)).toEqual([1]);
    // A stop recorded meanwhile is the one reported.
    await recordStopRequested(db, 'replaced', 'ReplacedBy:replacement', at);
    expect(await claimChargeSend(db, attempt('replaced', 3))).toEqual({ claimed: false, stopReason: 'ReplacedBy:replacement', stopStatus: 'canceled' });
  });

  it('a stop being written while the claim runs is waited for and honoured: no claim commits after a stop it did not see', async () => {
    await subscription('racing');
    // The stop is written on a connection of its own (stop-now.ts runs in another process).
    const other = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      let settled = false;
      let claim: ReturnType<typeof claimChargeSend> | undefined;
      await other.begin(async (tx) => {
        await tx`update subscriptions set stop_requested_at = ${at.toISOString()}, stop_requested_reason = 'BuyerClosed' where id = 'racing'`;
        claim = claimChargeSend(db, attempt('racing', 1)).finally(() => (settled = true));
        await new Promise((resolve) => setTimeout(resolve, 300));
        // Still waiting for the stop's transaction (before: claimed at once, and sent after the stop).
        expect(settled).toBe(false);
      });
      expect(await claim).toEqual({ claimed: false, stopReason: 'BuyerClosed', stopStatus: 'canceled' });
      expect(await rows('racing')).toEqual([]);
    } finally {
      await other.end();
    }
  });

  it('throttled, then a stop: the retry is not claimed and the unsent row is removed', async () => {
    await subscription('throttled');
    expect(await claimChargeSend(db, attempt('throttled', 1))).toEqual({ claimed: true });
    expect(await rows('throttled')).toEqual([{ cycle: 1, state: 'pending', sends_in_flight: 1, possibly_processed: false }]);
    await completeCharge(db, { subscriptionId: 'throttled', cycle: 1, attempt: 1 }, answer(false));
    await recordStopRequested(db, 'throttled', 'BuyerRequested', at);
    expect(await claimChargeSend(db, attempt('throttled', 1))).toEqual({ claimed: false, stopReason: 'BuyerRequested', stopStatus: 'canceled' });
    expect(await rows('throttled')).toEqual([]);
  });

  it('a request that may have been processed is claimed again after a stop: a 5xx, a worker that died mid-send, a row from before 0010', async () => {
    await subscription('maybe');
    await claimChargeSend(db, attempt('maybe', 1));
    await completeCharge(db, { subscriptionId: 'maybe', cycle: 1, attempt: 1 }, answer(true));
    // A 429 after it does not undo it.
    await claimChargeSend(db, attempt('maybe', 1));
    await completeCharge(db, { subscriptionId: 'maybe', cycle: 1, attempt: 1 }, answer(false));
    await claimChargeSend(db, attempt('maybe', 2)); // never answered: the worker died
    await recordStopRequested(db, 'maybe', 'BuyerRequested', at);
    await recordStopRequested(db, 'old', 'BuyerRequested', at);
    expect(await claimChargeSend(db, attempt('maybe', 1))).toEqual({ claimed: true });
    expect(await claimChargeSend(db, attempt('maybe', 2))).toEqual({ claimed: true });
    expect(await claimChargeSend(db, attempt('old', 1))).toEqual({ claimed: true });
    expect(await rows('maybe')).toEqual([
      { cycle: 1, state: 'pending', sends_in_flight: 1, possibly_processed: true },
      { cycle: 2, state: 'pending', sends_in_flight: 2, possibly_processed: false },
    ]);
  });

  it('a stop at period end: the last billable cycle is still claimed (its retries too), a later cycle is not, and the stop is one event', async () => {
    await subscription('period-end');
    expect(await claimChargeSend(db, attempt('period-end', 1))).toEqual({ claimed: true });
    await completeCharge(db, { subscriptionId: 'period-end', cycle: 1, attempt: 1 }, answer(false));
    const recorded = await recordPeriodEndStop(db, { subscriptionId: 'period-end', reason: 'moving away', at });
    expect(recorded).toMatchObject({ reason: 'moving away', afterCycle: 1 });
    // Asked again: the first stop stays, no second event.
    expect(await recordPeriodEndStop(db, { subscriptionId: 'period-end', reason: 'other', at: new Date(at.getTime() + 1000) })).toEqual(recorded);
    expect(await claimChargeSend(db, { ...attempt('period-end', 1), attempt: 2, idempotencyKey: 'key-period-end-1-2' })).toEqual({ claimed: true });
    expect(await claimChargeSend(db, attempt('period-end', 2))).toEqual({ claimed: false, stopReason: 'moving away', stopStatus: 'canceled' });
    expect((await rows('period-end')).map((r) => r.cycle)).toEqual([1, 1]);
    // A workflow from before CHARGE_NOT_SENT_AFTER_STOP does not honour it, as for a stop "now".
    expect(await claimChargeSend(db, attempt('period-end', 3, false))).toEqual({ claimed: true });
    const events = await sql`select type, data from events where subscription_id = 'period-end' order by sequence`;
    expect(events.filter((e) => e.type === 'subscription.cancel_scheduled').map((e) => e.data)).toEqual([
      { reason: 'moving away', after_cycle: 1, ends_at: null },
    ]);
  });

  it('a stop at period end with nothing billed yet: the first cycle (0) is not claimed', async () => {
    await subscription('period-end-first');
    expect(await recordPeriodEndStop(db, { subscriptionId: 'period-end-first', reason: 'BuyerRequested', at })).toMatchObject({ afterCycle: -1 });
    expect(await claimChargeSend(db, attempt('period-end-first', 0))).toEqual({ claimed: false, stopReason: 'BuyerRequested', stopStatus: 'canceled' });
  });

  it('a stop at period end right after checkout, before cycle 0 (the checkout charge) is in the ledger: cycle 0 counts as billed', async () => {
    await subscription('period-end-checkout');
    await sql`update subscriptions set first_charge_id = 'S01-0000001-0000001-C000001' where id = 'period-end-checkout'`;
    expect(await recordPeriodEndStop(db, { subscriptionId: 'period-end-checkout', reason: 'BuyerRequested', at })).toMatchObject({ afterCycle: 0 });
    expect(await claimChargeSend(db, attempt('period-end-checkout', 1))).toEqual({ claimed: false, stopReason: 'BuyerRequested', stopStatus: 'canceled' });
  });

  it('a claim holding the row while a stop at period end is written: the stop waits and counts its cycle as billed', async () => {
    await subscription('period-end-race');
    const other = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      let recorded: ReturnType<typeof recordPeriodEndStop> | undefined;
      await other.begin(async (tx) => {
        // What claimChargeSend does for cycle 4: the row read `for share`, the pending row written.
        await tx`select 1 from subscriptions where id = 'period-end-race' for share`;
        await tx`insert into charges (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, state, sends_in_flight) values ('period-end-race', 4, 1, 'key-race-4', 1400, 'USD', 'pending', 1)`;
        recorded = recordPeriodEndStop(db, { subscriptionId: 'period-end-race', reason: 'BuyerRequested', at });
        await new Promise((resolve) => setTimeout(resolve, 300));
      });
      expect(await recorded).toMatchObject({ afterCycle: 4 });
      expect(await claimChargeSend(db, attempt('period-end-race', 5))).toMatchObject({ claimed: false });
    } finally {
      await other.end();
    }
  });

  it('a stored attempt with another key or amount is an error, stop or not', async () => {
    await subscription('mismatch');
    await claimChargeSend(db, attempt('mismatch', 1));
    await expect(claimChargeSend(db, { ...attempt('mismatch', 1), amountMinor: 1500n })).rejects.toThrow(/different key or amount/);
    await recordStopRequested(db, 'mismatch', 'BuyerRequested', at);
    await expect(claimChargeSend(db, { ...attempt('mismatch', 1), idempotencyKey: 'other' })).rejects.toThrow(/different key or amount/);
    expect(await rows('mismatch')).toEqual([{ cycle: 1, state: 'pending', sends_in_flight: 1, possibly_processed: false }]);
  });

  it('a later answer without a ChargeId (a 429 or 5xx on a resend, a late execution) never erases the Charge a row records', async () => {
    await subscription('kept');
    const key = { subscriptionId: 'kept', cycle: 1, attempt: 1 };
    await claimChargeSend(db, attempt('kept', 1));
    await claimChargeSend(db, attempt('kept', 1)); // a retry beside it
    await completeCharge(db, key, { ...answer(true), state: 'Captured', outcome: 'ok', chargeId: 'S01-0000001-0000001-C000001' });
    await completeCharge(db, key, answer(false));
    expect(await sql`select state, charge_id, outcome, sends_in_flight, possibly_processed from charges where subscription_id = 'kept'`).toEqual([
      { state: 'Captured', charge_id: 'S01-0000001-0000001-C000001', outcome: 'ok', sends_in_flight: 0, possibly_processed: true },
    ]);
    // An answer for a row that is not there is a bug, not a silent no-op.
    await expect(completeCharge(db, { ...key, cycle: 9 }, answer(false))).rejects.toThrow(/no ledger row/);
  });

  it('a row inserted without the claim (a worker from before migration 0010, mid-deploy) counts as possibly processed', async () => {
    await subscription('deploy');
    await sql`insert into charges (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, state) values ('deploy', 1, 1, 'key-deploy-1', 1400, 'USD', 'pending')`;
    await recordStopRequested(db, 'deploy', 'BuyerRequested', at);
    expect(await claimChargeSend(db, attempt('deploy', 1))).toEqual({ claimed: true });
  });

  it("the first claim stores the worker's Create Charge rate limit, a retry keeps it; rows from before migration 0013 have none", async () => {
    await subscription('rate');
    await claimChargeSend(db, { ...attempt('rate', 1), rateLimitPerSecond: 4 });
    await claimChargeSend(db, { ...attempt('rate', 1), rateLimitPerSecond: 50 }); // a retry on a replica configured otherwise
    await claimChargeSend(db, attempt('rate', 2));
    expect(await sql`select cycle, rate_limit_per_second from charges where subscription_id in ('rate', 'old') order by subscription_id, cycle`).toEqual([
      { cycle: 1, rate_limit_per_second: null },
      { cycle: 1, rate_limit_per_second: 4 },
      { cycle: 2, rate_limit_per_second: null },
    ]);
  });

  it('a late status write never brings a canceled or ended subscription back', async () => {
    await subscription('final');
    const write = (status: string) =>
      recordSubscriptionStatus(db, { subscriptionId: 'final', status, reasonCode: null, cycle: 2, nextBillingAt: at, ended: status === 'canceled', at });
    await write('canceled');
    await write('active');
    const [row] = await sql`select status, current_cycle from subscriptions where id = 'final'`;
    expect(row).toEqual({ status: 'canceled', current_cycle: 2 });
    const events = await sql`select to_status from subscription_events where subscription_id = 'final' order by id`;
    expect(events.map((e) => e.to_status)).toEqual(['canceled']);
  });
});
