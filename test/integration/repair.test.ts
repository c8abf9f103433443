// Issue 13 §1: drift detection must also repair. A live subscription whose workflow is not
// running gets a new workflow with `billing repair` that resumes where the ledger says: no cycle
// is charged twice, and an attempt whose outcome is unknown is sent again with its own key.
import { Client, Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeError, exitCodeFor } from '../../client/cli/errors.js';
import { createBillingClient } from '../../client/index.js';
import { getSubscription, listSubscriptionEvents, recordStopRequested } from '../../db/queries/subscriptions.js';
import { cancelSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, type BillingHarness } from '../support/billing-harness.js';
import { useCliHarness, type CliHarness } from '../support/cli-harness.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec, simulatorCharges, type SubscriptionHandle } from '../support/subscriptions.js';

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
    expect(run.stdout).toMatch(/Checked \d+ live subscriptions: 2 restarted, 1 canceled \(stop requested\), 0 not repaired\./);
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

  it('a recorded stop with a charge that may have reached Amazon unanswered is not finished as canceled: repair refuses in one line', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('repair-stopped-unanswered', cp, { seconds: 3, cycles: 3 }));
    await eventually(
      () => ledger(h, 'repair-stopped-unanswered'),
      (rows) => rows.some((r) => r.cycle === 0 && r.state === 'Captured'),
      { what: 'cycle 0 paid' },
    );
    await handle.terminate('worker host lost');
    // The worker died while sending cycle 1: the claim was written, no answer was.
    await h.database.db.execute(
      sql`insert into charges (subscription_id, cycle, attempt, idempotency_key, amount_minor, currency, state, sends_in_flight, possibly_processed)
        values ('repair-stopped-unanswered', 1, 1, 'unanswered-key-1', 1400, 'USD', 'pending', 1, false)
        on conflict (subscription_id, cycle, attempt) do update set state = 'pending', charge_id = null, sends_in_flight = 1`,
    );
    await recordStopRequested(h.database.db, 'repair-stopped-unanswered', 'BuyerRequested', new Date());

    const run = await cli.run(['repair', 'repair-stopped-unanswered']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(
      /cycle 1 attempt 1 \(idempotency key \S+\) may have reached Amazon Pay with no answer recorded, so it is not finished as canceled/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect((await getSubscription(h.database.db, 'repair-stopped-unanswered'))?.status).not.toBe('canceled');
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
