// docs/deploy.md "Backup and restore": what happens to subscriptions when the daemon's PostgreSQL
// database and Temporal's persistence are restored from a backup — both to the same point,
// Temporal alone to an older point (or lost), the database alone to an older point. Real parts:
// a Temporal dev server on a SQLite file (stopped, copied, put back), the daemon's database copied
// with CREATE DATABASE … TEMPLATE, the product's workers, and the Amazon Pay simulator, which is
// never restored: like Amazon Pay, it remembers every charge and idempotency key.
// It runs its own dev server under BILLING_TEST_TEMPORAL=cluster too: the suite's server cannot be stopped.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../config/logger.js';
import { createHousekeepingJobs, type HousekeepingDeps } from '../../daemon/housekeeping/jobs.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { stateQuery } from '../../workflows/messages.js';
import { billingClientOf, eventually } from '../support/billing-harness.js';
import { captureLogger } from '../support/log-capture.js';
import { startRestorableStack, type RestorableStack } from '../support/restorable-stack.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec, statusHistory, type SubscriptionHandle } from '../support/subscriptions.js';

describe('restore from a backup', () => {
  let stack: RestorableStack;
  beforeAll(async () => {
    stack = await startRestorableStack();
  });
  afterAll(async () => stack?.close());

  /** The simulator's Create Charge answers for one Charge Permission, in order: [cycle key, outcome, ChargeId]. */
  async function answers(cp: string): Promise<{ key: string | null; outcome: string; chargeId: string | null }[]> {
    return (await stack.h.control.attempts()).attempts
      .filter((a) => a.chargePermissionId === cp)
      .map((a) => ({ key: a.idempotencyKey, outcome: a.outcome, chargeId: a.chargeId }));
  }

  /** Waits until the workflow has paid `cycle` and sleeps until the next one. */
  async function paidAndSleeping(handle: SubscriptionHandle, id: string, cycle: number): Promise<void> {
    await eventually(
      () => ledger(stack.h, id),
      (rows) => rows.some((r) => r.cycle === cycle && r.state === 'Captured'),
      { what: `${id}: cycle ${cycle} paid` },
    );
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle === cycle + 1 && s.nextBillingAt !== null,
      { what: `${id}: asleep until cycle ${cycle + 1}` },
    );
  }

  it('both restored to the same point: the cycle charged after the backup is sent again with its key, Amazon Pay replays it, one charge', async () => {
    const { h } = stack;
    const cp = await newPermission(h);
    const id = 'restore-same-point';
    const { handle } = await h.launch(shortSpec(id, cp, { seconds: 6, firstInSeconds: 1, cycles: 3 }));
    await paidAndSleeping(handle, id, 0);

    await stack.stop();
    await stack.backup('same-point');
    await stack.start();

    // Cycle 1 comes due after the backup point: charged, recorded in the ledger with its ChargeId.
    await paidAndSleeping(handle, id, 1);
    const [afterBackup] = (await ledger(h, id)).filter((r) => r.cycle === 1);
    expect(await answers(cp)).toEqual([
      expect.objectContaining({ outcome: 'Created' }),
      { key: afterBackup!.idempotencyKey, outcome: 'Created', chargeId: afterBackup!.chargeId },
    ]);

    await stack.stop();
    await stack.restoreTemporal('same-point');
    await stack.restoreDatabase('same-point');
    // Back at the backup point: the database knows nothing of cycle 1.
    expect((await ledger(h, id)).map((r) => r.cycle)).toEqual([0]);
    await stack.start();

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 3 });
    const cycle1 = (await answers(cp)).filter((a) => a.key === afterBackup!.idempotencyKey);
    expect(cycle1.map((a) => a.outcome)).toEqual(['Created', 'Replayed']);
    expect(new Set(cycle1.map((a) => a.chargeId))).toEqual(new Set([afterBackup!.chargeId]));
    await expectEachCycleChargedOnce(h, id, cp, 3);
    const rows = await ledger(h, id);
    expect(rows.map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Captured'],
      [1, 1, 'Captured'],
      [2, 1, 'Captured'],
    ]);
    expect(rows[1]).toMatchObject({ idempotencyKey: afterBackup!.idempotencyKey, chargeId: afterBackup!.chargeId });
  });

  /** The drift job as the daemon's housekeeping runs it, without its 5-minute margin for subscriptions still starting. */
  const drift = (logger = createLogger('silent', 'test-restore')) =>
    createHousekeepingJobs({
      db: stack.h.database.db,
      amazonPay: stack.h.amazonPay,
      temporal: stack.h.temporal.client,
      workflowsTaskQueue: stack.h.taskQueues.workflows,
      driftMinAgeMs: 0,
      now: () => new Date(),
      logger,
    } as HousekeepingDeps).drift();

  /**
   * The backup `name` taken while an "older" subscription (6 s cycles) sleeps after cycle 0; after it, a
   * "newer" one (10 s cycles, 2 of them) is started and pays cycle 0, and the older one pays cycle 1.
   */
  async function backupBetween(name: string, ids: { older: string; newer: string }) {
    const { h } = stack;
    const older = { id: ids.older, cp: await newPermission(h) };
    const olderHandle = (await h.launch(shortSpec(older.id, older.cp, { seconds: 6, firstInSeconds: 1, cycles: 3 }))).handle;
    await paidAndSleeping(olderHandle, older.id, 0);
    await stack.stop();
    await stack.backup(name);
    await stack.start();

    const newer = { id: ids.newer, cp: await newPermission(h) };
    const newerSpec = shortSpec(newer.id, newer.cp, { seconds: 10, firstInSeconds: 1, cycles: 2 });
    const newerHandle = (await h.launch(newerSpec)).handle;
    await paidAndSleeping(newerHandle, newer.id, 0);
    await paidAndSleeping(olderHandle, older.id, 1);
    const [olderCycle1] = (await ledger(h, older.id)).filter((r) => r.cycle === 1);
    expect(
      (await ledger(h, newer.id)).map((r) => r.cycle),
      'the newer subscription still waits for cycle 1 (a machine this slow needs a longer interval)',
    ).toEqual([0]);
    return { older, olderHandle, olderCycle1: olderCycle1!, newer, newerSpec, newerHandle };
  }

  it('Temporal restored to an older point than the database: a workflow it kept re-sends its later cycle (replayed); one it never had is marked WorkflowNotRunning and repair resumes it from the ledger', async () => {
    const { h } = stack;
    // Temporal's backup point is between the kept subscription's cycles 0 and 1, before the lost one started.
    const {
      older: kept,
      olderHandle: keptHandle,
      olderCycle1: keptCycle1,
      newer: lost,
      newerHandle: lostHandle,
    } = await backupBetween('temporal-older', { older: 'restore-temporal-older-kept', newer: 'restore-temporal-older-lost' });

    await stack.stop();
    await stack.restoreTemporal('temporal-older');
    await stack.start();

    const found = await drift();
    expect(found.stalled).toEqual([lost.id]);
    expect(found.orphans).toEqual([]);
    expect(await getSubscription(h.database.db, lost.id)).toMatchObject({ status: 'needs_attention', statusReason: 'WorkflowNotRunning' });
    expect((await statusHistory(h, lost.id)).at(-1)).toMatchObject({
      to: 'needs_attention',
      reason: 'WorkflowNotRunning',
      detail: { workflowState: 'NOT_FOUND', previousStatus: 'active' },
    });

    // billing repair --all-drifted, which leaves subscriptions younger than 5 minutes alone (they may be starting).
    await h.database.db.execute(sql`update subscriptions set created_at = now() - interval '1 hour' where id = ${lost.id}`);
    const repaired = await billingClientOf(h).repairDrifted();
    expect(repaired.failed).toEqual([]);
    expect(repaired.restarted).toEqual([
      expect.objectContaining({
        subscriptionId: lost.id,
        workflowState: 'NOT_FOUND',
        termsFrom: 'database',
        resume: expect.objectContaining({ cycle: 1, attempt: 1 }),
      }),
    ]);

    expect(await keptHandle.result()).toMatchObject({ status: 'ended', cycle: 3 });
    expect(await h.temporal.client.workflow.getHandle(lostHandle.workflowId).result()).toMatchObject({ status: 'ended', cycle: 2 });
    await expectEachCycleChargedOnce(h, kept.id, kept.cp, 3);
    await expectEachCycleChargedOnce(h, lost.id, lost.cp, 2);
    expect((await ledger(h, kept.id)).map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Captured'],
      [1, 1, 'Captured'],
      [2, 1, 'Captured'],
    ]);
    expect((await ledger(h, lost.id)).map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Captured'],
      [1, 1, 'Captured'],
    ]);
    // The kept workflow charged cycle 1 again from its older point, with the same key: replayed.
    expect((await answers(kept.cp)).filter((a) => a.key === keptCycle1.idempotencyKey).map((a) => a.outcome)).toEqual(['Created', 'Replayed']);
    expect((await ledger(h, kept.id))[1]).toMatchObject({ idempotencyKey: keptCycle1.idempotencyKey, chargeId: keptCycle1.chargeId });
    // The lost one was resumed at cycle 1: nothing was sent twice.
    expect((await answers(lost.cp)).map((a) => a.outcome)).toEqual(['Created', 'Created']);
  });

  it('the database restored to an older point than Temporal: a workflow without a row is reported and charges nothing until billing repair rebuilds its row and ledger from Temporal; ledger rows written after the backup come back', async () => {
    const { h } = stack;
    // The database's backup point is between the kept subscription's cycles 0 and 1, before the row-less one started.
    const {
      older: kept,
      olderHandle: keptHandle,
      olderCycle1: keptCycle1,
      newer: rowless,
      newerSpec: rowlessSpec,
      newerHandle: rowlessHandle,
    } = await backupBetween('db-older', { older: 'restore-db-older-kept', newer: 'restore-db-older-rowless' });

    // Only the database goes back; Temporal keeps running.
    await h.stopWorkers();
    await stack.restoreDatabase('db-older');
    // Checked before the workers start: the kept subscription's next cycle may be due at once.
    expect(await getSubscription(h.database.db, rowless.id)).toBeUndefined();
    expect((await ledger(h, kept.id)).map((r) => r.cycle)).toEqual([0]);
    await h.startWorkers();

    // Visibility may lag a moment behind the start of the workers; the workflow is reported once listed.
    const log = captureLogger();
    const found = await eventually(
      () => drift(log.logger),
      (r) => r.orphans.length > 0,
      { timeoutMs: 15_000, what: 'the workflow without a row reported' },
    );
    expect(found.orphans).toEqual([rowlessHandle.workflowId]);
    expect(found.stalled).toEqual([]);
    // Reported, not fixed by the job, with the command that fixes it.
    expect(log.lines.filter((l) => l.workflowId === rowlessHandle.workflowId).at(-1)?.msg).toMatch(
      /^drift: a subscription workflow is running without a subscription row .*`billing repair --all-drifted` rebuilds its row and ledger from Temporal$/,
    );
    expect(await getSubscription(h.database.db, rowless.id)).toBeUndefined();
    // Starting it again (as a merchant's retry of its create would) is refused, nothing written: a row
    // from the request would state terms the workflow may no longer bill; repair rebuilds it instead.
    await expect(billingClientOf(h).startSubscription(rowlessSpec)).rejects.toThrow(
      `Subscription ${rowless.id} has no row but its workflow ${rowlessHandle.workflowId} is running in Temporal (was the database restored from an older backup?): \`billing repair ${rowless.id}\` rebuilds its row from the workflow; nothing was written`,
    );
    expect(await getSubscription(h.database.db, rowless.id)).toBeUndefined();

    // Without its row the workflow's next charge is refused before it is sent (the ledger's foreign key), and retried.
    // Temporal shows why in one line, without the statement's values (activities/database-failure.ts; before, the
    // whole statement and its parameters passed the server's size limit: 'Failure exceeds size limit.').
    const refused = await eventually(
      async () => ((await rowlessHandle.describe()).raw.pendingActivities ?? []).find((a) => a.activityType?.name === 'chargeCycle'),
      (a) => (a?.attempt ?? 0) >= 2,
      { timeoutMs: 20_000, what: 'a refused charge of the workflow without a row' },
    );
    expect(refused?.lastFailure?.applicationFailureInfo?.type).toBe('DatabaseError');
    expect(refused?.lastFailure?.message).toMatch(
      /^PostgreSQL refused with subscription as \( select .*: insert or update on table "charges" violates foreign key constraint "[\w]+" \(SQLSTATE 23503\)\.$/,
    );
    // Neither the statement's values nor PostgreSQL's detail, which quotes them.
    for (const value of [rowless.cp, rowless.id]) expect(refused?.lastFailure?.message).not.toContain(value);
    expect((await answers(rowless.cp)).map((a) => a.outcome)).toEqual(['Created']);
    const [rowlessCycle0] = await answers(rowless.cp);

    // billing repair --all-drifted (without its 5-minute margin for workflows still starting) rebuilds
    // the row of the workflow without one, and every ledger row its workflows' histories show and the ledger lacks.
    const runId = (await rowlessHandle.describe()).runId;
    const repaired = await billingClientOf(h).repairDrifted(undefined, { startingMarginMs: 0 });
    expect(repaired.failed).toEqual([]);
    expect(repaired.orphans).toBe(1);
    expect(repaired.restored).toEqual([
      expect.objectContaining({
        subscriptionId: rowless.id,
        action: 'restored',
        restored: expect.objectContaining({ workflowId: rowlessHandle.workflowId, status: 'active', cycle: 1, firstRunKept: true }),
      }),
    ]);
    const restoredLedger = Object.fromEntries(repaired.ledgerRowsRestored.map((r) => [r.subscriptionId, r.rows]));
    expect(restoredLedger).toEqual({
      [rowless.id]: [{ cycle: 0, attempt: 1, chargeId: rowlessCycle0!.chargeId, state: 'Captured' }],
      [kept.id]: [{ cycle: 1, attempt: 1, chargeId: keptCycle1.chargeId, state: 'Captured' }],
    });
    // The running workflow — not a new one — carries on.
    expect((await rowlessHandle.describe()).runId).toBe(runId);
    // The row has the terms it was started with, the workflow's position, and its first run's start as created_at.
    expect(await getSubscription(h.database.db, rowless.id)).toMatchObject({
      workflowId: rowlessHandle.workflowId,
      chargePermissionId: rowless.cp,
      environment: 'sandbox',
      amountMinor: BigInt(rowlessSpec.plan.amountMinor),
      currency: rowlessSpec.plan.currency,
      intervalUnit: rowlessSpec.plan.interval.unit,
      intervalCount: rowlessSpec.plan.interval.count,
      anchorLocal: rowlessSpec.anchor.localDateTime,
      anchorZone: rowlessSpec.anchor.zone,
      trial: null,
      endAfterCycles: 2,
      createdAt: (await rowlessHandle.describe()).startTime,
    });
    expect((await statusHistory(h, rowless.id))[0]).toMatchObject({ to: 'active', reason: 'RestoredFromTemporal', cycle: 1 });
    // The ledger row of the charge made after the backup point is back with its key and ChargeId.
    expect((await ledger(h, rowless.id))[0]).toMatchObject({
      cycle: 0,
      attempt: 1,
      state: 'Captured',
      idempotencyKey: rowlessCycle0!.key,
      chargeId: rowlessCycle0!.chargeId,
      amountMinor: BigInt(rowlessSpec.plan.amountMinor),
      currency: 'USD',
    });
    expect((await billingClientOf(h).listSubscriptions()).items.map((v) => v.id)).toContain(rowless.id);
    // Its terms are the ones it was started with: the same start (what billing import sends) is a repeat, not a conflict.
    expect(await billingClientOf(h).startSubscription(rowlessSpec)).toMatchObject({ created: false, workflowId: rowlessHandle.workflowId });

    // A second repair changes nothing.
    const again = await billingClientOf(h).repairDrifted(undefined, { startingMarginMs: 0 });
    expect(again).toMatchObject({ failed: [], orphans: 0, restored: [], restarted: [], ledgerRowsRestored: [] });
    expect((await statusHistory(h, rowless.id)).filter((e) => e.reason === 'RestoredFromTemporal')).toHaveLength(1);

    expect(await keptHandle.result()).toMatchObject({ status: 'ended', cycle: 3 });
    expect(await rowlessHandle.result()).toMatchObject({ status: 'ended', cycle: 2 });
    // Amazon Pay has each cycle once, and so has the ledger: its blocked charge went through once the row was back.
    await expectEachCycleChargedOnce(h, kept.id, kept.cp, 3);
    await expectEachCycleChargedOnce(h, rowless.id, rowless.cp, 2);
    for (const [cp, cycles] of [
      [kept.cp, 3],
      [rowless.cp, 2],
    ] as const)
      expect((await answers(cp)).map((a) => a.outcome)).toEqual(Array.from({ length: cycles }, () => 'Created'));
    expect((await ledger(h, kept.id)).map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Captured'],
      [1, 1, 'Captured'],
      [2, 1, 'Captured'],
    ]);
    expect((await ledger(h, kept.id))[1]).toMatchObject({ idempotencyKey: keptCycle1.idempotencyKey, chargeId: keptCycle1.chargeId });
    expect(await getSubscription(h.database.db, kept.id)).toMatchObject({ status: 'ended', currentCycle: 3 });
    expect(await getSubscription(h.database.db, rowless.id)).toMatchObject({ status: 'ended', currentCycle: 2 });
    // Nothing of the outbox is rebuilt: the restored subscription's subscription.started is not sent again.
    const started = await h.database.db.execute(sql`select 1 from events where subscription_id = ${rowless.id} and type = 'subscription.started'`);
    expect(started).toHaveLength(0);
  });

  it('the database restored to an older point than Temporal loses a plan change: billing repair puts it back from the history, and a later restart bills the new plan', async () => {
    const { h } = stack;
    const id = 'restore-plan-change';
    const cp = await newPermission(h);
    const spec = shortSpec(id, cp, { seconds: 8, firstInSeconds: 1, cycles: 4 });
    const { handle } = await h.launch(spec);
    await paidAndSleeping(handle, id, 0);
    await stack.stop();
    await stack.backup('plan-change');
    await stack.start();

    // After the backup point: 14.00 → 21.00 from the next cycle not yet charged.
    const changed = await billingClientOf(h).changePlan(id, { amountMinor: '2100' });
    expect(await getSubscription(h.database.db, id)).toMatchObject({ amountMinor: 2100n });

    // Only the database goes back: its row says 14.00 and it has no plan_changed event.
    await h.stopWorkers();
    await stack.restoreDatabase('plan-change');
    expect(await getSubscription(h.database.db, id)).toMatchObject({ amountMinor: 1400n });
    expect((await statusHistory(h, id)).map((e) => e.reason)).not.toContain('plan_changed');
    // As if the backup had caught cycle 0's charge in flight: its row pending, without a ChargeId.
    const [cycle0] = await ledger(h, id);
    await h.database.db.execute(sql`update charges set state = 'pending', charge_id = null, completed_at = null where subscription_id = ${id} and cycle = 0`);
    await h.startWorkers();

    const repaired = await billingClientOf(h).repair(id);
    expect(repaired).toMatchObject({
      action: 'running',
      ledgerRowsRestored: [{ cycle: 0, attempt: 1, chargeId: cycle0!.chargeId, state: 'Captured' }],
      planChangesRestored: [{ fromCycle: changed.fromCycle, amountMinor: '2100', currency: 'USD' }],
    });
    expect((await ledger(h, id))[0]).toMatchObject({ state: 'Captured', chargeId: cycle0!.chargeId, idempotencyKey: cycle0!.idempotencyKey });
    expect(await getSubscription(h.database.db, id)).toMatchObject({ amountMinor: 2100n });
    expect((await statusHistory(h, id)).filter((e) => e.reason === 'plan_changed')).toEqual([expect.objectContaining({ cycle: changed.fromCycle })]);
    expect((await billingClientOf(h).repair(id)).planChangesRestored).toBeUndefined();

    // The workflow stops later (terminated): repair restarts it from the history and the restored
    // change, so every cycle from the change on is charged at 21.00, each once.
    await handle.terminate('restore test: the workflow stops after the restore');
    expect(await billingClientOf(h).repair(id)).toMatchObject({ action: 'restarted' });
    const restarted = h.temporal.client.workflow.getHandle(handle.workflowId);
    expect(await restarted.result()).toMatchObject({ status: 'ended', cycle: 4 });
    await expectEachCycleChargedOnce(h, id, cp, 4);
    expect((await ledger(h, id)).filter((r) => r.state === 'Captured').map((r) => [r.cycle, r.amountMinor])).toEqual(
      [0, 1, 2, 3].map((cycle) => [cycle, cycle < changed.fromCycle ? 1400n : 2100n]),
    );
  });
});
