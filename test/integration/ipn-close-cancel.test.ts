import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInboxRows } from '../../db/queries/ipn-inbox.js';
import { getSubscription, listSubscriptionEvents } from '../../db/queries/subscriptions.js';
import type { Daemon } from '../../daemon/run.js';
import { anchorSecondsFromNow, eventually } from '../support/billing-harness.js';
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
    daemon = await startTestDaemon({ database, taskQueues, amazonPay: sim.amazonPay, signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem } });
    await sim.control.setIpn({ url: daemon.ipnUrl, retryScheduleMs: [500, 1_000, 2_000] });
    launch = launcher(database, temporal, taskQueues);
  });
  afterAll(async () => {
    await daemon?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('the buyer closes the Charge Permission: the workflow is cancelled with the reason, and nothing is charged afterwards', async () => {
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    const { handle } = await launch({
      id: 'sub-close-1',
      chargePermissionId: cp,
      plan: { amountMinor: '1200', currency: 'USD', interval: { unit: 'second', count: 2 } },
      anchor: anchorSecondsFromNow(1),
    });
    // Let it bill at least once so "no charge afterwards" means something.
    await eventually(async () => (await sim.control.charges()).filter((c) => c.chargePermissionId === cp).length, (n) => n >= 1, { timeoutMs: 30_000, what: 'a first charge' });

    const closedAt = Date.now();
    await sim.control.closeChargePermission(cp, 'buyer');
    const row = await eventually(() => getSubscription(database.db, 'sub-close-1'), (r) => r?.status === 'canceled', { timeoutMs: 30_000, intervalMs: 50, what: 'the subscription to be canceled' });
    const latencyMs = Date.now() - closedAt;
    console.log(`[ipn-close-cancel] buyer close → subscription canceled in PostgreSQL: ${latencyMs} ms`);
    expect(row?.statusReason).toBe('BuyerClosed');
    expect(row?.endedAt).not.toBeNull();
    expect(latencyMs).toBeLessThan(15_000);
    // The status is written inside the workflow's cancellation handling, just before it closes.
    await eventually(async () => (await handle.describe()).status.name, (s) => s === 'CANCELLED', { timeoutMs: 10_000, what: 'the workflow to close as cancelled' });

    // The workflow is closed, so nothing can charge any more; the simulator's ledger agrees.
    const after = (await sim.control.charges()).filter((c) => c.chargePermissionId === cp && Date.parse(c.createdAt) > closedAt);
    expect(after).toEqual([]);
    const events = await listSubscriptionEvents(database.db, 'sub-close-1');
    expect(events.filter((e) => e.toStatus === 'canceled').map((e) => e.reasonCode)).toEqual(['BuyerClosed']);

    // The close arrived as an IPN and was handled: its inbox row is processed.
    const inbox = await eventually(
      () => listInboxRows(database.db),
      (rows) => rows.some((r) => r.objectType === 'CHARGE_PERMISSION' && r.chargePermissionId === cp && r.status === 'processed'),
      { timeoutMs: 20_000, what: 'the CHARGE_PERMISSION inbox row to be processed' },
    );
    expect(inbox.filter((r) => r.status === 'failed')).toEqual([]);
  });

  it('duplicated, reordered and delayed IPNs change nothing twice', async () => {
    await sim.control.setIpn({ url: daemon.ipnUrl, duplicateProbability: 1, reorderWindow: 4, reorderHoldMs: 300, addedDelayMs: 300, retryScheduleMs: [500, 1_000] });
    const ids: Array<{ sub: string; cp: string }> = [];
    for (let i = 0; i < 4; i++) {
      const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
      ids.push({ sub: `sub-dup-${i}`, cp: chargePermission.chargePermissionId });
      await launch(idleSpec(`sub-dup-${i}`, chargePermission.chargePermissionId));
    }
    // Each permission goes NonChargeable → Chargeable → Closed: three IPNs each, all duplicated and shuffled.
    for (const { cp } of ids) await sim.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    for (const { cp } of ids) await sim.control.makeChargeable(cp);
    for (const { cp } of ids) await sim.control.closeChargePermission(cp, 'buyer');

    for (const { sub } of ids) {
      await eventually(() => getSubscription(database.db, sub), (r) => r?.status === 'canceled', { timeoutMs: 30_000, what: `${sub} to be canceled` });
    }
    await eventually(() => sim.control.ipnDeliveries(), (d) => d.pending === 0, { timeoutMs: 20_000, what: 'the simulator to finish delivering' });
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

    for (const { sub } of ids) {
      const events = await listSubscriptionEvents(database.db, sub);
      expect(events.filter((e) => e.toStatus === 'canceled').map((e) => e.reasonCode)).toEqual(['BuyerClosed']);
    }
  });

  it('serves /healthz, /readyz and the billing counters on /metrics', async () => {
    const health = await fetch(`${daemon.operationsUrl}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${daemon.operationsUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, checks: { database: true, temporal: true, workers: true } });
    const text = await (await fetch(`${daemon.operationsUrl}/metrics`)).text();
    const value = (line: RegExp) => Number(text.split('\n').find((l) => line.test(l))?.split(' ').pop() ?? NaN);
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
