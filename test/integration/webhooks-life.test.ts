// Webhooks end to end (issue 17): one subscription's life on the real stack — the daemon (its
// workers, IPN endpoint and webhook dispatcher), the simulator sending IPNs, the Temporal test
// server, PostgreSQL — delivered to real loopback receivers and verified with the standardwebhooks
// library. The buyer's payment method change and close reach the daemon as IPNs, not test signals.
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventView } from '../../client/events.js';
import type { Daemon } from '../../daemon/run.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { addWebhookEndpoint, type WebhookEndpointWithSecret } from '../../webhooks/endpoints.js';
import type { WebhookPayload } from '../../webhooks/payload.js';
import { eventually } from '../support/billing-harness.js';
import { checkedEvents, LIFE_FIRST_EVENT_TYPES } from '../support/events.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { shortSpec } from '../support/subscriptions.js';
import { startWebhookReceiver, waitUntil, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver.js';
import { connectTestTemporal, launcher, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

const SUBSCRIPTION = 'webhooks-life';
/** The flaky receiver answers 500 to this many requests before its first 200. */
const FAILURES = 5;

/** Every request verified with the endpoint's secret (throws on the first that does not), with its webhook-id. */
function verifiedRequests(receiver: WebhookReceiver, secret: string): Array<{ request: ReceivedWebhook; payload: WebhookPayload }> {
  const webhook = new Webhook(secret);
  return receiver.received.map((request) => ({ request, payload: webhook.verify(request.body, request.headers as Record<string, string>) as WebhookPayload }));
}

/** What the receiver must hold to equal the event log: id, type, sequence, subscription. */
const summary = (e: Pick<EventView, 'id' | 'type' | 'sequence' | 'subscription_id'>) => ({
  id: e.id,
  type: e.type,
  sequence: e.sequence,
  subscription_id: e.subscription_id,
});

describe('webhooks: a subscription life delivered to real receivers', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  let steady: WebhookReceiver;
  let flaky: WebhookReceiver;
  let steadyEndpoint: WebhookEndpointWithSecret;
  let flakyEndpoint: WebhookEndpointWithSecret;
  const taskQueues = uniqueTaskQueues();

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator({ seed: 17 });
    daemon = await startTestDaemon({
      database,
      taskQueues,
      amazonPay: sim.amazonPay,
      signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
      webhooks: { retrySchedule: [200, 300, 300, 300, 300, 300, 300, 300], pollInterval: 100, requestTimeout: 4_000 },
    });
    await sim.control.setIpn({ url: daemon.ipnUrl, retryScheduleMs: [500, 1_000, 2_000] });
    steady = await startWebhookReceiver();
    flaky = await startWebhookReceiver((_request, index) => (index < FAILURES ? { status: 500, body: 'down for maintenance' } : { status: 200 }));
    const deps = { db: database.db, now: () => new Date() };
    steadyEndpoint = await addWebhookEndpoint(deps, { url: steady.url });
    flakyEndpoint = await addWebhookEndpoint(deps, { url: flaky.url });
  });
  afterAll(async () => {
    await daemon?.shutdown();
    await Promise.all([steady?.close(), flaky?.close()]);
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('paid cycles, a soft decline and recovery, a hard decline and a new card, the buyer closing: every event at the receivers, signed, gapless, equal to the log', async () => {
    const { chargePermission } = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    await sim.control.setScript(cp, { next: ['Success', 'SoftDeclined', 'Success', 'HardDeclined'] });
    const launch = launcher(database, temporal, taskQueues);
    // No periodic permission check in the test's time frame: only the buyer's IPN fixes the hard decline.
    await launch(shortSpec(SUBSCRIPTION, cp, { seconds: 3 }), { dunningRetryDelaysMs: [500], paymentMethodCheckIntervalMs: 10 * 60_000 });
    const statusOf = async () => (await getSubscription(database.db, SUBSCRIPTION))?.status;
    await eventually(statusOf, (s) => s === 'payment_method_required', { timeoutMs: 30_000, what: 'payment_method_required after the hard decline' });

    // The buyer enters a new card at Amazon: the IPN makes the daemon fetch the permission and retry.
    await sim.control.changePaymentMethod(cp, '4242');
    await eventually(
      async () => (await checkedEvents(database.db, SUBSCRIPTION)).map((e) => e.type),
      (types) => types.filter((t) => t === 'subscription.activated').length >= 2,
      { timeoutMs: 30_000, what: 'active again after the new card' },
    );
    await sim.control.closeChargePermission(cp, 'buyer');
    await eventually(statusOf, (s) => s === 'canceled', { timeoutMs: 30_000, what: 'canceled by the close IPN' });

    const log = await checkedEvents(database.db, SUBSCRIPTION);
    const types = log.map((e) => e.type);
    expect(types.slice(0, 10)).toEqual(LIFE_FIRST_EVENT_TYPES);
    // A cycle due before the close IPN arrived is paid (or refused for the closed permission); then the end.
    expect(log.slice(10, -1).filter((e) => e.type !== 'charge.succeeded' && !(e.type === 'charge.failed' && e.data.outcome === 'permission_state'))).toEqual(
      [],
    );
    expect(log.at(-1)).toMatchObject({ type: 'subscription.canceled', data: { reason: 'BuyerClosed', previous_status: 'active' } });

    const ids = log.map((e) => e.id).sort();
    const answeredIds = () => new Set(flaky.received.slice(FAILURES).map((x) => x.headers['webhook-id']));
    await waitUntil('every event at the steady receiver', () => steady.received.length >= log.length, 20_000);
    await waitUntil(
      'every event answered 200 by the flaky receiver',
      () => flaky.received.length >= log.length + FAILURES && answeredIds().size >= log.length,
      20_000,
    );

    // The steady receiver: each event exactly once, verified, webhook-id = data.id, equal to the log.
    const received = verifiedRequests(steady, steadyEndpoint.secret);
    expect(received).toHaveLength(log.length);
    for (const { request, payload } of received) {
      expect(request.headers['webhook-id']).toBe(payload.data.id);
      expect(payload.type).toBe(payload.data.type);
    }
    const sorted = received.map((r) => r.payload.data).sort((a, b) => a.sequence - b.sequence);
    expect(sorted.map((e) => e.sequence)).toEqual(log.map((_, i) => i + 1));
    expect(sorted.map(summary)).toEqual(log.map(summary));
    // The payload's data is the event exactly as the log lists it.
    expect(sorted).toEqual(log);

    // The flaky receiver: 500s first, retried with the same webhook-id, then every event answered 200.
    const flakyRequests = verifiedRequests(flaky, flakyEndpoint.secret);
    for (const { request, payload } of flakyRequests) expect(request.headers['webhook-id']).toBe(payload.data.id);
    const failedIds = new Set(flakyRequests.slice(0, FAILURES).map((r) => r.payload.data.id));
    const answered = flakyRequests.slice(FAILURES).map((r) => r.payload.data);
    const answeredOnce = new Set(answered.map((e) => e.id));
    for (const id of failedIds) expect(answeredOnce.has(id)).toBe(true);
    expect([...answeredOnce].sort()).toEqual(ids);
    const firstAnswered = [...new Map(answered.map((e) => [e.id, e])).values()].sort((a, b) => a.sequence - b.sequence);
    expect(firstAnswered.map((e) => e.sequence)).toEqual(log.map((_, i) => i + 1));
    expect(firstAnswered.map(summary)).toEqual(log.map(summary));
  });
});
