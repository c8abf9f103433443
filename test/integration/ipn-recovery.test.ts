import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../config/logger.js';
import { listInboxRows } from '../../db/queries/ipn-inbox.js';
import { getSubscription, recordPeriodEndStop, recordStopRequested, stopRequestOf } from '../../db/queries/subscriptions.js';
import { permissionChecks, unknownPermissions } from '../../db/schema/index.js';
import type { Daemon } from '../../daemon/run.js';
import { freePort } from '../../devstack/ports.js';
import { createIpnDispatcher } from '../../ipn/dispatcher.js';
import { startIpnServer, type IpnServer } from '../../ipn/server.js';
import { cancelSignal, permissionStatusSignal, stateQuery } from '../../workflows/messages.js';
import { anchorSecondsFromNow, eventually } from '../support/billing-harness.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { connectTestTemporal, idleSpec, launcher, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

describe('IPNs that cannot be handled at once, never arrive, or lie', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  let launch: ReturnType<typeof launcher>;
  const extraServers: IpnServer[] = [];
  const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'test-ipn');
  const taskQueues = uniqueTaskQueues();

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator({ seed: 11 });
    daemon = await startTestDaemon({
      database,
      taskQueues,
      amazonPay: sim.amazonPay,
      signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
    });
    launch = launcher(database, temporal, taskQueues);
  });
  afterAll(async () => {
    for (const server of extraServers) await server.close();
    await daemon?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('an IPN stored while Temporal is unreachable is handled by the inboxRetry sweep once Temporal is back', async () => {
    // An endpoint whose dispatcher talks to a Temporal that is not there (a closed port).
    const deadConnection = await Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const deadClient = new Client({ connection: deadConnection, namespace: 'default' });
    const offline = await startIpnServer({
      host: '127.0.0.1',
      port: 0,
      path: '/ipn',
      maxBodyBytes: 64 * 1024,
      db: database.db,
      dispatcher: createIpnDispatcher({ db: database.db, client: deadClient, taskQueues, logger, startTimeoutMs: 1_500 }),
      signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
      logger,
    });
    extraServers.push(offline);
    await sim.control.setIpn({ url: offline.url, retryScheduleMs: [] });

    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    await launch(idleSpec('sub-offline-1', cp));
    await sim.control.closeChargePermission(cp, 'buyer');

    // Stored and acknowledged, but not handed over: pending, with the failed attempt noted.
    const pending = await eventually(
      async () => (await listInboxRows(database.db)).find((r) => r.chargePermissionId === cp),
      (r) => r !== undefined && r.attempts >= 1,
      { timeoutMs: 20_000, what: 'the inbox row with a failed dispatch attempt' },
    );
    expect(pending?.status).toBe('pending');
    expect(pending?.lastError).toBeTruthy();
    expect((await sim.control.ipnDeliveries()).deliveries.find((d) => d.objectId === cp)?.status).toBe(200);
    expect((await getSubscription(database.db, 'sub-offline-1'))?.status).toBe('active');

    // Temporal is back (the daemon's own client): the sweep, run as the cron would, picks the row up.
    const run = await daemon.housekeeping.trigger('inboxRetry', new Date());
    expect(run).toMatchObject({ ran: true, result: { pending: 1, dispatched: 1 } });
    const row = await eventually(
      () => getSubscription(database.db, 'sub-offline-1'),
      (r) => r?.status === 'canceled',
      { timeoutMs: 20_000, what: 'the subscription to be canceled' },
    );
    expect(row?.statusReason).toBe('BuyerClosed');
    await eventually(
      async () => (await listInboxRows(database.db)).find((r) => r.id === pending!.id)?.status,
      (s) => s === 'processed',
      { timeoutMs: 20_000, what: 'the row to be processed' },
    );
    await deadConnection.close();
  });

  it('an IPN that is never sent is caught by reconciliation', async () => {
    await sim.control.setIpn({ url: null });
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    await launch(idleSpec('sub-silent-1', cp));
    await sim.control.closeChargePermission(cp, 'amazon');
    expect((await sim.control.ipnDeliveries()).deliveries.some((d) => d.objectId === cp)).toBe(false);

    const result = await daemon.jobs.reconcile();
    expect(result.closed).toBeGreaterThanOrEqual(1);
    const row = await eventually(
      () => getSubscription(database.db, 'sub-silent-1'),
      (r) => r?.status === 'canceled',
      { timeoutMs: 20_000, what: 'the subscription to be canceled' },
    );
    expect(row?.statusReason).toBe('AmazonClosed');
    const [check] = await database.db.select().from(permissionChecks).where(eq(permissionChecks.chargePermissionId, cp));
    expect(check?.lastState).toBe('Closed');
  });

  it('the body is only a hint: a forged "closed" IPN for a chargeable permission cancels nothing', async () => {
    // Signature checks off, as if an attacker got past them: the reaction still asks Amazon Pay.
    const open = await startIpnServer({
      host: '127.0.0.1',
      port: 0,
      path: '/ipn',
      maxBodyBytes: 64 * 1024,
      db: database.db,
      dispatcher: createIpnDispatcher({ db: database.db, client: temporal.client, taskQueues, logger }),
      signature: { mode: 'off' },
      logger,
    });
    extraServers.push(open);
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    const { handle } = await launch(idleSpec('sub-forged-1', cp));
    const messageId = randomUUID();
    const forged = {
      Type: 'Notification',
      MessageId: messageId,
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:Forged',
      Timestamp: new Date().toISOString(),
      Message: JSON.stringify({
        MerchantID: 'X',
        ObjectType: 'CHARGE_PERMISSION',
        ObjectId: cp,
        ChargePermissionId: cp,
        NotificationType: 'STATE_CHANGE',
        NotificationId: randomUUID(),
        NotificationVersion: 'V2',
        State: 'Closed',
      }),
    };
    const reads = async () => (await sim.control.requests()).counts['getChargePermission'] ?? 0;
    const readsBefore = await reads();
    const response = await fetch(open.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(forged) });
    expect(response.status).toBe(200);
    await eventually(
      async () => (await listInboxRows(database.db)).find((r) => r.messageId === messageId)?.status,
      (s) => s === 'processed',
      { timeoutMs: 20_000, what: 'the forged IPN to be processed' },
    );
    // Handled: the reaction asked Amazon Pay. A cancel it made would be recorded (stop row, signal,
    // cancel request in history) before the row is processed; the workflow's own write of
    // "canceled" would come later, so the absence is read where the reaction writes, not there.
    expect(await reads()).toBe(readsBefore + 1);
    expect(await stopRequestOf(database.db, 'sub-forged-1')).toBeNull();
    const events = (await handle.fetchHistory()).events ?? [];
    expect(
      events.filter((e) => e.workflowExecutionCancelRequestedEventAttributes || e.workflowExecutionSignaledEventAttributes?.signalName === cancelSignal.name),
    ).toEqual([]);
    // What it did tell the workflow: the state Amazon Pay answered.
    expect(events.filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)).toEqual([
      permissionStatusSignal.name,
    ]);
    expect((await getSubscription(database.db, 'sub-forged-1'))?.status).toBe('active');
    expect((await handle.describe()).status.name).toBe('RUNNING');

    // A permission nothing bills on is recorded, not fetched: no Amazon Pay request of any kind.
    const before = await sim.control.requests();
    const stranger = {
      ...forged,
      MessageId: randomUUID(),
      Message: JSON.stringify({ ObjectType: 'CHARGE_PERMISSION', ObjectId: 'S01-0000000-0000000', NotificationId: randomUUID() }),
    };
    expect((await fetch(open.url, { method: 'POST', body: JSON.stringify(stranger) })).status).toBe(200);
    await eventually(
      async () => (await listInboxRows(database.db)).find((r) => r.messageId === stranger.MessageId)?.status,
      (s) => s === 'ignored',
      { timeoutMs: 20_000, what: 'the stranger IPN to be ignored' },
    );
    const [unknown] = await database.db.select().from(unknownPermissions).where(eq(unknownPermissions.chargePermissionId, 'S01-0000000-0000000'));
    expect(unknown?.reason).toBe('no_subscription');
    expect(await sim.control.requests()).toEqual(before);
    await handle.terminate('test cleanup');
  });

  it('drift: a live subscription whose workflow is gone is marked needs_attention, a stopped one finished as canceled, a completed one as its run ended; a lost stop is re-sent; a running workflow without a row is reported', async () => {
    // Two workflows that were running (their first status write, a local activity, has landed) and
    // then vanished; terminating earlier would let that write arrive after the drift check's. The
    // second one's stop "now" was recorded before it vanished (stop-now.ts writes the row first).
    for (const id of ['sub-drift-1', 'sub-drift-stopped']) {
      const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
      const { handle } = await launch(idleSpec(id, chargePermission.chargePermissionId));
      await eventually(
        async () => (await getSubscription(database.db, id))?.nextBillingAt,
        (next) => next != null,
        { timeoutMs: 20_000, what: 'the first status write' },
      );
      if (id === 'sub-drift-stopped') await recordStopRequested(database.db, id, 'BuyerRequested', new Date());
      await handle.terminate('simulated operator mistake');
      await database.db.execute(sql`update subscriptions set created_at = now() - interval '1 hour' where id = ${id}`);
    }
    // Running workflows whose recorded stop — now, or at period end — never reached them (the stopper died between the two).
    const runningWithStatus = async (id: string) => {
      const cp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
      const { handle } = await launch(idleSpec(id, cp));
      await eventually(
        async () => (await getSubscription(database.db, id))?.nextBillingAt,
        (next) => next != null,
        { timeoutMs: 20_000, what: 'the first status write' },
      );
      return handle;
    };
    const lost = await runningWithStatus('sub-drift-stop-lost');
    await recordStopRequested(database.db, 'sub-drift-stop-lost', 'BuyerRequested', new Date(Date.now() - 2 * 60_000));
    const periodEndLost = await runningWithStatus('sub-drift-period-end-lost');
    await recordPeriodEndStop(database.db, { subscriptionId: 'sub-drift-period-end-lost', reason: 'moving away', at: new Date(Date.now() - 2 * 60_000) });
    // A run that completed (ended after its only cycle) whose final status write never landed.
    const doneCp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const done = (await launch({ ...idleSpec('sub-drift-completed', doneCp), anchor: anchorSecondsFromNow(1), end: { afterCycles: 1 } })).handle;
    expect(await done.result()).toMatchObject({ status: 'ended' });
    await database.db.execute(sql`update subscriptions set status = 'active', status_reason = null, ended_at = null where id = 'sub-drift-completed'`);
    await database.db.execute(
      sql`update subscriptions set created_at = now() - interval '1 hour' where id in ('sub-drift-stop-lost', 'sub-drift-period-end-lost', 'sub-drift-completed')`,
    );
    // A subscription workflow with no row (its input is junk; it only has to be Running for the check).
    const orphan = await temporal.client.workflow.start('subscriptionWorkflow', {
      workflowId: `subscription-orphan-${randomUUID()}`,
      taskQueue: taskQueues.workflows,
      args: [{}],
    });
    const result = await daemon.jobs.drift();
    expect(result.stalled).toContain('sub-drift-1');
    const row = await getSubscription(database.db, 'sub-drift-1');
    expect(row?.status).toBe('needs_attention');
    expect(row?.statusReason).toBe('WorkflowNotRunning');
    expect(result.canceled).toEqual(['sub-drift-stopped']);
    expect(result.stalled).not.toContain('sub-drift-stopped');
    expect(result.ended).toEqual(['sub-drift-completed']);
    expect(await getSubscription(database.db, 'sub-drift-completed')).toMatchObject({ status: 'ended', statusReason: 'TermCompleted' });
    expect([...result.stopsResent].sort()).toEqual(['sub-drift-period-end-lost', 'sub-drift-stop-lost']);
    expect((await periodEndLost.query(stateQuery)).cancelAtPeriodEnd).toBe(true);
    await eventually(
      () => getSubscription(database.db, 'sub-drift-stop-lost'),
      (r) => r?.status === 'canceled',
      { timeoutMs: 20_000, what: 'the re-sent stop to cancel it' },
    );
    expect(await getSubscription(database.db, 'sub-drift-stop-lost')).toMatchObject({ statusReason: 'BuyerRequested' });
    await eventually(
      async () => (await lost.describe()).status.name,
      (state) => state !== 'RUNNING',
      { timeoutMs: 10_000, what: 'the stopped workflow to close' },
    );
    const stopped = await getSubscription(database.db, 'sub-drift-stopped');
    expect(stopped).toMatchObject({ status: 'canceled', statusReason: 'BuyerRequested', nextBillingAt: null });
    expect(stopped?.endedAt).not.toBeNull();
    // Visibility may lag a moment behind the start; the orphan is reported once listed.
    const seen = await eventually(
      () => daemon.jobs.drift(),
      (r) => r.orphans.includes(orphan.workflowId),
      { timeoutMs: 15_000, what: 'the orphan to be reported' },
    );
    expect(seen.stalled).toEqual(['sub-drift-1']);
    expect(seen.stopsResent).toEqual([]);
    await orphan.terminate('test cleanup');
  });
});
