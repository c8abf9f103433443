// /v1/webhook-endpoints over real HTTP: every answer checked against the served OpenAPI document;
// secrets only in the answers of create and rotate-secret; read-only keys may only read.
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../api/server.js';
import { EMPTY_EVENT_TYPE_ITEM } from '../../billing/event-types.js';
import type { BillingClientDeps } from '../../client/deps.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { newKey, openApiClient, type ApiClient } from './api-support.js';

let database: TestDatabase;
let server: ApiServer;
let api: ApiClient;
let readOnlyKey: string;

beforeAll(async () => {
  database = await createTestDatabase();
  // Only the database and the clock are used by these routes.
  const deps = { db: database.db, now: () => new Date() } as unknown as BillingClientDeps;
  server = await startApiServer({ host: '127.0.0.1', port: 0, deps, logger: pino({ level: 'silent' }), webhookSecretGraceMs: 3_600_000 });
  api = (await openApiClient(server.url, await newKey(database.db, 'webhooks'))).client;
  readOnlyKey = await newKey(database.db, 'reader', true);
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

it('creates, reads, changes, rotates and lists endpoints; the secret shows only on create and rotate', async () => {
  const created = await api.call<{ id: string; secret: string; eventTypes: string[] }>('POST', '/v1/webhook-endpoints', {
    body: { url: 'https://shop.example.com/hooks', eventTypes: ['charge.succeeded'], description: 'shop' },
  });
  expect(created.status).toBe(201);
  expect(created.body.secret).toMatch(/^whsec_/);
  const id = created.body.id;
  const read = await api.call('GET', '/v1/webhook-endpoints/{id}', { params: { id } });
  expect(read.status).toBe(200);
  expect(read.text).not.toContain('whsec_');
  const patched = await api.call('PATCH', '/v1/webhook-endpoints/{id}', { params: { id }, body: { eventTypes: 'all', status: 'disabled' } });
  expect(patched.body).toMatchObject({ eventTypes: null, status: 'disabled', disabledReason: 'operator' });
  const rotated = await api.call<{ secret: string; previousSecretExpiresAt: string }>('POST', '/v1/webhook-endpoints/{id}/rotate-secret', { params: { id } });
  expect(rotated.body.secret).not.toBe(created.body.secret);
  // billing.yaml's grace period (here 1 h) when the request gives none.
  expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(3_500_000);
  const listed = await api.call<{ items: Array<{ id: string }> }>('GET', '/v1/webhook-endpoints');
  expect(listed.body.items.map((e) => e.id)).toContain(id);
  expect(listed.text).not.toContain('whsec_');
  const deliveries = await api.call('GET', '/v1/webhook-endpoints/{id}/deliveries', { params: { id }, query: { limit: '5' } });
  expect(deliveries.body).toMatchObject({ attempts: [] });
});

it('refuses bad input as problem documents naming the field, and changes with a read-only key', async () => {
  const scheme = await api.call<{ errors: Array<{ field: string; message: string }> }>('POST', '/v1/webhook-endpoints', { body: { url: 'ftp://example.com' } });
  expect(scheme.status).toBe(422);
  expect(scheme.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(/has the scheme "ftp"; accepted: an http:\/\/ or https:\/\//) }]);
  const types = await api.call('POST', '/v1/webhook-endpoints', { body: { url: 'https://example.com', eventTypes: ['charge.exploded'] } });
  expect(types.status).toBe(400);
  // An empty item gets the message of every list of event types (GET /v1/events?type=, --type, --events).
  const empty = await api.call<{ errors: unknown[] }>('POST', '/v1/webhook-endpoints', {
    body: { url: 'https://example.com', eventTypes: ['charge.succeeded', ''] },
  });
  expect([empty.status, empty.body.errors]).toEqual([400, [{ field: 'eventTypes.1', message: EMPTY_EVENT_TYPE_ITEM }]]);
  const patchEmpty = await api.call<{ errors: unknown[] }>('PATCH', '/v1/webhook-endpoints/{id}', {
    params: { id: 'we_000000000000000000000000' },
    body: { eventTypes: [' '] },
  });
  expect([patchEmpty.status, patchEmpty.body.errors]).toEqual([400, [{ field: 'eventTypes.0', message: EMPTY_EVENT_TYPE_ITEM }]]);
  // PATCH takes a list or "all": a refused item is named in the list, not as "matches none of the shapes".
  const patchUnknown = await api.call<{ errors: unknown[] }>('PATCH', '/v1/webhook-endpoints/{id}', {
    params: { id: 'we_000000000000000000000000' },
    body: { eventTypes: ['charge.succeeded', 'charge.exploded'] },
  });
  expect([patchUnknown.status, patchUnknown.body.errors]).toEqual([
    400,
    [{ field: 'eventTypes.1', message: expect.stringMatching(/^must be one of: subscription\.started, /) }],
  ]);
  const unknown = await api.call('GET', '/v1/webhook-endpoints/{id}', { params: { id: 'we_000000000000000000000000' } });
  expect(unknown.status).toBe(404);
  const badId = await api.call('GET', '/v1/webhook-endpoints/{id}/deliveries', { params: { id: 'we_nope' } });
  expect(badId.status).toBe(422);
  const forbidden = await api.call('POST', '/v1/webhook-endpoints', { key: readOnlyKey, body: { url: 'https://example.com/x' } });
  expect(forbidden.status).toBe(403);
  expect((await api.call('GET', '/v1/webhook-endpoints', { key: readOnlyKey })).status).toBe(200);
});
