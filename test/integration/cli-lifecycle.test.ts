// The `billing` CLI driven as a user would, against the harness: start (first charge captured at
// checkout), show, list, pause, resume, change-plan, refund, stop now and at period end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refundIdempotencyKey } from '../../billing/keys.js';
import { listCharges } from '../../db/queries/charges.js';
import { listRefundsOfCharge } from '../../db/queries/refunds.js';
import { getSubscription, stopRequestOf } from '../../db/queries/subscriptions.js';
import type { EventPage, SubscriptionDetails, SubscriptionPage } from '../../client/index.js';
import type { SubscriptionState } from '../../workflows/types.js';
import { anchorSecondsFromNow, eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { startCliHarness, type CliHarness } from '../support/cli-harness.js';

describe('billing CLI: a subscription from checkout to cancellation', () => {
  let h: BillingHarness;
  let cli: CliHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
    cli = await startCliHarness(h);
  });
  afterAll(async () => {
    await cli?.close();
    await h?.close();
  });

  let firstChargeId: string;

  it('starts a subscription whose first charge was captured at checkout, twice without effect, and shows it', async () => {
    const created = await h.control.createChargePermission({ type: 'Recurring', currency: 'EUR', firstCharge: { amount: '9.99' } });
    firstChargeId = created.firstChargeId!;
    const cp = created.chargePermission.chargePermissionId;
    const args = [
      'start',
      '--id',
      'cli-checkout',
      '--charge-permission',
      cp,
      '--amount',
      '9.99',
      '--currency',
      'EUR',
      '--interval',
      'hour',
      '--zone',
      'Europe/Berlin',
      '--first-charge',
      firstChargeId,
    ];
    const first = await cli.run(args);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Started: subscription cli-checkout — 9\.99 EUR every hour on S\d\d-/);
    expect(first.stdout).toContain(`cycle 0 paid at checkout by ${firstChargeId}`);

    const again = await cli.run(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Already started \(unchanged\): subscription cli-checkout/);

    const details = await eventually(
      () => cli.library.getSubscription('cli-checkout'),
      (d) => d.charges.length === 1 && d.workflow.live?.cycle === 1,
      { what: 'the checkout charge recorded as cycle 0' },
    );
    expect(details.charges[0]).toMatchObject({ cycle: 0, attempt: 0, chargeId: firstChargeId, state: 'Captured', amountMinor: '999', currency: 'EUR' });
    // The checkout charge is never charged again: Amazon Pay saw only that one charge.
    expect((await h.control.charges()).filter((c) => c.chargePermissionId === cp)).toHaveLength(1);

    const shown = await cli.run(['show', 'cli-checkout']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Subscription cli-checkout (sandbox)');
    expect(shown.stdout).toContain('9.99 EUR every hour');
    expect(shown.stdout).toMatch(/next billing\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Europe\/Berlin \(.*UTC\)/);
    expect(shown.stdout).toContain(firstChargeId);
    const json = await cli.json<SubscriptionDetails>(['show', 'cli-checkout']);
    expect(json.workflow.status).toBe('RUNNING');
    expect(json.workflow.live?.nextBillingAt).toBe(details.workflow.live?.nextBillingAt);
  });

  it('refunds the checkout charge in part, refuses an over-refund locally, then refunds the rest', async () => {
    const partial = await cli.run(['refund', firstChargeId, '--amount', '4.00', '--reason', 'partial month']);
    expect(partial.stderr).toBe('');
    expect(partial.code).toBe(0);
    expect(partial.stdout).toMatch(
      /^Refund #1 of 4\.00 EUR on .* \(subscription cli-checkout\): RefundInitiated as S\d\d-\d{7}-\d{7}-R\d+; still refundable 5\.99 EUR\n$/,
    );

    const over = await cli.run(['refund', firstChargeId, '--amount', '6.00']);
    expect(over.code).toBe(2);
    expect(over.stderr).toBe('error: --amount 6.00 EUR exceeds what is refundable: 5.99 EUR (captured 9.99 EUR, refunded 4.00 EUR)\n');
    expect(await listRefundsOfCharge(h.database.db, firstChargeId)).toHaveLength(1);

    const rest = await cli.library.refund({ chargeId: firstChargeId });
    expect(rest).toMatchObject({ remainingMinor: '0', resent: false, refund: { seq: 2, amountMinor: '599', state: 'RefundInitiated' } });
    const rows = await listRefundsOfCharge(h.database.db, firstChargeId);
    expect(rows.map((r) => [r.seq, r.amountMinor, r.idempotencyKey])).toEqual([
      [1, 400n, refundIdempotencyKey({ chargeId: firstChargeId, refundSeq: 1 })],
      [2, 599n, refundIdempotencyKey({ chargeId: firstChargeId, refundSeq: 2 })],
    ]);
    await expect(cli.library.refund({ chargeId: firstChargeId, amountMinor: '1' })).rejects.toThrow(
      /nothing left to refund: 9\.99 EUR of 9\.99 EUR already refunded/,
    );
  });

  it("events list: the subscription's events with filters and a cursor to continue; bad options in one line, exit 2", async () => {
    // Each run is a process: filters and cursors are covered by the library's and the API's tests.
    const typed = await cli.json<EventPage>([
      'events',
      'list',
      '--subscription',
      'cli-checkout',
      '--type',
      'charge.succeeded,refund.succeeded',
      '--limit',
      '1',
    ]);
    expect(typed.data.map((e) => [e.type, e.sequence])).toEqual([['charge.succeeded', 2]]);
    expect(typed.data[0]!.data).toMatchObject({ cycle: 0, charge_id: firstChargeId, amount: '9.99', currency: 'EUR' });
    expect(typed.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);

    const human = await cli.run(['events', 'list', '--subscription', 'cli-checkout']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('subscription.started');
    expect(human.stdout).toContain('9.99 EUR, cycle 0');
    expect(human.stdout).toMatch(/\nNext: billing events list --after [A-Za-z0-9_-]+\n$/);

    const bad = await cli.run(['events', 'list', '--limit', '0', '--type', 'charge.exploded', '--after', 'x!', '--subscription', 'a b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    for (const option of ['--limit', '--type', '--after', '--subscription']) expect(bad.stderr).toContain(option);
    const unknown = await cli.run(['events', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown action "frobnicate"; use list');
  });

  it('pauses, resumes and changes the plan from the next cycle', async () => {
    const { chargePermission } = await h.control.createChargePermission({ type: 'PaymentMethodOnFile', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    // Cycle 1 is due 30 s after cycle 0: time for three CLI runs (a process each) before it on a
    // loaded machine. If they take longer, the change applies from the cycle it names, and that
    // is the one checked.
    await cli.library.startSubscription({
      id: 'cli-plan',
      chargePermissionId: cp,
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'second', count: 30 } },
      anchor: anchorSecondsFromNow(0),
      // A month of 30-second cycles is far above the permission's monthly cap; 50 in all fit it, also at 19.00 USD.
      end: { afterCycles: 50 },
    });
    await eventually(
      () => listCharges(h.database.db, 'cli-plan'),
      (rows) => rows.some((r) => r.state === 'Captured'),
      { what: 'cycle 0 billed' },
    );

    const changed = await cli.run(['change-plan', 'cli-plan', '--amount', '19.00', '--interval', '20 seconds']);
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(0);
    const [, from] = /^Plan of cli-plan from cycle (\d+): 19\.00 USD every 20 seconds; next billing \d{4}-/.exec(changed.stdout) ?? [];
    expect(from, changed.stdout).toBeDefined();
    const fromCycle = Number(from);
    const paused = await cli.json<SubscriptionState>(['pause', 'cli-plan', '--reason', 'buyer asked']);
    expect(paused.paused).toBe(true);
    const resumed = await cli.json<SubscriptionState>(['resume', 'cli-plan']);
    expect(resumed.paused).toBe(false);
    const live = (await cli.library.getSubscription('cli-plan')).workflow.live;
    expect(live).toMatchObject({ amountMinor: '1900', interval: { unit: 'second', count: 20 }, paused: false });

    // Billed: the cycles before the change at the old price, the first changed one at the new price, in both ledgers.
    const rows = await eventually(
      () => listCharges(h.database.db, 'cli-plan'),
      (r) => r.filter((x) => x.state === 'Captured').length === fromCycle + 1,
      { timeoutMs: 60_000, what: `cycle ${fromCycle} billed` },
    );
    const expected = Array.from({ length: fromCycle + 1 }, (_, cycle) => [cycle, cycle < fromCycle ? 1400n : 1900n, 'Captured']);
    expect(rows.map((r) => [r.cycle, r.amountMinor, r.state])).toEqual(expected);
    expect((await h.control.charges()).filter((c) => c.chargePermissionId === cp).map((c) => c.amount)).toEqual(
      expected.map(([, minor]) => (minor === 1400n ? '14.00' : '19.00')),
    );

    const refused = await cli.run(['change-plan', 'cli-plan', '--amount=-1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: --amount must be a positive amount in USD/);
  });

  it('stops at period end: the period already paid runs out and nothing more is billed', async () => {
    const { chargePermission } = await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    const { workflowId } = await cli.library.startSubscription({
      id: 'cli-period-end',
      chargePermissionId: cp,
      plan: { amountMinor: '500', currency: 'USD', interval: { unit: 'second', count: 15 } },
      anchor: anchorSecondsFromNow(0),
      end: { afterCycles: 50 }, // within the permission's monthly cap
    });
    await eventually(
      () => listCharges(h.database.db, 'cli-period-end'),
      (rows) => rows.some((r) => r.cycle === 0 && r.state === 'Captured'),
      { what: 'cycle 0 billed' },
    );
    const stop = await cli.run(['stop', 'cli-period-end', '--at-period-end', '--reason', 'buyer cancelled']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(
      /^cli-period-end will stop at the end of the current period: stops at period end \(buyer cancelled\), after cycle 0 \/ on \S+ \S+ UTC\. .*cancels at period end/,
    );
    // Recorded in PostgreSQL before the workflow was told: when, why, after which cycle, the day it ends (cycle 1's billing date).
    const row = await getSubscription(h.database.db, 'cli-period-end');
    expect(row).toMatchObject({ periodEndStopReason: 'buyer cancelled', periodEndStopAfterCycle: 0 });
    expect(row?.periodEndStopRequestedAt).not.toBeNull();
    const details = await cli.json<SubscriptionDetails>(['show', 'cli-period-end']);
    expect(details.subscription.stopAtPeriodEnd).toMatchObject({ reason: 'buyer cancelled', afterCycle: 0 });
    expect(Date.parse(details.subscription.stopAtPeriodEnd!.endsAt!)).toBeGreaterThan(Date.now() - 15_000);
    // Cycle 1 is not charged: no next billing date, only the day it ends.
    expect(details.subscription.nextBillingAt).toBeNull();
    expect((await cli.run(['show', 'cli-period-end'])).stdout).toMatch(/stop at period end +stops at period end \(buyer cancelled\), after cycle 0 \/ on /);
    // The workflow waits for cycle 1's date only to end then: no next billing date in the text either.
    expect((await cli.run(['show', 'cli-period-end'])).stdout).toMatch(/^ *next billing +—$/m);
    expect(stop.stdout).toMatch(/; cycle \d+; ends \S+ \S+ UTC/);
    expect((await cli.run(['list', '--charge-permission', cp])).stdout).toMatch(
      /cli-period-end +active \(stops at period end \(buyer cancelled\), after cycle 0 \/ on /,
    );
    const events = await cli.json<EventPage>(['events', 'list', '--subscription', 'cli-period-end']);
    expect(events.data.filter((e) => e.type === 'subscription.cancel_scheduled').map((e) => e.data)).toEqual([
      { reason: 'buyer cancelled', after_cycle: 0, ends_at: details.subscription.stopAtPeriodEnd!.endsAt },
    ]);
    await h.temporal.client.workflow.getHandle(workflowId).result();
    expect((await listCharges(h.database.db, 'cli-period-end')).map((r) => r.cycle)).toEqual([0]);
    expect((await h.control.charges()).filter((c) => c.chargePermissionId === cp)).toHaveLength(1);
    expect(await getSubscription(h.database.db, 'cli-period-end')).toMatchObject({ status: 'canceled', statusReason: 'buyer cancelled' });
  });

  it('stops now: the workflow is cancelled, no further charge, and a second stop is refused', async () => {
    const { chargePermission } = await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    // Every 2 s: "no further charge" is seen across cycles that would have been billed.
    const { workflowId } = await cli.library.startSubscription({
      id: 'cli-stop-now',
      chargePermissionId: cp,
      plan: { amountMinor: '700', currency: 'USD', interval: { unit: 'second', count: 2 } },
      anchor: anchorSecondsFromNow(0),
      end: { afterCycles: 50 }, // within the permission's monthly cap
    });
    await eventually(
      () => listCharges(h.database.db, 'cli-stop-now'),
      (rows) => rows.some((r) => r.state === 'Captured'),
      { what: 'cycle 0 billed' },
    );
    const stop = await cli.run(['stop', 'cli-stop-now']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toBe('Stopped cli-stop-now: no further charges.\n');
    const stoppedAt = Date.now();
    const handle = h.temporal.client.workflow.getHandle(workflowId);
    // Cancelled, or — when a charge was waiting its turn as the stop was recorded — completed as
    // canceled by that charge finding the stop (nothing sent); never anything else.
    const ended = await handle.result().then(
      (result) => `completed:${(result as { status: string }).status}`,
      (error: unknown) => ((error as { cause?: { name?: string } }).cause?.name === 'CancelledFailure' ? 'cancelled' : `failed: ${String(error)}`),
    );
    expect(['cancelled', 'completed:canceled']).toContain(ended);
    expect(['CANCELLED', 'COMPLETED']).toContain((await handle.describe()).status.name);
    await eventually(
      () => getSubscription(h.database.db, 'cli-stop-now'),
      (row) => row?.status === 'canceled',
      { what: 'status canceled' },
    );
    // Two more billing dates pass: Amazon Pay sees no Create Charge for the permission after the
    // stop was recorded (one already sent then would be finished, never a new one).
    const stopped = await stopRequestOf(h.database.db, 'cli-stop-now');
    expect(stopped?.at.getTime()).toBeLessThanOrEqual(stoppedAt);
    await eventually(
      async () => Date.now(),
      (now) => now > stoppedAt + 4_500,
      { what: 'two more billing dates' },
    );
    const attempts = (await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    // A request after the stop only for an attempt claimed before it (the same charge, finished).
    const claimedAt = new Map((await listCharges(h.database.db, 'cli-stop-now')).map((r) => [r.idempotencyKey, r.requestedAt.getTime()]));
    expect(attempts.filter((a) => a.at > stopped!.at.getTime() && (claimedAt.get(a.idempotencyKey ?? '') ?? Infinity) > stopped!.at.getTime())).toEqual([]);
    expect((await listCharges(h.database.db, 'cli-stop-now')).map((r) => r.chargeId).sort()).toEqual(attempts.map((a) => a.chargeId).sort());

    const again = await cli.run(['stop', 'cli-stop-now']);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: Cannot stop subscription cli-stop-now: it has already finished (workflow cancelled, status canceled)\n');
  });

  it('lists by status and Charge Permission, one page at a time', async () => {
    const canceled = await cli.json<SubscriptionPage>(['list', '--status', 'canceled']);
    expect(canceled.items.map((s) => s.id)).toEqual(['cli-period-end', 'cli-stop-now']);
    const first = await cli.json<SubscriptionPage>(['list', '--limit', '2']);
    expect(first.items.map((s) => s.id)).toEqual(['cli-checkout', 'cli-period-end']);
    expect(first.nextCursor).not.toBeNull();
    const second = await cli.library.listSubscriptions({ limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((s) => s.id)).toEqual(['cli-plan', 'cli-stop-now']);
    expect(second.nextCursor).toBeNull();
    const checkout = await cli.library.getSubscription('cli-checkout');
    const byPermission = await cli.library.listSubscriptions({ chargePermissionId: checkout.subscription.chargePermissionId });
    expect(byPermission.items.map((s) => s.id)).toEqual(['cli-checkout']);
    const table = await cli.run(['list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^id\s+status\s+plan\s+charge permission\s+cycle\s+next billing$/);
    expect(table.stdout).toContain('9.99 EUR every hour');
  });
  it('replay: the running subscriptions of this deployment replay on this code (the upgrade gate), a query narrows it, a bad one is one line', async () => {
    const all = await cli.run(['replay']);
    expect(all.stderr).toMatch(/^replayed: /);
    const counted = /^(\d+) histories from .*ExecutionStatus="Running".* replayed on this code: (\d+) ok, 0 failed\.$/m.exec(all.stdout);
    expect(counted, all.stdout).not.toBeNull();
    expect(Number(counted![1])).toBeGreaterThanOrEqual(2);
    expect(counted![2]).toBe(counted![1]);
    expect(all.code).toBe(0);
    // A finished one too: the stopped subscription's cancelled history.
    const one = await cli.json<{ replayed: number; failed: unknown[] }>(['replay', '--query', 'SubscriptionId="cli-stop-now"']);
    expect(one).toMatchObject({ replayed: 1, failed: [] });
    const none = await cli.run(['replay', '--query', 'WorkflowId="no-such-subscription"']);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/^No workflow matched \(.*WorkflowId="no-such-subscription"\): nothing replayed\.\n$/);
    const bad = await cli.run(['replay', '--query', 'NoSuchAttribute = "x"']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --query was refused by Temporal: .*NoSuchAttribute.*\n$/);
  });
});
