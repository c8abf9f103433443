// The inboxRetry sweep beyond pending rows: dispatched rows whose handler workflow ended without
// settling them, and failed rows, which used to stay that way forever. Times are moved by
// backdating rows (received_at, processed_at), never by waiting.
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../config/logger.js';
import { getInboxRow, insertInboxRow } from '../../db/queries/ipn-inbox.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { charges, ipnInbox, type IpnInboxRow } from '../../db/schema/index.js';
import type { Daemon } from '../../daemon/run.js';
import { createIpnDispatcher, type IpnDispatcher } from '../../ipn/dispatcher.js';
import { ipnHandlerWorkflow } from '../../workflows/index.js';
import { ipnHandlerWorkflowId } from '../../workflows/ipn-types.js';
import { eventually } from '../support/billing-harness.js';
import { createTestDatabase, uniqueTaskQueue, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { connectTestTemporal, idleSpec, launcher, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

// The test's dispatcher runs on its own clock: rows it settles carry this time, not the host's.
const DISPATCHER_CLOCK = new Date('2031-05-06T07:08:09.000Z');

describe('inboxRetry: stuck dispatched rows and failed rows get another handler run, within bounds', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  let dispatcher: IpnDispatcher;
  let launch: ReturnType<typeof launcher>;
  const taskQueues = uniqueTaskQueues();

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator({ seed: 31 });
    // No IPN URL: every inbox row here is made by the test.
    daemon = await startTestDaemon({ database, taskQueues, amazonPay: sim.amazonPay, signature: { mode: 'off' } });
    dispatcher = createIpnDispatcher({
      db: database.db,
      client: temporal.client,
      taskQueues,
      now: () => DISPATCHER_CLOCK,
      logger: createLogger(process.env.LOG_LEVEL ?? 'warn', 'test-dispatcher'),
    });
    launch = launcher(database, temporal, taskQueues);
  });
  afterAll(async () => {
    await daemon?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  async function storeRow(
    objectType: string,
    objectId: string,
    chargePermissionId: string | null,
    extra: Partial<Pick<IpnInboxRow, 'status'>> = {},
  ): Promise<IpnInboxRow> {
    const messageId = randomUUID();
    const { row } = await insertInboxRow(database.db, {
      messageId,
      notificationId: randomUUID(),
      snsType: 'Notification',
      objectType,
      objectId,
      chargePermissionId,
      rawBody: '{}',
      status: extra.status ?? 'pending',
    });
    return row;
  }
  const row = async (id: bigint) => (await getInboxRow(database.db, id))!;
  // The handler settles the row in its last activity; the run closes a moment later.
  const handlerClosed = (messageId: string) => temporal.client.workflow.getHandle(ipnHandlerWorkflowId(messageId)).result();
  const settled = (id: bigint, what: string) =>
    eventually(
      () => row(id),
      (r) => r.status !== 'pending' && r.status !== 'dispatched',
      { timeoutMs: 20_000, what },
    );
  const backdate = (id: bigint, set: { receivedAgo?: string; processedAgo?: string; attempts?: number; status?: string }) =>
    database.db.execute(sql`update ipn_inbox set
      received_at = coalesce(now() - ${set.receivedAgo ?? null}::interval, received_at),
      processed_at = case when ${set.processedAgo ?? null}::text is null then processed_at else now() - ${set.processedAgo ?? null}::interval end,
      attempts = coalesce(${set.attempts ?? null}::int, attempts),
      status = coalesce(${set.status ?? null}::text, status)
      where id = ${id.toString()}::bigint`);
  async function runsOf(messageId: string, expected: number): Promise<number> {
    return eventually(
      async () => {
        let n = 0;
        for await (const _ of temporal.client.workflow.list({ query: `WorkflowId = '${ipnHandlerWorkflowId(messageId)}'` })) n += 1;
        return n;
      },
      (n) => n === expected,
      { timeoutMs: 15_000, what: `${expected} handler run(s) of ${messageId}` },
    );
  }

  /**
   * The run of a handler id now, read from its history (describe is consistent; visibility may
   * not list a run started a moment ago, so "still one run" is not read from it).
   */
  const currentRunId = async (messageId: string): Promise<string> =>
    (await temporal.client.workflow.getHandle(ipnHandlerWorkflowId(messageId)).describe()).runId;

  it('a dispatched row whose handler was terminated is run again and settled; one gone from Temporal too', async () => {
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    await launch(idleSpec('sub-stuck-1', cp));
    await sim.control.closeChargePermission(cp, 'buyer');

    // Handed to Temporal long ago; its handler never ran (no worker on its queue) and was terminated.
    const stuck = await storeRow('CHARGE_PERMISSION', cp, cp);
    await backdate(stuck.id, { receivedAgo: '1 hour', status: 'dispatched', attempts: 1 });
    const handle = await temporal.client.workflow.start(ipnHandlerWorkflow, {
      workflowId: ipnHandlerWorkflowId(stuck.messageId),
      taskQueue: uniqueTaskQueue('nobody'),
      args: [
        {
          inboxId: stuck.id.toString(),
          messageId: stuck.messageId,
          objectType: 'CHARGE_PERMISSION',
          objectId: cp,
          chargePermissionId: cp,
          amazonReadsTaskQueue: taskQueues.amazonReads,
        },
      ],
    });
    await handle.terminate('simulated operator mistake');
    // Dispatched, but its handler is gone (e.g. past Temporal's retention).
    const gone = await storeRow('CHARGEBACK', 'CB-gone', null);
    await backdate(gone.id, { receivedAgo: '2 hours', status: 'dispatched', attempts: 1 });
    // Dispatched a minute ago: not looked at yet.
    const fresh = await storeRow('CHARGEBACK', 'CB-fresh', null);
    await backdate(fresh.id, { status: 'dispatched', attempts: 1 });

    const result = await daemon.jobs.inboxRetry();
    expect(result.stuck).toMatchObject({ restarted: 2, settled: 0, gave_up: 0, skipped: 0 });

    expect(await settled(stuck.id, 'the stuck row to be settled')).toMatchObject({ status: 'processed', attempts: 2 });
    expect(await settled(gone.id, 'the row without a handler to be settled')).toMatchObject({ status: 'ignored', attempts: 2 });
    expect(await row(fresh.id)).toMatchObject({ status: 'dispatched', attempts: 1 });
    const subscription = await eventually(
      () => getSubscription(database.db, 'sub-stuck-1'),
      (r) => r?.status === 'canceled',
      { timeoutMs: 20_000, what: 'the subscription to be canceled' },
    );
    expect(subscription?.statusReason).toBe('BuyerClosed');
    expect(await runsOf(stuck.messageId, 2)).toBe(2);
    await backdate(fresh.id, { status: 'ignored' });
  });

  it('a dispatched row whose handler completed is settled from the handler result, without another run', async () => {
    const done = await storeRow('CHARGEBACK', 'CB-done', null);
    expect(await dispatcher.dispatch(done)).toBe(true);
    const first = await settled(done.id, 'the CHARGEBACK row to be settled');
    expect(first.status).toBe('ignored');
    await handlerClosed(done.messageId);
    const onlyRun = await currentRunId(done.messageId);
    // As if the settle had been lost (a restored backup, a manual edit): dispatched again, long ago.
    await database.db.update(ipnInbox).set({ status: 'dispatched', lastError: null, processedAt: null }).where(eq(ipnInbox.id, done.id));
    await backdate(done.id, { receivedAgo: '1 hour' });

    const result = await daemon.jobs.inboxRetry();
    expect(result.stuck).toMatchObject({ settled: 1, restarted: 0 });
    expect(await row(done.id)).toMatchObject({ status: 'ignored', lastError: first.lastError });
    expect(await currentRunId(done.messageId)).toBe(onlyRun);
  });

  it('a dispatched row whose handler keeps ending unsettled is given up after the attempt bound', async () => {
    const row1 = await storeRow('CHARGEBACK', 'CB-bound', null);
    await backdate(row1.id, { receivedAgo: '1 hour', status: 'dispatched', attempts: 5 });
    const handle = await temporal.client.workflow.start(ipnHandlerWorkflow, {
      workflowId: ipnHandlerWorkflowId(row1.messageId),
      taskQueue: uniqueTaskQueue('nobody'),
      args: [
        {
          inboxId: row1.id.toString(),
          messageId: row1.messageId,
          objectType: 'CHARGEBACK',
          objectId: 'CB-bound',
          chargePermissionId: null,
          amazonReadsTaskQueue: taskQueues.amazonReads,
        },
      ],
    });
    await handle.terminate('simulated crash loop');

    const result = await daemon.jobs.inboxRetry();
    expect(result.stuck).toMatchObject({ gave_up: 1, restarted: 0 });
    const after = await row(row1.id);
    expect(after).toMatchObject({ status: 'failed', attempts: 5 });
    expect(after.lastError).toMatch(/TERMINATED without settling the row; not run again after 5 attempts/);
    expect(await currentRunId(row1.messageId)).toBe(handle.firstExecutionRunId);
  });

  it('a failed row whose handler is still closing is left for the next sweep, not adopted', async () => {
    const failedRow = await storeRow('CHARGEBACK', 'CB-closing', null);
    await backdate(failedRow.id, { status: 'failed', attempts: 1, processedAgo: '1 hour' });
    // A run of its id still going (on a queue nobody polls, so it stays that way).
    const handle = await temporal.client.workflow.start(ipnHandlerWorkflow, {
      workflowId: ipnHandlerWorkflowId(failedRow.messageId),
      taskQueue: uniqueTaskQueue('nobody'),
      args: [
        {
          inboxId: failedRow.id.toString(),
          messageId: failedRow.messageId,
          objectType: 'CHARGEBACK',
          objectId: 'CB-closing',
          chargePermissionId: null,
          amazonReadsTaskQueue: taskQueues.amazonReads,
        },
      ],
    });
    expect((await daemon.jobs.inboxRetry()).failedRetried).toBe(0);
    // Given back as it was (the attempt not spent), with why.
    expect(await row(failedRow.id)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringMatching(/already/i) });
    await handle.terminate('test cleanup');
    await backdate(failedRow.id, { status: 'ignored' });
  });

  it('a failed row is run again with exponential backoff until it succeeds; one at the attempt bound stays failed', async () => {
    // A charge in our ledger that Amazon Pay does not know: Get Charge answers ResourceNotFound,
    // the reaction fails for good and the handler settles the row as failed.
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    await launch(idleSpec('sub-failed-1', cp));
    const missingChargeId = `${cp}-C999999`;
    // Pending in the ledger, so the IPN goes to a handler (a terminal state would be settled without one).
    await database.db.insert(charges).values({
      subscriptionId: 'sub-failed-1',
      cycle: 99,
      attempt: 0,
      idempotencyKey: 'test-missing-charge-1',
      amountMinor: 1000n,
      currency: 'USD',
      chargeId: missingChargeId,
      state: 'AuthorizationInitiated',
    });
    const failing = await storeRow('CHARGE', missingChargeId, cp);
    expect(await dispatcher.dispatch(failing)).toBe(true);
    expect(await settled(failing.id, 'the CHARGE row to fail')).toMatchObject({ status: 'failed', lastError: expect.stringMatching(/ResourceNotFound/) });
    await handlerClosed(failing.messageId);
    // The dispatcher counts its attempt after the start returns, which a fast handler can overtake: pin it.
    await backdate(failing.id, { attempts: 1, processedAgo: '0 seconds' });
    // Failed as often as allowed, long ago: never run again.
    const exhausted = await storeRow('CHARGE', missingChargeId, cp);
    await backdate(exhausted.id, { status: 'failed', attempts: 5, processedAgo: '1 day' });

    // Backoff after 1 attempt: 5 minutes.
    expect((await daemon.jobs.inboxRetry()).failedRetried).toBe(0);
    await backdate(failing.id, { processedAgo: '6 minutes' });
    expect((await daemon.jobs.inboxRetry()).failedRetried).toBe(1);
    expect(await settled(failing.id, 'the second run to fail')).toMatchObject({ status: 'failed', attempts: 2 });
    await handlerClosed(failing.messageId);
    expect(await runsOf(failing.messageId, 2)).toBe(2);

    // After 2 attempts the wait doubles: 6 minutes is not enough, 11 are.
    await backdate(failing.id, { processedAgo: '6 minutes' });
    expect((await daemon.jobs.inboxRetry()).failedRetried).toBe(0);
    // What made it fail is gone (an operator removed the bogus ledger row): the third run settles it.
    await database.db.delete(charges).where(eq(charges.chargeId, missingChargeId));
    await backdate(failing.id, { processedAgo: '11 minutes' });
    expect((await daemon.jobs.inboxRetry()).failedRetried).toBe(1);
    expect(await settled(failing.id, 'the third run to settle the row')).toMatchObject({
      status: 'ignored',
      attempts: 3,
      lastError: `charge ${missingChargeId} is not in the ledger`,
    });
    expect(await runsOf(failing.messageId, 3)).toBe(3);

    expect(await row(exhausted.id)).toMatchObject({ status: 'failed', attempts: 5 });
    await expect(currentRunId(exhausted.messageId)).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('a CHARGE IPN about a charge the ledger holds in a terminal state, or does not hold, is settled without a handler or an Amazon Pay read', async () => {
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    await launch(idleSpec('sub-final-1', cp));
    // Charge ids Amazon Pay does not know: a Get Charge would fail the row, so 'ignored' proves none was made.
    const captured = `${cp}-C000101`;
    const declined = `${cp}-C000102`;
    await database.db.insert(charges).values([
      {
        subscriptionId: 'sub-final-1',
        cycle: 1,
        attempt: 0,
        idempotencyKey: 'test-final-captured',
        amountMinor: 1000n,
        currency: 'USD',
        chargeId: captured,
        state: 'Captured',
      },
      {
        subscriptionId: 'sub-final-1',
        cycle: 2,
        attempt: 0,
        idempotencyKey: 'test-final-declined',
        amountMinor: 1000n,
        currency: 'USD',
        chargeId: declined,
        state: 'Declined',
      },
    ]);

    const ipn = await storeRow('CHARGE', captured, cp);
    expect(await dispatcher.dispatch(ipn)).toBe(true);
    expect(await row(ipn.id)).toMatchObject({
      status: 'ignored',
      lastError: `charge ${captured} is already Captured in the ledger, a state Amazon Pay never leaves`,
    });
    expect((await row(ipn.id)).processedAt?.toISOString()).toBe(DISPATCHER_CLOCK.toISOString());
    await expect(temporal.client.workflow.getHandle(ipnHandlerWorkflowId(ipn.messageId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const unknown = await storeRow('CHARGE', `${cp}-C000199`, cp);
    expect(await dispatcher.dispatch(unknown)).toBe(true);
    expect(await row(unknown.id)).toMatchObject({ status: 'ignored', lastError: `charge ${cp}-C000199 is not in the ledger` });
    await expect(temporal.client.workflow.getHandle(ipnHandlerWorkflowId(unknown.messageId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // The sweep takes the same short cut for a row left pending.
    const left = await storeRow('CHARGE', declined, cp);
    await backdate(left.id, { receivedAgo: '10 minutes' });
    await daemon.jobs.inboxRetry();
    expect(await row(left.id)).toMatchObject({ status: 'ignored', lastError: expect.stringContaining(`charge ${declined} is already Declined`) });
    await expect(temporal.client.workflow.getHandle(ipnHandlerWorkflowId(left.messageId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // A handler already running when the charge became terminal stops before reading Amazon Pay too.
    const raced = await storeRow('CHARGE', captured, cp);
    await backdate(raced.id, { status: 'dispatched', attempts: 1 });
    const handle = await temporal.client.workflow.start(ipnHandlerWorkflow, {
      workflowId: ipnHandlerWorkflowId(raced.messageId),
      taskQueue: taskQueues.workflows,
      args: [
        {
          inboxId: raced.id.toString(),
          messageId: raced.messageId,
          objectType: 'CHARGE',
          objectId: captured,
          chargePermissionId: cp,
          amazonReadsTaskQueue: taskQueues.amazonReads,
        },
      ],
    });
    expect(await handle.result()).toEqual({
      status: 'ignored',
      summary: `charge ${captured} is already Captured in the ledger, a state Amazon Pay never leaves`,
    });
  });
});
