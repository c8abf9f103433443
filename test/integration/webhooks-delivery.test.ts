// Webhook delivery on the real stack: PostgreSQL, real HTTP receivers on loopback, the
// dispatcher as the daemon runs it, signatures checked with the standardwebhooks library and, once,
// by a Python receiver following the specification by hand. Short retry schedules (config).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from '../../config/billing.js';
import { BillingMetrics } from '../../daemon/metrics.js';
import { addWebhookEndpoint, getWebhookEndpoint, rotateWebhookSecret } from '../../webhooks/endpoints.js';
import { startWebhookDispatcher, type WebhookDispatcher } from '../../webhooks/dispatcher.js';
import type { DeliveryOutcome, DisableReason, WebhookMetrics } from '../../webhooks/metrics.js';
import { redeliverEvent } from '../../webhooks/redeliver.js';
import { captureLogger } from '../support/log-capture.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { addEndpointForAccount, appendEvents, insertEventSubscription } from '../support/webhook-events.js';
import { startWebhookReceiver, waitUntil, type WebhookReceiver } from '../support/webhook-receiver.js';

const SETTINGS: WebhookSettings = {
  ...DEFAULT_WEBHOOK_SETTINGS,
  retrySchedule: [150, 300, 300, 300, 300],
  requestTimeout: 4_000,
  concurrency: 16,
  perEndpointConcurrency: 2,
  pollInterval: 50,
};

class RecordedMetrics implements WebhookMetrics {
  readonly attempts: Array<{ endpointId: string; outcome: DeliveryOutcome }> = [];
  readonly disabled: Array<{ endpointId: string; reason: DisableReason }> = [];
  onWebhookAttempt(endpointId: string, outcome: DeliveryOutcome): void {
    this.attempts.push({ endpointId, outcome });
  }
  onWebhookEndpointDisabled(endpointId: string, reason: DisableReason): void {
    this.disabled.push({ endpointId, reason });
  }
}

let database: TestDatabase;
let dispatcher: WebhookDispatcher;
const metrics = new RecordedMetrics();
const { logger, lines } = captureLogger('debug');
const receivers: WebhookReceiver[] = [];
const deps = () => ({ db: database.db, now: () => new Date() });

beforeAll(async () => {
  database = await createTestDatabase();
  dispatcher = await startWebhookDispatcher({ db: database.db, sql: database.sql, settings: SETTINGS, logger, replica: 'test-a', metrics });
});

afterAll(async () => {
  await dispatcher?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await database?.drop();
});

/** A receiver, an endpoint to it limited to a new subscription's events, and that subscription. */
async function setUp(answer?: Parameters<typeof startWebhookReceiver>[0], eventTypes?: string[]) {
  const receiver = await startWebhookReceiver(answer);
  receivers.push(receiver);
  const subscription = await insertEventSubscription(database.db);
  const endpoint = await addEndpointForAccount(database.db, subscription.account, (tx) =>
    addWebhookEndpoint({ db: tx, now: () => new Date() }, { url: receiver.url, ...(eventTypes ? { eventTypes } : {}) }),
  );
  return { receiver, subscription, endpoint };
}

