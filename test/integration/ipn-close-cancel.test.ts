import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInboxRows } from '../../db/queries/ipn-inbox.js';
import { listCharges } from '../../db/queries/charges.js';
import { getSubscription, listSubscriptionEvents } from '../../db/queries/subscriptions.js';
import type { Daemon } from '../../daemon/run.js';
import { anchorSecondsFromNow, eventually } from '../support/billing-harness.js';
import { shortSpec } from '../support/subscriptions.js';
import { stateQuery } from '../../workflows/messages.js';
import { stopSubscriptionNow } from '../../client/subscriptions/stop-now.js';
import { checkedEvents } from '../support/events.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { connectTestTemporal, idleSpec, launcher, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

describe('IPN pipeline end to end: simulator → endpoint → inbox → handler workflow → subscription', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  let launch: ReturnType<typeof launcher>;
  const taskQueues = uniqueTaskQueues();

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator({ seed: 7 });
    daemon = await startTestDaemon({
      database,
      taskQueues,
      amazonPay: sim.amazonPay,
      signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
    });
    await sim.control.setIpn({ url: daemon.ipnUrl, retryScheduleMs: [500, 1_000, 2_000] });
    launch = launcher(database, temporal, taskQueues);
  });
  afterAll(async () => {
    await daemon?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  /** A subscription billed every 2 s on a new permission, once it has been charged at least once (so "no charge afterwards" means something). */
  const launchBilled = async (id: string) => {
    const cp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const { handle } = await launch({
      id,
      chargePermissionId: cp,
      plan: { amountMinor: '1200', currency: 'USD', interval: { unit: 'second', count: 2 } },
      anchor: anchorSecondsFromNow(1),
    });
    await eventually(
      async () => (await sim.control.charges()).filter((c) => c.chargePermissionId === cp).length,
      (n) => n >= 1,
      { timeoutMs: 30_000, what: 'a first charge' },
    );
    return { cp, handle };
  };

  /** An idle subscription on a new permission whose workflow was terminated after its first status write (IPNs delivered in order, no duplicates). */
  const launchTerminated = async (id: string) => {
    await sim.control.setIpn({ url: daemon.ipnUrl, duplicateProbability: 0, reorderWindow: 0, addedDelayMs: 0, retryScheduleMs: [500, 1_000, 2_000] });
    const cp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const { handle } = await launch(idleSpec(id, cp));
    await eventually(
      () => getSubscription(database.db, id),
      (r) => r?.nextBillingAt != null,
      { timeoutMs: 20_000, what: 'the first status write' },
    );
    await handle.terminate('worker host lost');
    return { cp, handle };
  };

  it('the buyer closes the Charge Permission: the workflow is cancelled with the reason, and nothing is charged afterwards', async () => {
    const { cp, handle } = await launchBilled('sub-close-1');

    const closedAt = Date.now();
    await sim.control.closeChargePermission(cp, 'buyer');
    const row = await eventually(
      () => getSubscription(database.db, 'sub-close-1'),
      (r) => r?.status === 'canceled',
      { timeoutMs: 30_000, intervalMs: 50, what: 'the subscription to be canceled' },
    );
    const latencyMs = Date.now() - closedAt;
    console.log(`[ipn-close-cancel] buyer close → subscription canceled in PostgreSQL: ${latencyMs} ms`);
    expect(row?.statusReason).toBe('BuyerClosed');
    expect(row?.endedAt).not.toBeNull();
    expect(latencyMs).toBeLessThan(15_000);
    // The status is written inside the workflow's cancellation handling, just before it closes.
    await eventually(
      async () => (await handle.describe()).status.name,
      (s) => s === 'CANCELLED',
      { timeoutMs: 10_000, what: 'the workflow to close as cancelled' },
    );

    // The workflow is closed, so nothing can charge any more; the simulator's ledger agrees.
    const after = (await sim.control.charges()).filter((c) => c.chargePermissionId === cp && Date.parse(c.createdAt) > closedAt);
    expect(after).toEqual([]);
    const events = await listSubscriptionEvents(database.db, 'sub-close-1');
    expect(events.filter((e) => e.toStatus === 'canceled').map((e) => e.reasonCode)).toEqual(['BuyerClosed']);
    // The event log tells the same life: started, each paid cycle (a cycle Amazon refused for the
    // closed permission before the IPN arrived is a charge.failed), canceled with the buyer's reason.
    const log = await checkedEvents(database.db, 'sub-close-1');
    expect(log[0]!.type).toBe('subscription.started');
    expect(log.at(-1)).toMatchObject({ type: 'subscription.canceled', data: { reason: 'BuyerClosed' } });
    const paid = (await listCharges(database.db, 'sub-close-1')).filter((c) => c.state === 'Captured');
    expect(log.filter((e) => e.type === 'charge.succeeded').map((e) => e.data.charge_id)).toEqual(paid.map((c) => c.chargeId));
    expect(log.slice(1, -1).filter((e) => e.type !== 'charge.succeeded' && !(e.type === 'charge.failed' && e.data.outcome === 'permission_state'))).toEqual([]);

    // The close arrived as an IPN and was handled: its inbox row is processed.
    const inbox = await eventually(
      () => listInboxRows(database.db),
      (rows) => rows.some((r) => r.objectType === 'CHARGE_PERMISSION' && r.chargePermissionId === cp && r.status === 'processed'),
      { timeoutMs: 20_000, what: 'the CHARGE_PERMISSION inbox row to be processed' },
    );
    expect(inbox.filter((r) => r.status === 'failed')).toEqual([]);
  });

  it('the buyer closes the Charge Permission of a subscription whose workflow was terminated: the stop is recorded and it is canceled with the reason, nothing charged', async () => {
    const { cp, handle } = await launchTerminated('sub-close-terminated');
    await sim.control.closeChargePermission(cp, 'buyer');
    const row = await eventually(
      () => getSubscription(database.db, 'sub-close-terminated'),
      (r) => r?.status === 'canceled',
      { timeoutMs: 30_000, intervalMs: 100, what: 'the subscription to be canceled' },
    );
    expect(row).toMatchObject({ statusReason: 'BuyerClosed', stopRequestedReason: 'BuyerClosed', nextBillingAt: null });
    expect(row?.endedAt).not.toBeNull();
    expect((await listSubscriptionEvents(database.db, 'sub-close-terminated')).at(-1)).toMatchObject({
      toStatus: 'canceled',
      detail: { stop: 'stop_requested', workflowState: 'TERMINATED' },
    });
    expect((await handle.describe()).status.name).toBe('TERMINATED');
    expect((await sim.control.charges()).filter((c) => c.chargePermissionId === cp)).toEqual([]);
    const inbox = await eventually(
      async () => (await listInboxRows(database.db)).filter((r) => r.chargePermissionId === cp),
      (rows) => rows.some((r) => r.status === 'processed'),
      { timeoutMs: 20_000, what: 'the CHARGE_PERMISSION inbox row to be processed' },
    );
    expect(inbox.map((r) => r.status)).not.toContain('failed');
  });

  it('Amazon closes the Charge Permission as Expired: the subscription ends `ended` ChargePermissionExpired (subscription.ended), as its own expiry check ends it, nothing charged after', async () => {
    await sim.control.setIpn({ url: daemon.ipnUrl, duplicateProbability: 0, reorderWindow: 0, addedDelayMs: 0, retryScheduleMs: [500, 1_000, 2_000] });
    const { cp, handle } = await launchBilled('sub-close-expired');
    const closedAt = Date.now();
    await sim.control.closeChargePermission(cp, 'expiry');
    const row = await eventually(
      () => getSubscription(database.db, 'sub-close-expired'),
      (r) => r?.status === 'ended' || r?.status === 'canceled',
      { timeoutMs: 30_000, intervalMs: 50, what: 'the subscription to end' },
    );
    expect(row).toMatchObject({ status: 'ended', statusReason: 'ChargePermissionExpired', stopRequestedStatus: 'ended', nextBillingAt: null });
    expect(row?.endedAt).not.toBeNull();
    await eventually(
      async () => (await handle.describe()).status.name,
      (s) => s === 'CANCELLED',
      { timeoutMs: 10_000, what: 'the workflow to close' },
    );
    const after = (await sim.control.charges()).filter((c) => c.chargePermissionId === cp && Date.parse(c.createdAt) > closedAt);
    expect(after).toEqual([]);
    const events = await listSubscriptionEvents(database.db, 'sub-close-expired');
    expect(events.filter((e) => e.toStatus === 'canceled' || e.toStatus === 'ended').map((e) => `${e.toStatus}:${e.reasonCode}`)).toEqual([
      'ended:ChargePermissionExpired',
    ]);
    const log = await checkedEvents(database.db, 'sub-close-expired');
    expect(log.at(-1)).toMatchObject({ type: 'subscription.ended', data: { reason: 'ChargePermissionExpired' } });
    expect(log.map((e) => e.type)).not.toContain('subscription.canceled');
  });

  it('Amazon closes the Charge Permission as Expired while the workflow is not running: finished from the database `ended` ChargePermissionExpired (subscription.ended)', async () => {
    const { cp, handle } = await launchTerminated('sub-expired-terminated');
    await sim.control.closeChargePermission(cp, 'expiry');
    const row = await eventually(
      () => getSubscription(database.db, 'sub-expired-terminated'),
      (r) => r?.status === 'ended' || r?.status === 'canceled',
      { timeoutMs: 30_000, intervalMs: 100, what: 'the subscription to end' },
    );
    expect(row).toMatchObject({
      status: 'ended',
      statusReason: 'ChargePermissionExpired',
      stopRequestedReason: 'ChargePermissionExpired',
      nextBillingAt: null,
    });
    expect((await listSubscriptionEvents(database.db, 'sub-expired-terminated')).at(-1)).toMatchObject({
      toStatus: 'ended',
      reasonCode: 'ChargePermissionExpired',
      detail: { stop: 'stop_requested', workflowState: 'TERMINATED' },
    });
    expect((await checkedEvents(database.db, 'sub-expired-terminated')).at(-1)).toMatchObject({
      type: 'subscription.ended',
      data: { reason: 'ChargePermissionExpired' },
    });
    // Finished, not restarted: the workflow stays as it was.
    expect((await handle.describe()).status.name).toBe('TERMINATED');
    expect((await sim.control.charges()).filter((c) => c.chargePermissionId === cp)).toEqual([]);
  });

  it("an operator's stop whose reason reads like Amazon's expiry still ends it canceled: the status is carried, never read from the text", async () => {
    const cp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const { handle } = await launch(idleSpec('sub-operator-expired-text', cp));
    await eventually(
      () => getSubscription(database.db, 'sub-operator-expired-text'),
      (r) => r?.nextBillingAt != null,
      { timeoutMs: 20_000, what: 'the first status write' },
    );
    await stopSubscriptionNow({ db: database.db, now: () => new Date() }, handle, {
      subscriptionId: 'sub-operator-expired-text',
      reason: 'ChargePermissionExpired',
    });
    const row = await eventually(
      () => getSubscription(database.db, 'sub-operator-expired-text'),
      (r) => r?.status === 'ended' || r?.status === 'canceled',
      { timeoutMs: 30_000, intervalMs: 100, what: 'the subscription to end' },
    );
    expect(row).toMatchObject({ status: 'canceled', statusReason: 'ChargePermissionExpired' });
    expect((await checkedEvents(database.db, 'sub-operator-expired-text')).at(-1)).toMatchObject({ type: 'subscription.canceled' });
  });

  it('Amazon no longer knows the Charge Permission of a subscription whose workflow was terminated: stopped from the database with the reason, nothing charged', async () => {
    const { cp } = await launchTerminated('sub-notfound-terminated');
    // The IPN's fetch finds nothing: Amazon answers 404 ResourceNotFound for the permission.
    await sim.control.setInjectedErrors([
      { operation: 'getChargePermission', id: cp, status: 404, reasonCode: 'ResourceNotFound', message: 'not found', times: null },
    ]);
    try {
      await sim.control.makeNonChargeable(cp, 'PaymentMethodExpired');
      const row = await eventually(
        () => getSubscription(database.db, 'sub-notfound-terminated'),
        (r) => r?.status === 'canceled',
        { timeoutMs: 30_000, intervalMs: 100, what: 'the subscription to be stopped' },
      );
      expect(row).toMatchObject({ statusReason: 'ResourceNotFound', stopRequestedReason: 'ResourceNotFound', nextBillingAt: null });
      expect((await listSubscriptionEvents(database.db, 'sub-notfound-terminated')).at(-1)).toMatchObject({
        toStatus: 'canceled',
        detail: { stop: 'stop_requested', workflowState: 'TERMINATED' },
      });
      expect((await sim.control.charges()).filter((c) => c.chargePermissionId === cp)).toEqual([]);
    } finally {
      await sim.control.setInjectedErrors([]);
    }
  });

  /** The CHARGE / CHARGE_PERMISSION inbox rows of one object once settled (processed or ignored). */
  const settledRows = (objectId: string, count: number) =>
    eventually(
      async () => (await listInboxRows(database.db)).filter((r) => r.objectId === objectId),
      (rows) => rows.length >= count && rows.every((r) => r.status === 'processed' || r.status === 'ignored'),
      { timeoutMs: 20_000, what: `${count} settled inbox row(s) for ${objectId}` },
    );

  it("a pending authorization is settled by Amazon's CHARGE IPN: endpoint → inbox → handler → reactToCharge → the cycle's workflow", async () => {
    await sim.control.setIpn({ url: daemon.ipnUrl, duplicateProbability: 0, reorderWindow: 0, addedDelayMs: 0, retryScheduleMs: [500, 1_000, 2_000] });
    const cp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    await sim.control.setScript(cp, { next: ['AuthorizationInitiated:Captured'] });
    // No poll within the test: only the IPN's reaction can settle the cycle.
    const { handle } = await launch(shortSpec('sub-ipn-pending', cp, { cycles: 1 }), {
      usePendingAuthorization: true,
      pendingPollInitialMs: 10 * 60_000,
      pendingPollMaxMs: 10 * 60_000,
    });
    const [pending] = await eventually(
      async () => (await listCharges(database.db, 'sub-ipn-pending')).filter((r) => r.state === 'AuthorizationInitiated'),
      (rows) => rows.length === 1,
      { timeoutMs: 20_000, what: 'a pending authorization in the ledger' },
    );
    const chargeId = pending!.chargeId!;
    await eventually(
      () => handle.query(stateQuery),
      (st) => st.statusReason === 'AuthorizationPending',
      { timeoutMs: 10_000, what: 'query: AuthorizationPending' },
    );

    await sim.control.resolveCharge(chargeId);
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await listCharges(database.db, 'sub-ipn-pending')).map((r) => [r.attempt, r.chargeId, r.state])).toEqual([[1, chargeId, 'Captured']]);
    // The Captured IPN reached the workflow through the handler (not a poll: none was due).
    const rows = await settledRows(chargeId, 2);
    expect(rows.filter((r) => r.status === 'processed').map((r) => r.lastError)).toContain(`charge ${chargeId} is Captured`);
    const reasons = (await listSubscriptionEvents(database.db, 'sub-ipn-pending')).map((e) => `${e.toStatus}:${e.reasonCode}`);
    expect(reasons).toEqual(['active:Created', 'active:AuthorizationPending', 'active:null', 'ended:TermCompleted']);
  });

  it("a pending authorization whose subscription's workflow was terminated: the CHARGE IPN writes its final state to the ledger, with its event", async () => {
    await sim.control.setIpn({ url: daemon.ipnUrl, duplicateProbability: 0, reorderWindow: 0, addedDelayMs: 0, retryScheduleMs: [500, 1_000, 2_000] });
    const cp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    await sim.control.setScript(cp, { next: ['AuthorizationInitiated:Captured'] });
    const { handle } = await launch(shortSpec('sub-ipn-pending-dead', cp, { cycles: 2, seconds: 3600 }), {
      usePendingAuthorization: true,
      pendingPollInitialMs: 10 * 60_000,
      pendingPollMaxMs: 10 * 60_000,
    });
    const [pending] = await eventually(
      async () => (await listCharges(database.db, 'sub-ipn-pending-dead')).filter((r) => r.state === 'AuthorizationInitiated'),
      (rows) => rows.length === 1,
      { timeoutMs: 20_000, what: 'a pending authorization in the ledger' },
    );
    const chargeId = pending!.chargeId!;
    await handle.terminate('worker host lost');

    await sim.control.resolveCharge(chargeId);
    const [row] = await eventually(
      () => listCharges(database.db, 'sub-ipn-pending-dead'),
      (rows) => rows[0]?.state === 'Captured',
      { timeoutMs: 20_000, intervalMs: 100, what: 'the Captured state in the ledger' },
    );
    expect(row).toMatchObject({ cycle: 0, attempt: 1, chargeId, state: 'Captured' });
    const rows = await settledRows(chargeId, 2);
    expect(rows.filter((r) => r.status === 'processed').map((r) => r.lastError)).toContain(
      `charge ${chargeId} is Captured, written to the ledger (subscription sub-ipn-pending-dead's workflow is not running)`,
    );
    const events = await checkedEvents(database.db, 'sub-ipn-pending-dead');
    expect(events.map((e) => e.type)).toContain('charge.succeeded');
    // Still live: `billing repair` restarts it from here (the cycle paid, nothing polled or charged again).
    expect((await getSubscription(database.db, 'sub-ipn-pending-dead'))?.status).toBe('active');
  });

  it("a hard-declined subscription resumes on Amazon's CHARGE_PERMISSION IPNs (NonChargeable → Chargeable): endpoint → inbox → handler → reactToPermission", async () => {
    await sim.control.setIpn({ url: daemon.ipnUrl, duplicateProbability: 0, reorderWindow: 0, addedDelayMs: 0, retryScheduleMs: [500, 1_000, 2_000] });
    const cp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    await sim.control.setScript(cp, { mode: 'HardDeclined' });
    // No periodic permission check within the test: only the IPNs' reactions can wake it.
    const { handle } = await launch(shortSpec('sub-ipn-fix', cp, { cycles: 1 }), {
      paymentMethodCheckIntervalMs: 10 * 60_000,
      paymentMethodGraceMs: 10 * 60_000,
    });
    await eventually(
      () => handle.query(stateQuery),
      (st) => st.status === 'payment_method_required',
      { timeoutMs: 20_000, what: 'payment_method_required' },
    );

    await sim.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    await eventually(
      () => handle.query(stateQuery),
      (st) => st.permission?.state === 'NonChargeable',
      { timeoutMs: 20_000, what: 'the NonChargeable IPN to reach the workflow' },
    );
    expect((await listCharges(database.db, 'sub-ipn-fix')).map((r) => r.attempt)).toEqual([1]);
    await sim.control.setScript(cp, { next: [], mode: null });
    await sim.control.makeChargeable(cp);

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await listCharges(database.db, 'sub-ipn-fix')).map((r) => [r.attempt, r.state, r.reasonCode])).toEqual([
      [1, 'Refused', 'HardDeclined'],
      [2, 'Captured', null],
    ]);
    const rows = await settledRows(cp, 2);
    expect(rows.map((r) => [r.objectType, r.status])).toEqual([
      ['CHARGE_PERMISSION', 'processed'],
      ['CHARGE_PERMISSION', 'processed'],
    ]);
    const reasons = (await listSubscriptionEvents(database.db, 'sub-ipn-fix')).map((e) => `${e.toStatus}:${e.reasonCode}`);
    expect(reasons).toEqual(['active:Created', 'payment_method_required:HardDeclined', 'active:null', 'ended:TermCompleted']);
  });

  it("a CHARGE_PERMISSION IPN's fetch brings the permission's expirationTimestamp: to the subscription's row and to its workflow", async () => {
    await sim.control.setIpn({ url: daemon.ipnUrl, duplicateProbability: 0, reorderWindow: 0, addedDelayMs: 0, retryScheduleMs: [500, 1_000, 2_000] });
    const cp = (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const { handle } = await launch(idleSpec('sub-ipn-expiry', cp));
    expect((await getSubscription(database.db, 'sub-ipn-expiry'))?.permissionExpiresAt).toBeNull();
    const expiresAt = new Date(Math.ceil((Date.now() + 30 * 86_400_000) / 1000) * 1000).toISOString();
    await sim.control.setExpiration(cp, expiresAt);
    // The IPN of another change; Get Charge Permission after it answers the expiry too.
    await sim.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    const row = await eventually(
      () => getSubscription(database.db, 'sub-ipn-expiry'),
      (r) => r?.permissionExpiresAt?.toISOString() === expiresAt,
      { timeoutMs: 20_000, what: "the IPN reaction to write the permission's expiry" },
    );
    expect(row?.status).toBe('active');
    const state = await eventually(
      () => handle.query(stateQuery),
      (st) => st.permission?.expiresAt === expiresAt,
      { timeoutMs: 20_000, what: 'the workflow to note it' },
    );
    expect(state.permission).toMatchObject({ state: 'NonChargeable', evidenceOfChange: true });
    await handle.terminate('test cleanup');
  });

  it('duplicated, reordered and delayed IPNs change nothing twice', async () => {
    // One window of 12 envelopes, shuffled on release: a permission's Closed can overtake its own earlier changes.
    await sim.control.setIpn({
      url: daemon.ipnUrl,
      duplicateProbability: 1,
      reorderWindow: 12,
      reorderHoldMs: 5_000,
      addedDelayMs: 300,
      retryScheduleMs: [500, 1_000],
    });
    const ids: Array<{ sub: string; cp: string }> = [];
    for (let i = 0; i < 4; i++) {
      const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
      ids.push({ sub: `sub-dup-${i}`, cp: chargePermission.chargePermissionId });
      await launch(idleSpec(`sub-dup-${i}`, chargePermission.chargePermissionId));
    }
    // Each permission goes NonChargeable → Chargeable → Closed: three IPNs each, published in that order.
    const publishedBefore = sim.simulator.runtime.engine.ipn.sent.length;
    for (const { cp } of ids) {
      await sim.control.makeNonChargeable(cp, 'PaymentMethodExpired');
      await sim.control.makeChargeable(cp);
      await sim.control.closeChargePermission(cp, 'buyer');
    }
    const published = sim.simulator.runtime.engine.ipn.sent.slice(publishedBefore).map((e) => e.MessageId);
    expect(published).toHaveLength(12);
    for (const { sub } of ids) {
      await eventually(
        () => getSubscription(database.db, sub),
        (r) => r?.status === 'canceled',
        { timeoutMs: 30_000, what: `${sub} to be canceled` },
      );
    }
    await eventually(
      () => sim.control.ipnDeliveries(),
      (d) => d.pending === 0,
      { timeoutMs: 20_000, what: 'the simulator to finish delivering' },
    );
    const { deliveries } = await sim.control.ipnDeliveries();
    const ours = new Set(ids.map((i) => i.cp));
    const relevant = deliveries.filter((d) => ours.has(d.objectId));
    const messageIds = new Set(relevant.map((d) => d.messageId));
    expect(messageIds.size).toBe(12);
    expect(relevant.filter((d) => d.duplicate).length).toBeGreaterThan(0);
    expect(relevant.every((d) => d.status === 200)).toBe(true);

    const rows = await eventually(
      async () => (await listInboxRows(database.db)).filter((r) => r.chargePermissionId && ours.has(r.chargePermissionId)),
      (rs) => rs.length === 12 && rs.every((r) => r.status === 'processed' || r.status === 'ignored'),
      { timeoutMs: 30_000, what: 'all 12 inbox rows settled' },
    );
    expect(new Set(rows.map((r) => r.messageId))).toEqual(messageIds);
    // Really out of order at the endpoint: for some permission, a later change's IPN was stored
    // (first arrival; inbox ids are in arrival order) before an earlier change's.
    const arrival = [...rows].sort((a, b) => (a.id < b.id ? -1 : 1)).map((r) => r.messageId);
    const overtaken = ids.filter((_, i) => {
      const own = published.slice(3 * i, 3 * i + 3).map((m) => arrival.indexOf(m));
      return own.some((at, k) => own.slice(k + 1).some((later) => later < at));
    });
    expect(overtaken.length, `arrival ${JSON.stringify(arrival)} vs published ${JSON.stringify(published)}`).toBeGreaterThan(0);

    // One handler workflow per MessageId, never two.
    const handlers = new Map<string, number>();
    await eventually(
      async () => {
        handlers.clear();
        for await (const wf of temporal.client.workflow.list({ query: `WorkflowType = 'ipnHandlerWorkflow' AND TaskQueue = '${taskQueues.workflows}'` })) {
          handlers.set(wf.workflowId, (handlers.get(wf.workflowId) ?? 0) + 1);
        }
        return [...messageIds].filter((m) => handlers.has(`ipn-${m}`)).length;
      },
      (n) => n === 12,
      { timeoutMs: 20_000, what: 'visibility to list the handler workflows' },
    );
    expect([...handlers.entries()].filter(([id]) => [...messageIds].some((m) => id === `ipn-${m}`)).every(([, runs]) => runs === 1)).toBe(true);

    // The final state is right and was reached once: canceled for BuyerClosed, nothing after it, never charged.
    for (const { sub } of ids) {
      const events = await listSubscriptionEvents(database.db, sub);
      expect(events.filter((e) => e.toStatus === 'canceled').map((e) => e.reasonCode)).toEqual(['BuyerClosed']);
      expect(events.at(-1)?.toStatus).toBe('canceled');
      expect((await getSubscription(database.db, sub))?.statusReason).toBe('BuyerClosed');
    }
    expect((await sim.control.attempts()).attempts.filter((a) => a.chargePermissionId !== null && ours.has(a.chargePermissionId))).toEqual([]);
  });

  it('serves /healthz, /readyz and the billing counters on /metrics', async () => {
    const health = await fetch(`${daemon.operationsUrl}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${daemon.operationsUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { database: true, temporal: true, workers: true } });
    const text = await (await fetch(`${daemon.operationsUrl}/metrics`)).text();
    const value = (line: RegExp) =>
      Number(
        text
          .split('\n')
          .find((l) => line.test(l))
          ?.split(' ')
          .pop() ?? NaN,
      );
    expect(value(/^billing_charges_total\{outcome="ok"\}/)).toBeGreaterThanOrEqual(1);
    expect(value(/^billing_ipn_received_total\{result="stored"\}/)).toBeGreaterThanOrEqual(12);
    expect(value(/^billing_ipn_received_total\{result="duplicate"\}/)).toBeGreaterThanOrEqual(1);
    expect(value(/^billing_ipn_settled_total\{status="processed"\}/)).toBeGreaterThanOrEqual(1);
    expect(value(/^billing_charge_lag_seconds_count/)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^billing_ipn_inbox_backlog\{status="pending"\} \d+/m);
    expect(text).toContain('billing_amazon_throttled_total');
    expect((await fetch(`${daemon.operationsUrl}/nope`)).status).toBe(404);
  });
});
