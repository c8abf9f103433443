// Reconciliation tells subscriptions only what is news: a Charge Permission state other than
// the one it recorded last time, or an expirationTimestamp other than the one their row holds. A
// quiet permission checked every run adds nothing to the subscription's history; a change is
// signalled once; a close cancels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsOfSubscription } from '../../db/queries/events.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import type { Daemon } from '../../daemon/run.js';
import { stateQuery } from '../../workflows/messages.js';
import type { PermissionStatusSignal } from '../../workflows/types.js';
import { eventually } from '../support/billing-harness.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { connectTestTemporal, idleSpec, launcher, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';
import { newKey, openApiClient } from './api-support.js';

describe('reconciliation signals a subscription only when its permission changed', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  let launch: ReturnType<typeof launcher>;
  const taskQueues = uniqueTaskQueues();

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator({ seed: 41 });
    // No IPN URL: reconciliation is the only way news arrives.
    daemon = await startTestDaemon({ database, taskQueues, amazonPay: sim.amazonPay, signature: { mode: 'off' } });
    launch = launcher(database, temporal, taskQueues);
  });
  afterAll(async () => {
    await daemon?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('Chargeable run after run: no signal; NonChargeable, then Chargeable again: one signal each; Closed: cancelled', async () => {
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    const { handle } = await launch(idleSpec('sub-reconcile-1', cp));
    const permissionSignals = async (): Promise<PermissionStatusSignal[]> => {
      const history = await handle.fetchHistory();
      return (history.events ?? []).flatMap((e) => {
        const signal = e.workflowExecutionSignaledEventAttributes;
        if (signal?.signalName !== 'permissionStatus') return [];
        const data = signal.input?.payloads?.[0]?.data;
        return data ? [JSON.parse(Buffer.from(data).toString('utf8')) as PermissionStatusSignal] : [];
      });
    };

    // First look and every look after it: Chargeable, which the subscription assumes anyway.
    for (let run = 0; run < 3; run++) expect(await daemon.jobs.reconcile()).toMatchObject({ checked: 1, signalled: 0, unchanged: 1, closed: 0, errors: 0 });
    expect(await permissionSignals()).toEqual([]);

    await sim.control.makeNonChargeable(cp, 'PaymentMethodExpired');
    expect(await daemon.jobs.reconcile()).toMatchObject({ checked: 1, signalled: 1, unchanged: 0 });
    expect(await daemon.jobs.reconcile()).toMatchObject({ checked: 1, signalled: 0, unchanged: 1 });
    await sim.control.makeChargeable(cp);
    expect(await daemon.jobs.reconcile()).toMatchObject({ checked: 1, signalled: 1, unchanged: 0 });
    expect(await daemon.jobs.reconcile()).toMatchObject({ checked: 1, signalled: 0, unchanged: 1 });
    // A change seen between two checks is news, as an IPN would be. A signal reaches the history
    // once any workflow task in flight completes, so wait for both before comparing.
    const signals = await eventually(permissionSignals, (list) => list.length >= 2, { timeoutMs: 20_000, what: 'two permission signals in the history' });
    // Evidence of a change, under its name and (for workers on older code) the old one.
    expect(signals.map((s) => [s.state, s.evidenceOfChange, s.source])).toEqual([
      ['NonChargeable', true, 'ipn'],
      ['Chargeable', true, 'ipn'],
    ]);

    await sim.control.closeChargePermission(cp, 'amazon');
    expect(await daemon.jobs.reconcile()).toMatchObject({ checked: 1, closed: 1 });
    const row = await eventually(
      () => getSubscription(database.db, 'sub-reconcile-1'),
      (r) => r?.status === 'canceled',
      { timeoutMs: 20_000, what: 'the subscription to be canceled' },
    );
    expect(row?.statusReason).toBe('AmazonClosed');
    // Nothing live is left on it: later runs do not fetch it.
    expect(await daemon.jobs.reconcile()).toMatchObject({ checked: 0 });
  });

  it('a first look that finds a permission not chargeable is passed on, as a routine check', async () => {
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    const { handle } = await launch(idleSpec('sub-reconcile-2', cp));
    await sim.control.makeNonChargeable(cp, 'PaymentMethodInvalid');
    expect(await daemon.jobs.reconcile()).toMatchObject({ checked: 1, signalled: 1 });
    const state = await eventually(
      () => handle.query(stateQuery),
      (s) => s.permission !== null,
      { timeoutMs: 10_000, what: 'the workflow to note the permission' },
    );
    expect(state.permission).toMatchObject({ state: 'NonChargeable', reasons: ['PaymentMethodInvalid'], evidenceOfChange: false });
    await handle.terminate('test cleanup');
  });

  it('an expirationTimestamp Amazon set or moved: written to permission_expires_at, passed on as a routine note, warned of once per date, shown by the API', async () => {
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    const { handle } = await launch(idleSpec('sub-reconcile-expiry', cp));
    const row = () => getSubscription(database.db, 'sub-reconcile-expiry');
    const warnings = async () =>
      (await eventsOfSubscription(database.db, 'sub-reconcile-expiry'))
        .filter((e) => e.type === 'subscription.permission_will_expire')
        .map((e) => (e.data as { permission_expires_at: string }).permission_expires_at);
    // None at start, none at Amazon: nothing to write or tell.
    expect(await daemon.jobs.reconcile()).toMatchObject({ expiries: 0, errors: 0 });
    expect((await row())?.permissionExpiresAt).toBeNull();

    // Amazon sets one (the state stays Chargeable): the row follows, the subscription is told.
    const first = new Date(Math.ceil((Date.now() + 2 * 86_400_000) / 1000) * 1000);
    await sim.control.setExpiration(cp, first.toISOString());
    expect(await daemon.jobs.reconcile()).toMatchObject({ expiries: 1, errors: 0 });
    expect((await row())?.permissionExpiresAt?.toISOString()).toBe(first.toISOString());
    expect(await daemon.jobs.reconcile()).toMatchObject({ expiries: 0 });
    await daemon.jobs.permissionWillExpire();
    expect(await warnings()).toEqual([first.toISOString()]);

    // Amazon moves it a day later: written, told, and warned of again for the new date, once.
    const later = new Date(first.getTime() + 86_400_000);
    await sim.control.setExpiration(cp, later.toISOString());
    expect(await daemon.jobs.reconcile()).toMatchObject({ expiries: 1, errors: 0 });
    expect((await row())?.permissionExpiresAt?.toISOString()).toBe(later.toISOString());
    await daemon.jobs.permissionWillExpire();
    await daemon.jobs.permissionWillExpire();
    expect(await warnings()).toEqual([first.toISOString(), later.toISOString()]);

    const state = await eventually(
      () => handle.query(stateQuery),
      (s) => s.permission?.expiresAt === later.toISOString(),
      { timeoutMs: 10_000, what: 'the workflow to note the moved expiry' },
    );
    expect(state.permission).toMatchObject({ state: 'Chargeable', evidenceOfChange: false });
    const signals = (await handle.fetchHistory()).events?.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'permissionStatus');
    expect(signals).toHaveLength(2);

    // The HTTP API's subscription view, checked against the OpenAPI document the daemon serves.
    const { client } = await openApiClient(daemon.apiUrl, await newKey(database.db, 'expiry-reader', true));
    const shown = await client.call<{ subscription: { permissionExpiresAt: string | null } }>('GET', '/v1/subscriptions/{id}', {
      params: { id: 'sub-reconcile-expiry' },
    });
    expect([shown.status, shown.body.subscription.permissionExpiresAt]).toEqual([200, later.toISOString()]);
    await handle.terminate('test cleanup');
  });
});
