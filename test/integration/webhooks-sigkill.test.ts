// A dispatcher SIGKILLed mid-delivery loses nothing: the deliveries it had claimed come due again
// when their lease ends and another dispatcher makes them, with the same webhook-id.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from '../../config/billing.js';
import { startWebhookDispatcher } from '../../webhooks/dispatcher.js';
import { addWebhookEndpoint } from '../../webhooks/endpoints.js';
import { captureLogger } from '../support/log-capture.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { addEndpointForAccount, appendEvents, insertEventSubscription } from '../support/webhook-events.js';
import { spawnWebhookDispatcher } from '../support/webhook-dispatcher-process.js';
import { startWebhookReceiver, waitUntil } from '../support/webhook-receiver.js';

const SETTINGS: WebhookSettings = {
  ...DEFAULT_WEBHOOK_SETTINGS,
  retrySchedule: [100, 200],
  requestTimeout: 2_000,
  perEndpointConcurrency: 3,
  pollInterval: 50,
};
const LEASE_MS = 3_000;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

it('SIGKILL of a dispatcher mid-delivery: every event arrives, duplicates only with the same webhook-id, after the lease', async () => {
  // First sight of an id: the request hangs (the dispatcher is killed while waiting); later: 200.
  const seen = new Set<string>();
  const receiver = await startWebhookReceiver((request) => {
    const id = String(request.headers['webhook-id']);
    if (seen.has(id)) return { status: 200 };
    seen.add(id);
    return { status: 200, delayMs: 60_000 };
  });
  const subscription = await insertEventSubscription(database.db);
  const endpoint = await addEndpointForAccount(database.db, subscription.account, (tx) =>
    addWebhookEndpoint({ db: tx, now: () => new Date() }, { url: receiver.url }),
  );
  const child = await spawnWebhookDispatcher({ databaseUrl: database.url, settings: SETTINGS, leaseMs: LEASE_MS, replica: 'doomed' });
  const { logger } = captureLogger();
  let survivor: Awaited<ReturnType<typeof startWebhookDispatcher>> | undefined;
  try {
    const ids = await appendEvents(database.db, subscription.id, 5);
    await waitUntil('the child mid-delivery', () => receiver.received.length >= SETTINGS.perEndpointConcurrency);
    const inFlight = receiver.received.map((r) => String(r.headers['webhook-id']));
    await child.kill('SIGKILL');
    const killedAt = Date.now();
    survivor = await startWebhookDispatcher({ db: database.db, sql: database.sql, settings: SETTINGS, logger, replica: 'survivor' });
    const answered = () => receiver.received.filter((r, i) => receiver.received.findIndex((o) => o.headers['webhook-id'] === r.headers['webhook-id']) < i);
    // Events the child never claimed arrive first (a first sight hangs too), so count second sights of every id.
    await waitUntil('every event answered 200', () => new Set(answered().map((r) => r.headers['webhook-id'])).size === 5, 30_000);
    expect(new Set(answered().map((r) => String(r.headers['webhook-id'])))).toEqual(new Set(ids));
    const firstRetryOfKilled = receiver.received.find((r, i) => i >= inFlight.length && inFlight.includes(String(r.headers['webhook-id'])));
    // The killed claims were taken over only when their lease had run out (less the time to claim after the kill).
    expect(firstRetryOfKilled!.at - killedAt).toBeGreaterThan(LEASE_MS - 1_500);
    expect(sequencesOf(receiver.verified(endpoint.secret))).toEqual([1, 2, 3, 4, 5]);
    const deliveries = () =>
      database.db.execute<{ event_id: string; status: string; attempts: number }>(
        sql`select event_id, status, attempts from webhook_deliveries where endpoint_id = ${endpoint.id}`,
      );
    // The receiver sees a request before the dispatcher has its answer and records it delivered.
    await waitUntil('every delivery recorded delivered', async () => (await deliveries()).every((r) => r.status === 'delivered'), 10_000);
    const rows = await deliveries();
    // A killed attempt counts (its claim did), so a delivery that kills its dispatcher is not tried forever.
    for (const id of inFlight) expect(Number(rows.find((r) => r.event_id === id)!.attempts)).toBeGreaterThanOrEqual(2);
  } finally {
    await child.kill('SIGKILL');
    await survivor?.stop();
    await receiver.close();
  }
});

function sequencesOf(payloads: Array<{ data: { sequence: number } }>): number[] {
  return [...new Set(payloads.map((p) => p.data.sequence))].sort((a, b) => a - b);
}
