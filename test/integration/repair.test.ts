// Issue 13 §1: drift detection must also repair. A live subscription whose workflow is not
// running gets a new workflow with `billing repair` that resumes where the ledger says: no cycle
// is charged twice, and an attempt whose outcome is unknown is sent again with its own key.
import { Client, Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeError, exitCodeFor } from '../../client/cli/errors.js';
import { createBillingClient } from '../../client/index.js';
import { getSubscription, listSubscriptionEvents, recordPeriodEndStop, recordStopRequested } from '../../db/queries/subscriptions.js';
import { cancelSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, type BillingHarness } from '../support/billing-harness.js';
import { useCliHarness, type CliHarness } from '../support/cli-harness.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec, simulatorCharges, type SubscriptionHandle } from '../support/subscriptions.js';
import { eventTypes } from '../support/events.js';

describe('billing repair', () => {
  const stack = useCliHarness();
  let h: BillingHarness;
  let cli: CliHarness;
  beforeAll(() => {
    ({ h, cli } = stack);
  });

  const newRun = (handle: SubscriptionHandle) => h.temporal.client.workflow.getHandle(handle.workflowId);

  it('restarts a terminated subscription at the next unpaid cycle; every cycle is charged once', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('repair-terminated', cp, { seconds: 3, cycles: 3 }));
    await eventually(
      () => ledger(h, 'repair-terminated'),
      (rows) => rows.some((r) => r.cycle === 0 && r.state === 'Captured'),
      { what: 'cycle 0 paid' },
    );
    await handle.terminate('operator mistake');

    const run = await cli.run(['repair', 'repair-terminated']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Repaired repair-terminated \(workflow was terminated\): resumes at cycle 1, attempt 1; terms from the old workflow's history/);

    expect(await newRun(handle).result()).toMatchObject({ status: 'ended', cycle: 3 });
    await expectEachCycleChargedOnce(h, 'repair-terminated', cp, 3);
    expect((await getSubscription(h.database.db, 'repair-terminated'))?.status).toBe('ended');
  });

  it('an attempt whose outcome is unknown is sent again with the same key: Amazon Pay replays it', async () => {
    const cp = await newPermission(h);
    // The first Create Charge is committed but its answer lost; the retries then meet 503s.
    await h.control.setFaults({ responseLostRate: 1, responseLostMode: 'status503' });
    const { handle } = await h.launch(shortSpec('repair-unknown', cp, { cycles: 1 }));
    await eventually(
      () => simulatorCharges(h, cp),
      (c) => c.length === 1,
      { what: 'the committed charge' },
    );
    await h.control.setFaults({ responseLostRate: 0, error503Rate: 1 });
    await handle.terminate('worker host lost');
    const [pending] = await ledger(h, 'repair-unknown');
    expect(pending).toMatchObject({ cycle: 0, attempt: 1, state: 'pending', chargeId: null });

    await h.control.setFaults({ error503Rate: 0 });
    const result = await cli.library.repair('repair-unknown');
    expect(result).toMatchObject({ action: 'restarted', workflowState: 'TERMINATED', resume: { cycle: 0, attempt: 1, attemptReason: 'same-key' } });
    expect(await newRun(handle).result()).toMatchObject({ status: 'ended', cycle: 1 });

    const ours = (await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp);
    expect(new Set(ours.map((a) => a.idempotencyKey))).toEqual(new Set([pending!.idempotencyKey]));
    expect(ours.filter((a) => a.outcome === 'Created')).toHaveLength(1);
    expect(ours.at(-1)?.outcome).toBe('Replayed');
    await expectEachCycleChargedOnce(h, 'repair-unknown', cp, 1);
  });

  it('after a decline the next attempt gets a new key; --all-drifted repairs every stalled subscription and leaves running ones alone', async () => {
    const declined = await newPermission(h);
    await h.control.setScript(declined, { next: ['SoftDeclined'] });
    const a = (await h.launch(shortSpec('repair-bulk-declined', declined, { cycles: 1 }), { dunningRetryDelaysMs: [10 * 60_000] })).handle;
    await eventually(
      () => ledger(h, 'repair-bulk-declined'),
      (rows) => rows.some((r) => r.state === 'Refused'),
      { what: 'the soft decline' },
    );
    await eventually(
      () => a.query(stateQuery),
      (s) => s.status === 'past_due',
      { what: 'past_due' },
    );
    await a.terminate('test');
    const idle = await newPermission(h);
    const b = (await h.launch(shortSpec('repair-bulk-idle', idle, { cycles: 1, firstInSeconds: 600 }))).handle;
    await eventually(
      () => b.query(stateQuery),
      (s) => s.nextBillingAt !== null,
      { what: 'planned' },
    );
    await b.terminate('test');
    // A stop "now" recorded, then the workflow stopped before it was told (the stopper died in between).
    const stoppedCp = await newPermission(h);
    const d = (await h.launch(shortSpec('repair-bulk-stopped', stoppedCp, { cycles: 1, firstInSeconds: 600 }))).handle;
    await eventually(
      () => d.query(stateQuery),
      (s) => s.nextBillingAt !== null,
      { what: 'planned' },
    );
    await recordStopRequested(h.database.db, 'repair-bulk-stopped', 'BuyerRequested', new Date());
    await d.terminate('test');
    const runningCp = await newPermission(h);
    const c = (await h.launch(shortSpec('repair-bulk-running', runningCp, { cycles: 1, firstInSeconds: 600 }))).handle;
    // The bulk repair leaves subscriptions younger than 5 minutes alone (they may be starting).
    await h.database.db.execute(sql`update subscriptions set created_at = now() - interval '1 hour' where id like 'repair-bulk-%'`);

    const run = await cli.run(['repair', '--all-drifted']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Repaired repair-bulk-declined (workflow was terminated): resumes at cycle 0, attempt 2;');
    expect(run.stdout).toContain('Repaired repair-bulk-idle (workflow was terminated): started again from the beginning (nothing was billed yet);');
    expect(run.stdout).toMatch(
      /^Canceled repair-bulk-stopped \(workflow was terminated\): a stop was requested at \S+ \(BuyerRequested\), so it was not restarted/m,
    );
    expect(run.stdout).not.toContain('repair-bulk-running');
    expect(run.stdout).toMatch(
      /Checked \d+ live subscriptions and 0 workflows running without a row: 2 restarted, 1 canceled, 0 ended, 0 stops re-sent, 0 restored from Temporal, 0 ledger rows restored, 0 plan changes restored, 0 not repaired\./,
    );
    expect((await newRun(d).describe()).status.name).toBe('TERMINATED');
    expect(await getSubscription(h.database.db, 'repair-bulk-stopped')).toMatchObject({ status: 'canceled', statusReason: 'BuyerRequested' });
    expect(run.stderr).toMatch(/checked: \d+\/\d+/);

    expect(await newRun(a).result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await ledger(h, 'repair-bulk-declined')).map((r) => [r.attempt, r.state])).toEqual([
      [1, 'Refused'],
      [2, 'Captured'],
    ]);
    expect((await newRun(c).describe()).status.name).toBe('RUNNING');
    expect((await cli.run(['repair', 'repair-bulk-running'])).stdout).toBe('repair-bulk-running: its workflow is running; nothing to repair\n');
    await newRun(b).terminate('test done');
    await c.terminate('test done');
  });

  it('a recorded stop is not restarted: show and list say so, repair finishes it as canceled with the reason', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('repair-stopped', cp, { seconds: 3, cycles: 3 }));
    await eventually(
      () => ledger(h, 'repair-stopped'),
      (rows) => rows.some((r) => r.cycle === 0 && r.state === 'Captured'),
      { what: 'cycle 0 paid' },
    );
    // The stop was written (stop-now.ts), then the workflow stopped before the signal reached it.
    await recordStopRequested(h.database.db, 'repair-stopped', 'Operator: fraud', new Date());
    await handle.terminate('worker host lost');

    const show = await cli.run(['show', 'repair-stopped']);
    expect(show.stdout).toMatch(/stop requested +at [^(\n]+ \(Operator: fraud\)/);
    expect((await cli.run(['list', '--charge-permission', cp])).stdout).toMatch(/repair-stopped +active \(stop requested\)/);
    expect((await cli.json<{ subscription: { stopRequested: { reason: string } } }>(['show', 'repair-stopped'])).subscription.stopRequested).toMatchObject({
      reason: 'Operator: fraud',
    });

    const run = await cli.run(['repair', 'repair-stopped']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Canceled repair-stopped \(workflow was terminated\): a stop was requested at \S+ \(Operator: fraud\), so it was not restarted; status canceled \(Operator: fraud\)\n$/,
    );
    expect((await newRun(handle).describe()).status.name).toBe('TERMINATED');
    const row = await getSubscription(h.database.db, 'repair-stopped');
    expect(row).toMatchObject({ status: 'canceled', statusReason: 'Operator: fraud', nextBillingAt: null });
    expect(row?.endedAt).not.toBeNull();
    expect((await listSubscriptionEvents(h.database.db, 'repair-stopped')).at(-1)).toMatchObject({ toStatus: 'canceled', reasonCode: 'Operator: fraud' });
    expect(await simulatorCharges(h, cp)).toHaveLength(1);
    // Ended now: a second repair is refused.
    expect((await cli.run(['repair', 'repair-stopped'])).code).toBe(1);
  });

  /** A subscription on a `seconds` interval whose cycle 0 was paid. */
  async function paidCycle0(id: string, seconds: number): Promise<{ cp: string; handle: SubscriptionHandle }> {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec(id, cp, { seconds, cycles: 5 }));
    await eventually(
      () => ledger(h, id),
      (rows) => rows.some((r) => r.cycle === 0 && r.state === 'Captured'),
      { what: 'cycle 0 paid' },
    );
    return { cp, handle };
  }

  /** The same, then its workflow terminated. */
  async function paidThenTerminated(id: string, seconds: number): Promise<{ cp: string; handle: SubscriptionHandle }> {
    const paid = await paidCycle0(id, seconds);
    await paid.handle.terminate('worker host lost');
    return paid;
  }

  it('a stop at period end on a terminated workflow is accepted and recorded; once the period has ended, repair cancels it with the reason, billing nothing', async () => {
    const { cp, handle } = await paidThenTerminated('repair-period-end', 4);
    const stop = await cli.run(['stop', 'repair-period-end', '--at-period-end', '--reason', 'moving away']);
    expect(stop.stderr).toBe('');
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(
      /^repair-period-end will stop at the end of the current period: stops at period end \(moving away\), after cycle 0 \/ on .*Its workflow is not running \(terminated\), so billing is not running: run billing repair repair-period-end/,
    );
    const row = await getSubscription(h.database.db, 'repair-period-end');
    expect(row).toMatchObject({ status: 'active', periodEndStopReason: 'moving away', periodEndStopAfterCycle: 0 });
    expect((await cli.run(['show', 'repair-period-end'])).stdout).toMatch(/stop at period end +stops at period end \(moving away\), after cycle 0/);

    // Cycle 1 comes due: the period paid by cycle 0 has ended.
    const endsAt = row!.periodEndStopEndsAt!.getTime();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, endsAt - Date.now()) + 500));
    const run = await cli.run(['repair', 'repair-period-end']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'Canceled repair-period-end (workflow was terminated): it was asked to stop at period end and that period has ended (nothing was billed), so it was not restarted; status canceled (moving away)\n',
    );
    expect((await newRun(handle).describe()).status.name).toBe('TERMINATED');
    const after = await getSubscription(h.database.db, 'repair-period-end');
    expect(after).toMatchObject({ status: 'canceled', statusReason: 'moving away', nextBillingAt: null });
    expect(after?.endedAt).not.toBeNull();
    expect(await simulatorCharges(h, cp)).toHaveLength(1);
    expect(await eventTypes(h.database.db, 'repair-period-end')).toContain('subscription.cancel_scheduled');
  });

  it('a stop at period end on a terminated workflow before the period ends: repair restarts it carrying the stop, and it ends canceled then without billing', async () => {
    const { cp, handle } = await paidThenTerminated('repair-period-end-early', 10);
    expect(await cli.library.stopSubscription('repair-period-end-early', { atPeriodEnd: true, reason: 'moving away' })).toMatchObject({
      mode: 'period_end',
      state: null,
      periodEnd: { reason: 'moving away', afterCycle: 0, workflowState: 'TERMINATED' },
    });
    expect(await cli.library.repair('repair-period-end-early')).toMatchObject({
      action: 'restarted',
      resume: { cycle: 1, attempt: 1 },
      cancelAtPeriodEnd: { reason: 'moving away' },
    });
    expect((await newRun(handle).query(stateQuery)).cancelAtPeriodEnd).toBe(true);
    expect(await newRun(handle).result()).toMatchObject({ status: 'canceled', reason: 'moving away', cycle: 1 });
    expect(await simulatorCharges(h, cp)).toHaveLength(1);
    expect((await ledger(h, 'repair-period-end-early')).map((r) => r.cycle)).toEqual([0]);
  });

  it('a stop at period end recorded but never signalled: the charge of the next cycle is not sent and the workflow ends canceled with the reason', async () => {
    const { cp, handle } = await paidCycle0('period-end-unsignalled', 4);
    // The stopper wrote the stop (stop-at-period-end.ts) and died before the signal.
    await recordPeriodEndStop(h.database.db, { subscriptionId: 'period-end-unsignalled', reason: 'moving away', at: new Date() });
    expect(await handle.result()).toMatchObject({ status: 'canceled', reason: 'moving away', cycle: 1 });
    expect(await simulatorCharges(h, cp)).toHaveLength(1);
    expect((await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp)).toHaveLength(1);
    expect(await getSubscription(h.database.db, 'period-end-unsignalled')).toMatchObject({ status: 'canceled', statusReason: 'moving away' });
  });

  it('a stop at period end the running workflow never received is sent again by repair (once)', async () => {
    const { cp, handle } = await paidCycle0('period-end-resent', 6);
    await recordPeriodEndStop(h.database.db, { subscriptionId: 'period-end-resent', reason: 'moving away', at: new Date() });
    expect(await cli.library.repair('period-end-resent')).toMatchObject({ action: 'stop-resent', cancelAtPeriodEnd: { reason: 'moving away' } });
    expect((await handle.query(stateQuery)).cancelAtPeriodEnd).toBe(true);
    expect(await cli.library.repair('period-end-resent')).toMatchObject({ action: 'running' });
    expect(await handle.result()).toMatchObject({ status: 'canceled', reason: 'moving away', cycle: 1 });
    expect(await simulatorCharges(h, cp)).toHaveLength(1);
  });

  /** A subscription whose worker died while sending cycle 1 (the claim written, no answer) after cycle 0 was paid; its workflow terminated. */
  async function diedSendingCycle1(id: string, idempotencyKey: string, merchantReferenceId?: string): Promise<{ cp: string }> {
    const cp = await newPermission(h);
    const spec = shortSpec(id, cp, { seconds: 3, cycles: 3 });
    const { handle } = await h.launch(merchantReferenceId ? { ...spec, merchantMetadata: { merchantReferenceId } } : spec);
    await eventually(
      () => ledger(h, id),
      (rows) => rows.some((r) => r.cycle === 0 && r.state === 'Captured'),
      { what: 'cycle 0 paid' },
    );
    await handle.terminate('worker host lost');
    await h.database.db.execute(
      sql`insert into charges (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, state, sends_in_flight, possibly_processed)
        values (${id}, 1, 1, ${idempotencyKey}, 1400, 'USD', 'pending', 1, false)
        on conflict (subscription_id, cycle, attempt) do update set state = 'pending', charge_id = null, sends_in_flight = 1`,
    );
    return { cp };
  }

  it('a recorded stop with a charge that may have reached Amazon unanswered is not finished as canceled: repair refuses in one line', async () => {
    const { cp } = await diedSendingCycle1('repair-stopped-unanswered', 'unanswered-key-1');
    await recordStopRequested(h.database.db, 'repair-stopped-unanswered', 'BuyerRequested', new Date());

    const run = await cli.run(['repair', 'repair-stopped-unanswered']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      /cycle 1 attempt 1 \(idempotency key \S+\) may have reached Amazon Pay with no answer recorded, so it is not finished as canceled/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(
      /look the charge up in Amazon Pay \(merchant reference repair-stopped-unanswered:1\), then run billing repair repair-stopped-unanswered --unanswered-charge <ChargeId>, or --unanswered-charge none if Amazon Pay has no such charge\n$/,
    );
    expect((await getSubscription(h.database.db, 'repair-stopped-unanswered'))?.status).not.toBe('canceled');

    // The operator's answer: anything but a ChargeId or none, and a Charge that is not this attempt's, are refused; nothing is written.
    const bad = await cli.run(['repair', 'repair-stopped-unanswered', '--unanswered-charge', 'C-1']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/^error: --unanswered-charge must be the ChargeId found in Amazon Pay .*got "C-1"\n$/)]);
    const other = await h.amazonPay.createCharge(
      {
        chargePermissionId: cp,
        chargeAmount: { amount: '9.00', currencyCode: 'USD' },
        captureNow: true,
        merchantMetadata: { merchantReferenceId: 'elsewhere:7' },
      },
      { idempotencyKey: 'operator-test-other' },
    );
    const otherId = other.kind === 'ok' ? other.body.chargeId : '';
    const wrong = await cli.run(['repair', 'repair-stopped-unanswered', '--unanswered-charge', otherId]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /is not cycle 1 attempt 1 of repair-stopped-unanswered: its amount is 9\.00 USD, not the attempt's 14\.00 USD; its merchant reference is elsewhere:7/,
    );
    // A Charge of the right amount with no merchant reference was not made by the daemon (every Create Charge carries one).
    const bare = await h.amazonPay.createCharge(
      { chargePermissionId: cp, chargeAmount: { amount: '14.00', currencyCode: 'USD' }, captureNow: true },
      { idempotencyKey: 'operator-test-bare' },
    );
    const bareRun = await cli.run(['repair', 'repair-stopped-unanswered', '--unanswered-charge', bare.kind === 'ok' ? bare.body.chargeId : '']);
    expect([bareRun.code, bareRun.stderr]).toEqual([2, expect.stringMatching(/its merchant reference is none, not repair-stopped-unanswered:1\n$/)]);
    expect((await ledger(h, 'repair-stopped-unanswered')).find((r) => r.cycle === 1)).toMatchObject({ state: 'pending', chargeId: null });

    // The charge Amazon Pay did create for the attempt: recorded with its event, then the subscription is finished as canceled.
    const made = await h.amazonPay.createCharge(
      {
        chargePermissionId: cp,
        chargeAmount: { amount: '14.00', currencyCode: 'USD' },
        captureNow: true,
        merchantMetadata: { merchantReferenceId: 'repair-stopped-unanswered:1' },
      },
      { idempotencyKey: 'unanswered-key-1' },
    );
    const madeId = made.kind === 'ok' ? made.body.chargeId : '';
    const fixed = await cli.run(['repair', 'repair-stopped-unanswered', '--unanswered-charge', madeId]);
    expect(fixed.stderr).toBe('');
    expect(fixed.stdout).toMatch(/^Canceled repair-stopped-unanswered \(workflow was terminated\): a stop was requested at \S+ \(BuyerRequested\)/);
    expect((await ledger(h, 'repair-stopped-unanswered')).find((r) => r.cycle === 1)).toMatchObject({ state: 'Captured', chargeId: madeId });
    expect(await getSubscription(h.database.db, 'repair-stopped-unanswered')).toMatchObject({ status: 'canceled', statusReason: 'BuyerRequested' });
    const types = await eventTypes(h.database.db, 'repair-stopped-unanswered');
    expect(types.slice(-2)).toEqual(['charge.succeeded', 'subscription.canceled']);
  });

  it('an unanswered attempt Amazon Pay never received (the operator found none) is recorded as failed, and the stopped subscription finished', async () => {
    // Its own merchant reference is what every Create Charge carried: the refusal names that one to look for.
    const { cp } = await diedSendingCycle1('repair-unanswered-none', 'unanswered-key-none', 'order-42');
    // Not asked to stop: the option does not apply (repair resends the attempt with its own key).
    await expect(cli.library.repair('repair-unanswered-none', { unansweredCharge: 'none' })).rejects.toThrow(/was not asked to stop/);
    await recordStopRequested(h.database.db, 'repair-unanswered-none', 'BuyerRequested', new Date());
    await expect(cli.library.repair('repair-unanswered-none')).rejects.toThrow(/look the charge up in Amazon Pay \(merchant reference order-42\)/);
    const charged = (await simulatorCharges(h, cp)).length;
    expect(await cli.library.repair('repair-unanswered-none', { unansweredCharge: 'none' })).toMatchObject({ action: 'canceled' });
    expect((await ledger(h, 'repair-unanswered-none')).find((r) => r.cycle === 1)).toMatchObject({
      state: 'failed',
      reasonCode: 'NotReceivedByAmazonPay',
      chargeId: null,
    });
    expect(await simulatorCharges(h, cp)).toHaveLength(charged);
    // Finished: nothing waits for an answer any more.
    await expect(cli.library.repair('repair-unanswered-none', { unansweredCharge: 'none' })).rejects.toThrow(/has ended/);
  });

  it('a history Temporal has but cannot send aborts the repair in one line; nothing is restarted and a pending cancel is not lost', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('repair-history-error', cp, { seconds: 3, cycles: 3 }));
    await eventually(
      () => ledger(h, 'repair-history-error'),
      (rows) => rows.some((r) => r.cycle === 0 && r.state === 'Captured'),
      { what: 'cycle 0 paid' },
    );
    await handle.signal(cancelSignal, { mode: 'period_end', reason: 'BuyerRequested' });
    // A real gRPC failure of the history read only: the termination reason makes the history
    // larger than this client accepts (RESOURCE_EXHAUSTED), while describing the workflow still works.
    await handle.terminate(`worker host lost ${'x'.repeat(200_000)}`);
    const connection = await Connection.connect({
      address: h.temporal.address,
      channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 },
      interceptors: [],
    });
    try {
      const small = createBillingClient({ ...cli.deps, temporal: async () => new Client({ connection, namespace: h.temporal.namespace }) });
      const error = await small.repair('repair-history-error').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(exitCodeFor(error)).toBe(1);
      expect(describeError(error)).toMatch(
        /^could not read the history of workflow subscription-repair-history-error from Temporal \(.+\); nothing was restarted, try again$/,
      );
      expect((await newRun(handle).describe()).status.name).toBe('TERMINATED');
      expect((await listSubscriptionEvents(h.database.db, 'repair-history-error')).map((e) => e.reasonCode)).not.toContain('workflow_restarted');
    } finally {
      await connection.close();
    }
    // With the history readable, the repair keeps the cancel at period end.
    expect(await cli.library.repair('repair-history-error')).toMatchObject({ action: 'restarted', cancelAtPeriodEnd: { reason: 'BuyerRequested' } });
    await newRun(handle).terminate('test done');
  });

  // Issue 13: a stop of a subscription whose workflow is gone is recorded and finishes it; a run
  // that ended by itself is finished as it ended; a recorded stop the workflow never got is re-sent.
  describe.concurrent('stops and ends without a running workflow', () => {
    /** Cycle 0 paid, then the workflow terminated: live in PostgreSQL, nothing running in Temporal. */
    const terminatedAfterFirstCharge = async (id: string): Promise<{ cp: string; handle: SubscriptionHandle }> => {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec(id, cp, { seconds: 2, cycles: 20 }));
      await eventually(
        () => getSubscription(h.database.db, id),
        (row) => row?.currentCycle === 1 && row.nextBillingAt !== null,
        { what: 'cycle 0 paid and cycle 1 planned' },
      );
      await handle.terminate('worker host lost');
      return { cp, handle };
    };
    /** A running workflow whose first cycle is 10 minutes away, once it wrote its next billing date. */
    const plannedAndIdle = async (id: string): Promise<SubscriptionHandle> => {
      const { handle } = await h.launch(shortSpec(id, await newPermission(h), { firstInSeconds: 600, cycles: 1 }));
      await eventually(
        () => getSubscription(h.database.db, id),
        (row) => row?.nextBillingAt != null,
        { what: 'planned' },
      );
      return handle;
    };
    /** A run that completed (ended after its last cycle) whose final status write never landed. */
    const completedWithStaleStatus = async (id: string): Promise<SubscriptionHandle> => {
      const { handle } = await h.launch(shortSpec(id, await newPermission(h), { cycles: 1 }));
      expect(await handle.result()).toMatchObject({ status: 'ended', reason: 'TermCompleted' });
      await h.database.db.execute(sql`update subscriptions set status = 'active', status_reason = null, ended_at = null where id = ${id}`);
      return handle;
    };

    it('billing stop of a terminated workflow records the stop and finishes it as canceled: repair does not restart it, nothing is charged after', async () => {
      const { cp, handle } = await terminatedAfterFirstCharge('stop-terminated');
      await expect(cli.library.pause('stop-terminated')).rejects.toThrow(
        /^Cannot pause subscription stop-terminated: its workflow is not running \(workflow terminated, status \w+\); run `billing repair stop-terminated` first$/,
      );
      const stop = await cli.run(['stop', 'stop-terminated', '--reason', 'buyer asked by phone']);
      expect(stop.stderr).toBe('');
      expect(stop.code).toBe(0);
      expect(stop.stdout).toBe(
        'Stopped stop-terminated: no further charges. Its workflow was terminated, so the stop was recorded and the subscription finished from the database: status canceled (buyer asked by phone).\n',
      );
      const stoppedAt = Date.now();
      const row = await getSubscription(h.database.db, 'stop-terminated');
      expect(row).toMatchObject({ status: 'canceled', statusReason: 'buyer asked by phone', stopRequestedReason: 'buyer asked by phone', nextBillingAt: null });
      expect(row?.endedAt).not.toBeNull();
      expect((await listSubscriptionEvents(h.database.db, 'stop-terminated')).at(-1)).toMatchObject({
        toStatus: 'canceled',
        reasonCode: 'buyer asked by phone',
        detail: { stop: 'stop_requested', workflowState: 'TERMINATED' },
      });
      const charged = (await simulatorCharges(h, cp)).length;
      const repair = await cli.run(['repair', 'stop-terminated']);
      expect(repair.code).toBe(1);
      expect(repair.stderr).toBe('error: Subscription stop-terminated has ended (canceled); there is nothing to repair\n');
      await expect(cli.library.stopSubscription('stop-terminated')).rejects.toThrow(
        /^Cannot stop subscription stop-terminated: it has already finished \(workflow terminated, status canceled\)$/,
      );
      // Two more billing dates pass: nothing restarted, nothing charged.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, stoppedAt + 4_500 - Date.now())));
      expect((await newRun(handle).describe()).status.name).toBe('TERMINATED');
      expect(await simulatorCharges(h, cp)).toHaveLength(charged);
    });

    it('a stop of a workflow gone while a charge may have reached Amazon Pay unanswered is recorded, not finished: repair does not restart it', async () => {
      const { handle } = await terminatedAfterFirstCharge('stop-terminated-unanswered');
      await h.database.db.execute(
        sql`insert into charges (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, state, sends_in_flight, possibly_processed)
          values ('stop-terminated-unanswered', 1, 1, 'unanswered-key-2', 1400, 'USD', 'pending', 1, false)`,
      );
      const stop = await cli.run(['stop', 'stop-terminated-unanswered']);
      expect(stop.code).toBe(0);
      expect(stop.stdout).toMatch(
        /^Stopped stop-terminated-unanswered: no further charges\. Its workflow was terminated, so the stop was recorded \(billing repair will not restart it\), but it is not finished yet: .*cycle 1 attempt 1 \(idempotency key unanswered-key-2\) may have reached Amazon Pay/,
      );
      expect(await getSubscription(h.database.db, 'stop-terminated-unanswered')).toMatchObject({
        status: 'active',
        stopRequestedReason: 'stopped by an operator',
      });
      await expect(cli.library.repair('stop-terminated-unanswered')).rejects.toThrow(
        /so it is not finished as canceled; look the charge up in Amazon Pay \(merchant reference stop-terminated-unanswered:1\), then run billing repair stop-terminated-unanswered --unanswered-charge <ChargeId>, or --unanswered-charge none if Amazon Pay has no such charge$/,
      );
      expect((await newRun(handle).describe()).status.name).toBe('TERMINATED');
    });

    it('a completed run whose status write was lost is finished by its result, not restarted and not labelled canceled', async () => {
      await completedWithStaleStatus('repair-completed-stale');
      const run = await cli.run(['repair', 'repair-completed-stale']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(
        'Ended repair-completed-stale (workflow was completed): its run completed as ended, so it was not restarted; status ended (TermCompleted)\n',
      );
      expect(await getSubscription(h.database.db, 'repair-completed-stale')).toMatchObject({ status: 'ended', statusReason: 'TermCompleted' });
      // With a stop recorded too, the run's own end wins: it ended, it was not canceled.
      await completedWithStaleStatus('repair-completed-stopped');
      await recordStopRequested(h.database.db, 'repair-completed-stopped', 'BuyerRequested', new Date());
      expect(await cli.library.repair('repair-completed-stopped')).toMatchObject({
        action: 'ended',
        workflowState: 'COMPLETED',
        finished: { reason: 'TermCompleted', from: 'run_result' },
        stopRequested: { reason: 'BuyerRequested' },
      });
      expect(await getSubscription(h.database.db, 'repair-completed-stopped')).toMatchObject({ status: 'ended', statusReason: 'TermCompleted' });
      // And a stop sent to it says how it ended.
      await completedWithStaleStatus('stop-completed-stale');
      const stop = await cli.run(['stop', 'stop-completed-stale']);
      expect(stop.stdout).toBe(
        'Stopped stop-completed-stale: no further charges. Its workflow was completed, so the stop was recorded and the subscription finished from the database: status ended (TermCompleted).\n',
      );
    });

    it('a cancelled run whose status write was lost is finished as canceled, not refused as stale', async () => {
      const handle = await plannedAndIdle('repair-cancelled-stale');
      await handle.cancel();
      await eventually(
        async () => (await handle.describe()).status.name,
        (state) => state === 'CANCELLED',
        { what: 'cancelled' },
      );
      await h.database.db.execute(sql`update subscriptions set status = 'active', status_reason = null, ended_at = null where id = 'repair-cancelled-stale'`);
      const run = await cli.run(['repair', 'repair-cancelled-stale']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(
        'Canceled repair-cancelled-stale (workflow was cancelled): it was cancelled, so it was not restarted; status canceled (WorkflowCancelled)\n',
      );
      expect(await getSubscription(h.database.db, 'repair-cancelled-stale')).toMatchObject({ status: 'canceled', statusReason: 'WorkflowCancelled' });
    });

    it('a recorded stop the running workflow never received is sent again by repair', async () => {
      const handle = await plannedAndIdle('repair-stop-lost');
      // The stopper wrote the row and died before it signalled.
      await recordStopRequested(h.database.db, 'repair-stop-lost', 'BuyerRequested', new Date());
      const run = await cli.run(['repair', 'repair-stop-lost']);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(
        /^Stop re-sent to repair-stop-lost: a stop was requested at \S+ \(BuyerRequested\) but its running workflow never received it\n$/,
      );
      await eventually(
        () => getSubscription(h.database.db, 'repair-stop-lost'),
        (row) => row?.status === 'canceled',
        { what: 'canceled' },
      );
      expect(await getSubscription(h.database.db, 'repair-stop-lost')).toMatchObject({ statusReason: 'BuyerRequested' });
      await eventually(
        async () => (await handle.describe()).status.name,
        (state) => state === 'CANCELLED' || state === 'COMPLETED',
        { what: 'the workflow closed' },
      );
    });

    it('a running workflow that already has its stop is not sent it twice', async () => {
      const cp = await newPermission(h);
      // A charge that stays pending keeps the stopped workflow running (it finishes the charge first).
      await h.control.setScript(cp, { next: ['AuthorizationInitiated:Captured'] });
      const { handle } = await h.launch(shortSpec('repair-stop-pending', cp, { cycles: 1 }), {
        usePendingAuthorization: true,
        pendingPollInitialMs: 10 * 60_000,
      });
      await eventually(
        () => ledger(h, 'repair-stop-pending'),
        (rows) => rows.some((r) => r.state === 'AuthorizationInitiated'),
        { what: 'a pending authorization' },
      );
      await cli.library.stopSubscription('repair-stop-pending', { reason: 'BuyerRequested' });
      // Temporal writes a signal into history once the workflow task in flight (if any) completes.
      await eventually(
        async () => (await newRun(handle).fetchHistory()).events ?? [],
        (events) => events.some((e) => e.workflowExecutionCancelRequestedEventAttributes),
        { what: 'the stop in the history' },
      );
      expect((await newRun(handle).describe()).status.name).toBe('RUNNING');
      expect(await cli.library.repair('repair-stop-pending')).toMatchObject({ action: 'running' });
      await newRun(handle).terminate('test done');
    });
  });

  it('refuses what must not restart, in one line: an ended subscription, a bad call', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('repair-ended', cp, { cycles: 1 }));
    await handle.result();
    const ended = await cli.run(['repair', 'repair-ended']);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toBe('error: Subscription repair-ended has ended (ended); there is nothing to repair\n');
    const both = await cli.run(['repair', 'x', '--all-drifted']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('error: billing repair: give a subscription id or --all-drifted (not both)\n');
    const missing = await cli.run(['repair', 'no-such-sub']);
    expect(missing.code).toBe(3);
  });
});