const sequences = (payloads: Array<{ data: { sequence: number } }>): number[] => payloads.map((p) => p.data.sequence).sort((a, b) => a - b);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe.concurrent('webhook delivery', () => {
  it('delivers each event once, signed (standardwebhooks verifies), webhook-id = event id, in the Standard Webhooks payload shape', async () => {
    const { receiver, subscription, endpoint } = await setUp();
    const ids = await appendEvents(database.db, subscription.id, 5);
    await waitUntil('5 deliveries', () => receiver.received.length >= 5);
    const payloads = receiver.verified(endpoint.secret);
    expect(sequences(payloads)).toEqual(range(5));
    expect(receiver.received.map((r) => r.headers['webhook-id']).sort()).toEqual([...ids].sort());
    const first = payloads.find((p) => p.data.sequence === 1)!;
    expect(first).toMatchObject({ type: 'charge.succeeded', data: { id: ids[0], subscription_id: subscription.id, sequence: 1, data: { cycle: 1 } } });
    expect(first.timestamp).toBe(first.data.occurred_at);
    expect(receiver.received[0]!.headers['content-type']).toBe('application/json');
    // A wrong secret does not verify.
    const other = await addWebhookEndpoint(deps(), { url: receiver.url, eventTypes: ['refund.failed'] });
    expect(() => receiver.verified(other.secret)).toThrow(/signature/);
    const rows = await database.db.execute<{ status: string; attempts: number }>(
      sql`select status, attempts from webhook_deliveries where endpoint_id = ${endpoint.id}`,
    );
    expect(rows.map((r) => [r.status, Number(r.attempts)])).toEqual(Array(5).fill(['delivered', 1]));
  });

  it('a receiver answering 500 for a while, then 200, gets every event, no gap after sorting; retries keep the webhook-id', async () => {
    const { receiver, subscription, endpoint } = await setUp((_request, index) =>
      index < 8 ? { status: 500, body: 'down for maintenance' } : { status: 200 },
    );
    await appendEvents(database.db, subscription.id, 10);
    const delivered = () => receiver.received.filter((_r, i) => i >= 8);
    await waitUntil('10 events answered 200', () => delivered().length >= 10);
    const ok = delivered().map((r) => r.payload);
    expect(sequences(ok)).toEqual(range(10));
    const failedIds = new Set(receiver.received.slice(0, 8).map((r) => r.headers['webhook-id']));
    const okIds = new Set(delivered().map((r) => r.headers['webhook-id']));
    for (const id of failedIds) expect(okIds.has(id)).toBe(true);
    receiver.verified(endpoint.secret);
    const attempts = await database.db.execute<{ status_code: number; response_body: string }>(sql`
      select a.status_code, a.response_body from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id
      where d.endpoint_id = ${endpoint.id} and a.status_code = 500`);
    expect(attempts.length).toBe(8);
    expect(attempts[0]!.response_body).toBe('down for maintenance');
  });

  it('410 Gone disables the endpoint (reason gone) and fails its pending deliveries; later events are not sent', async () => {
    const { receiver, subscription, endpoint } = await setUp(() => ({ status: 410 }));
    await appendEvents(database.db, subscription.id, 3);
    await waitUntil('the endpoint disabled', async () => (await getWebhookEndpoint(deps(), endpoint.id)).status === 'disabled');
    expect(await getWebhookEndpoint(deps(), endpoint.id)).toMatchObject({ status: 'disabled', disabledReason: 'gone' });
    await waitUntil('the metric', () => metrics.disabled.some((d) => d.endpointId === endpoint.id && d.reason === 'gone'));
    await waitUntil('no pending delivery', async () => {
      const [row] = await database.db.execute<{ n: number }>(
        sql`select count(*)::int as n from webhook_deliveries where endpoint_id = ${endpoint.id} and status = 'pending'`,
      );
      return row!.n === 0;
    });
    const before = receiver.received.length;
    await appendEvents(database.db, subscription.id, 2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(receiver.received.length).toBe(before);
    expect(before).toBeLessThanOrEqual(3);
  });

  it('an endpoint failing for the whole retry window: deliveries failed after the schedule, endpoint disabled (failing), counted and logged', async () => {
    const { receiver, subscription, endpoint } = await setUp(() => ({ status: 503 }));
    await appendEvents(database.db, subscription.id, 1);
    await waitUntil('the endpoint disabled', async () => (await getWebhookEndpoint(deps(), endpoint.id)).status === 'disabled', 20_000);
    expect(receiver.received.length).toBe(SETTINGS.retrySchedule.length + 1);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(await getWebhookEndpoint(deps(), endpoint.id)).toMatchObject({ disabledReason: 'failing' });
    // Counted and logged right after the transaction that disabled it commits.
    await waitUntil('the metric', () => metrics.disabled.some((d) => d.endpointId === endpoint.id && d.reason === 'failing'));
    expect(lines.some((l) => l.endpointId === endpoint.id && /whole retry window/.test(l.msg))).toBe(true);
    const [row] = await database.db.execute<{ status: string; attempts: number }>(
      sql`select status, attempts from webhook_deliveries where endpoint_id = ${endpoint.id}`,
    );
    expect([row!.status, Number(row!.attempts)]).toEqual(['failed', SETTINGS.retrySchedule.length + 1]);
  });

  it('a slow endpoint does not hold back another', async () => {
    const slow = await setUp(() => ({ status: 200, delayMs: 3_000 }));
    const fast = await setUp();
    await appendEvents(database.db, slow.subscription.id, 6);
    await waitUntil('the slow endpoint busy', () => slow.receiver.received.length >= 1);
    const started = Date.now();
    await appendEvents(database.db, fast.subscription.id, 6);
    await waitUntil('6 deliveries to the fast endpoint', () => fast.receiver.received.length >= 6, 10_000);
    // The slow endpoint has 2 requests in flight (perEndpointConcurrency) for 3 s each; the fast one waits for none of them.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(slow.receiver.received.length).toBeLessThanOrEqual(SETTINGS.perEndpointConcurrency * 2);
  });

  it('two dispatchers deliver each event once', async () => {
    // Same recorder as the first: while it runs, this replica may make any endpoint's last attempt
    // (the concurrent cases' too), and each replica counts what it did (Prometheus sums replicas).
    const second = await startWebhookDispatcher({ db: database.db, sql: database.sql, settings: SETTINGS, logger, replica: 'test-b', metrics });
    try {
      const { receiver, subscription, endpoint } = await setUp();
      await appendEvents(database.db, subscription.id, 30);
      await waitUntil('30 deliveries', () => receiver.received.length >= 30);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ids = receiver.received.map((r) => r.headers['webhook-id']);
      expect(ids.length).toBe(30);
      expect(new Set(ids).size).toBe(30);
      expect(sequences(receiver.verified(endpoint.secret))).toEqual(range(30));
    } finally {
      await second.stop();
    }
  });

  it('rotate-secret: both secrets verify during the grace period; redeliver sends again with the same webhook-id', async () => {
    const { receiver, subscription, endpoint } = await setUp();
    const [id] = await appendEvents(database.db, subscription.id, 1);
    // Recorded as delivered (a delivery being attempted right now is left to that attempt).
    await waitUntil('the first delivery recorded', async () => {
      const [row] = await database.db.execute<{ status: string }>(
        sql`select status from webhook_deliveries where event_id = ${id!} and endpoint_id = ${endpoint.id}`,
      );
      return row?.status === 'delivered';
    });
    const rotated = await rotateWebhookSecret(deps(), endpoint.id, { graceMs: 60_000 });
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(rotated.previousSecretExpiresAt).not.toBeNull();
    // Counted from now: on a loaded machine a lease can run out mid-attempt and the first delivery
    // arrive twice (at least once), both signed before the rotation.
    const before = receiver.received.length;
    expect(await redeliverEvent(deps(), id!, { endpointId: endpoint.id })).toEqual({ events: 1, scheduled: 1 });
    await waitUntil('the redelivery', () => receiver.received.length > before);
    const again = receiver.received[before]!;
    expect(again.headers['webhook-id']).toBe(id);
    expect(String(again.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const { Webhook } = await import('standardwebhooks');
    for (const secret of [endpoint.secret, rotated.secret])
      expect(new Webhook(secret).verify(again.body, again.headers as Record<string, string>)).toBeTruthy();
  });

  it('/metrics: backlog and the age of the oldest pending delivery per endpoint, attempts by outcome, endpoints disabled', async () => {
    const { subscription, endpoint } = await setUp();
    const [id] = await appendEvents(database.db, subscription.id, 1);
    // A delivery due later (a retry waiting), first due a minute ago; written next to the fan-out's, as a redelivery would be.
    await database.db.execute(sql`
      insert into webhook_deliveries (event_id, endpoint_id, next_attempt_at, created_at)
      select ${id}, w.id, now() + interval '1 hour', now() - interval '60 seconds' from webhook_endpoints w where w.id = ${endpoint.id}
      on conflict (event_id, endpoint_id) do update set status = 'pending', next_attempt_at = excluded.next_attempt_at, created_at = excluded.created_at`);
    const exported = new BillingMetrics(database.db);
    exported.onWebhookAttempt(endpoint.id, 'retry');
    exported.onWebhookEndpointDisabled(endpoint.id, 'gone');
    const text = await exported.registry.metrics();
    expect(text).toMatch(new RegExp(`billing_webhook_backlog\\{endpoint="${endpoint.id}"\\} 1`));
    const age = Number(new RegExp(`billing_webhook_backlog_age_seconds\\{endpoint="${endpoint.id}"\\} ([\\d.]+)`).exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(59);
    expect(text).toContain(`billing_webhook_attempts_total{endpoint="${endpoint.id}",outcome="retry"} 1`);
    expect(text).toContain(`billing_webhook_endpoints_disabled_total{endpoint="${endpoint.id}",reason="gone"} 1`);
  });

  it('a Python receiver verifies the signature by the specification (HMAC-SHA256 of id.timestamp.body)', async () => {
    const subscription = await insertEventSubscription(database.db);
    // The secret is known only after the endpoint exists, and the URL only after the receiver listens: reserve the endpoint first.
    const endpoint = await addWebhookEndpoint(deps(), { url: 'http://127.0.0.1:9/placeholder' });
    await database.db.execute(sql`update webhook_endpoints set status = 'disabled' where id = ${endpoint.id}`);
    const receiver = spawn('python3', [fileURLToPath(new URL('../support/webhook_receiver.py', import.meta.url)), endpoint.secret], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    receiver.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitUntil('the Python receiver listening', () => /listening \d+/.test(output));
      const port = /listening (\d+)/.exec(output)![1];
      await database.db.execute(
        sql`update webhook_endpoints set url = ${`http://127.0.0.1:${port}/hooks`}, status = 'enabled', account = ${subscription.account} where id = ${endpoint.id}`,
      );
      const [id] = await appendEvents(database.db, subscription.id, 1, 'subscription.activated');
      await waitUntil('the Python receiver verified it', () => output.includes(`verified ${id} subscription.activated`));
      expect(output).not.toContain('refused');
    } finally {
      receiver.kill();
    }
  });
});
