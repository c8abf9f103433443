// `billing webhooks …` and `billing events redeliver|listen` (and `events list`'s refusals) as a user runs them (node client/bin.js),
// against a test database; deliveries made by an in-process dispatcher to real loopback receivers.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_SETTINGS } from '../../config/billing.js';
import { CURSOR_REFUSED } from '../../client/events.js';
import { NotFoundError } from '../../client/errors.js';
import { sinceOption } from '../../client/commands/events-delivery.js';
import { startWebhookDispatcher, type WebhookDispatcher } from '../../webhooks/dispatcher.js';
import { addWebhookEndpoint, updateWebhookEndpoint } from '../../webhooks/endpoints.js';
import { redeliverSince } from '../../webhooks/redeliver.js';
import { captureLogger } from '../support/log-capture.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { appendEvents, insertEventSubscription, restrictEndpointToAccount } from '../support/webhook-events.js';
import { startWebhookReceiver, waitUntil, type WebhookReceiver } from '../support/webhook-receiver.js';

const ROOT = resolve(import.meta.dirname, '../..');
let database: TestDatabase;
let dispatcher: WebhookDispatcher;
let dir: string;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  deps.db = database.db;
  dir = await mkdtemp(join(tmpdir(), 'billing-webhooks-cli-'));
  await writeFile(join(dir, 'billing.yaml'), 'webhooks:\n  retrySchedule: ["100ms"]\n  pollInterval: 50ms\n  requestTimeout: 2s\n');
  dispatcher = await startWebhookDispatcher({
    db: database.db,
    sql: database.sql,
    settings: { ...DEFAULT_WEBHOOK_SETTINGS, retrySchedule: [100], pollInterval: 50 },
    logger: captureLogger().logger,
    replica: 'cli-test',
  });
});
afterAll(async () => {
  await dispatcher?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function billing(
  args: string[],
  options: { untilStderr?: RegExp; onReady?: () => Promise<void> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'client/bin.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: database.url, BILLING_CONFIG: join(dir, 'billing.yaml'), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let readied = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!readied && options.untilStderr?.test(stderr)) {
        readied = true;
        void options.onReady!().then(
          () => child.kill('SIGINT'),
          (error: unknown) => {
            child.kill('SIGKILL');
            reject(error as Error);
          },
        );
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function receiver(): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver((_request, index) => (index === 0 ? { status: 500, body: 'first one fails' } : { status: 200, body: 'ok' }));
  receivers.push(r);
  return r;
}

const deps = { db: undefined as unknown as TestDatabase['db'], now: () => new Date() };

describe.concurrent('billing webhooks', () => {
  it('add prints the secret once; list, deliveries, disable, enable, rotate-secret; the secret never shows again', async () => {
    const r = await receiver();
    const added = await billing(['webhooks', 'add', r.url, '--events', 'charge.succeeded,charge.failed', '--description', 'shop backend']);
    expect(added.code, added.stderr).toBe(0);
    const secret = /(whsec_[A-Za-z0-9+/=]+)/.exec(added.stdout)![1]!;
    const id = /(we_[0-9a-f]{24})/.exec(added.stdout)![1]!;
    expect(added.stdout).toContain('charge.succeeded, charge.failed');
    const subscription = await insertEventSubscription(database.db);
    // Its types are none the other case appends (subscription.paused, .resumed).
    await restrictEndpointToAccount(database.db, id, subscription.account);
    await appendEvents(database.db, subscription.id, 1, 'charge.succeeded');
    await appendEvents(database.db, subscription.id, 1, 'refund.failed');
    await waitUntil('the retried delivery', () => r.received.length >= 2);
    expect(new Webhook(secret).verify(r.received[1]!.body, r.received[1]!.headers as Record<string, string>)).toMatchObject({ type: 'charge.succeeded' });

    const deliveries = await billing(['webhooks', 'deliveries', id]);
    expect(deliveries.code, deliveries.stderr).toBe(0);
    expect(deliveries.stdout).toMatch(/charge\.succeeded\s+2\s+200\s+\d+ ms\s+delivered\s+ok/);
    expect(deliveries.stdout).toMatch(/charge\.succeeded\s+1\s+500\s+\d+ ms\s+delivered\s+first one fails/);
    expect((await billing(['webhooks', 'disable', id])).stdout).toMatch(/is disabled/);
    const listed = await billing(['webhooks', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`${id}.*disabled \\(operator\\)`));
    expect(listed.stdout).not.toContain('whsec_');
    await updateWebhookEndpoint(deps, id, { enabled: true });
    const rotated = await billing(['webhooks', 'rotate-secret', id, '--grace', '1h']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(/(whsec_[A-Za-z0-9+/=]+)/.exec(rotated.stdout)![1]).not.toBe(secret);
    expect(rotated.stdout).toMatch(/old secret also signs until/);
  });

  it('refuses bad input with one line saying what is accepted, and writes nothing', async () => {
    const types = await billing(['webhooks', 'add', 'https://example.com/refused', '--events', 'charge.succeeded,charge.exploded']);
    expect(types.code).toBe(2);
    expect(types.stderr).toMatch(/^error: --events names unknown event type "charge\.exploded"; accepted: subscription\.started, /);
    expect(types.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    const redeliverUnknown = await billing(['events', 'redeliver', 'evt_00000000000000000000000000000000']);
    expect([redeliverUnknown.code, redeliverUnknown.stderr.trim()]).toEqual([3, 'error: Event evt_00000000000000000000000000000000 not found']);
    // The library behind the CLI and the API, without a process each.
    await expect(addWebhookEndpoint(deps, { url: 'ftp://example.com/refused' })).rejects.toThrow(
      /url has the scheme "ftp"; accepted: an http:\/\/ or https:\/\/ URL/,
    );
    const secretInUrl = addWebhookEndpoint(deps, { url: 'https://user:hunter2@example.com/refused' });
    await expect(secretInUrl).rejects.toThrow(/contains a user name or password/);
    await expect(secretInUrl).rejects.not.toThrow(/hunter2/);
    await expect(updateWebhookEndpoint(deps, 'we_nope', { enabled: false })).rejects.toThrow(/must be a webhook endpoint id/);
    await expect(updateWebhookEndpoint(deps, 'we_000000000000000000000000', { enabled: true })).rejects.toBeInstanceOf(NotFoundError);
    await expect(redeliverSince(deps, new Date(Date.now() + 60_000))).rejects.toThrow(/must be a time in the past/);
    expect(() => sinceOption('yesterday', new Date())).toThrow(/must be a time in the past with its offset/);
    expect(() => sinceOption('0s', new Date())).toThrow(/, got "0s", which is now/);
    expect(sinceOption('2h', new Date('2026-01-01T12:00:00Z'))).toEqual(new Date('2026-01-01T10:00:00Z'));
    const refused = await database.db.execute(sql`select 1 from webhook_endpoints where url like '%/refused'`);
    expect(refused).toHaveLength(0);
  });

  it('events list --after: a made-up cursor is refused in one line (the refusals made before connecting are in test/unit/client/cli-options.test.ts)', async () => {
    // base64url of "999999999.0": the shape of a cursor, but no cursor the event log gave out.
    const forged = Buffer.from('999999999.0').toString('base64url');
    const run = await billing(['events', 'list', '--after', forged]);
    expect([run.code, run.stdout, run.stderr]).toEqual([2, '', `error: --after ${CURSOR_REFUSED}\n`]);
  });

  it('events redeliver --since sends again with the same webhook-id; events listen prints and forwards signed events', async () => {
    const r = await startWebhookReceiver();
    receivers.push(r);
    const subscription = await insertEventSubscription(database.db);
    const listenedIds: string[] = [];
    const listened = await billing(['events', 'listen', '--forward-to', r.url, '--events', 'subscription.paused'], {
      untilStderr: /Ready\. Forwarding/,
      async onReady() {
        listenedIds.push(...(await appendEvents(database.db, subscription.id, 2, 'subscription.paused')));
        await appendEvents(database.db, subscription.id, 1, 'subscription.resumed');
        await waitUntil('2 forwarded events', () => r.received.length >= 2);
      },
    });
    expect(listened.code, listened.stderr).toBe(0);
    const secret = /(whsec_[A-Za-z0-9+/=]+)/.exec(listened.stderr)![1]!;
    expect(r.verified(secret).map((p) => p.data.id)).toEqual(listenedIds);
    expect(listened.stdout).toMatch(new RegExp(`subscription\\.paused  ${listenedIds[0]}  ${subscription.id} #1 → 200`));
    expect(listened.stdout).not.toContain('subscription.resumed');

    // Its types are none the other case appends (charge.succeeded, refund.failed).
    const added = await billing(['webhooks', 'add', r.url, '--events', 'subscription.paused,subscription.resumed', '--json']);
    const endpoint = JSON.parse(added.stdout) as { id: string; secret: string };
    await restrictEndpointToAccount(database.db, endpoint.id, subscription.account);
    // Events from before the endpoint existed reach it only by redelivery.
    const redelivered = await billing(['events', 'redeliver', '--since', '1h', '--endpoint', endpoint.id, '--json']);
    // Every event of the hour is counted (the other case appends some too); 3 are this endpoint's.
    expect(JSON.parse(redelivered.stdout)).toEqual({ events: expect.any(Number), scheduled: 3 });
    expect((JSON.parse(redelivered.stdout) as { events: number }).events).toBeGreaterThanOrEqual(3);
    await waitUntil('3 redeliveries', () => r.received.length >= 5);
    const again = r.received.slice(2).map((x) => new Webhook(endpoint.secret).verify(x.body, x.headers as Record<string, string>) as { data: { id: string } });
    expect(again).toHaveLength(3);
    expect(again.map((p) => p.data.id)).toEqual(expect.arrayContaining(listenedIds));
    // An event the endpoint does not take (its type): nothing is sent, and the line says why, not "no endpoint".
    const [refused] = await appendEvents(database.db, subscription.id, 1, 'refund.failed');
    const untaken = await billing(['events', 'redeliver', refused!, '--endpoint', endpoint.id]);
    expect([untaken.code, untaken.stderr, untaken.stdout]).toEqual([
      0,
      '',
      `Nothing to redeliver: endpoint ${endpoint.id} does not take this event (by event type and account; see \`billing webhooks list\`), or its delivery is being attempted right now.\n`,
    ]);
  });
});
