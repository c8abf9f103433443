// The HTTP API over real HTTP against the real stack (daemon with its workers, Temporal dev
// server, PostgreSQL, the Amazon Pay simulator): every endpoint's success path, each error
// class, fuzzed bodies, and a Python client. Every response is checked against the served
// OpenAPI document (api-support.ts).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from '../../api/routes/dashboard.js';
import { EMPTY_EVENT_TYPE_ITEM } from '../../billing/event-types.js';
import { revokeApiKey, listApiKeys } from '../../client/api-keys.js';
import { CURSOR_REFUSED } from '../../client/events.js';
import type { Daemon } from '../../daemon/run.js';
import { eventually } from '../support/billing-harness.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { newKey, openApiClient, startBody, type ApiClient } from './api-support.js';
import { connectTestTemporal, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('HTTP API /v1 against the real stack', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  let api: ApiClient;
  let key: string;
  const taskQueues = uniqueTaskQueues();

  const permission = async (options: { firstCharge?: string; currency?: string } = {}): Promise<{ cp: string; firstChargeId: string | null }> => {
    const created = await sim.control.createChargePermission({
      type: 'Recurring',
      currency: options.currency ?? 'USD',
      ...(options.firstCharge ? { firstCharge: { amount: options.firstCharge } } : {}),
    });
    return { cp: created.chargePermission.chargePermissionId, firstChargeId: created.firstChargeId };
  };
  // idempotency: claims and stored responses; a key released after a 5xx blocks nothing and is not counted.
  const counts = async (): Promise<{ subscriptions: number; idempotency: number; refunds: number }> => {
    const [row] = await database.db.execute<{ s: string; i: string; r: string }>(
      sql`select (select count(*) from subscriptions) as s, (select count(*) from idempotency_keys where state <> 'released') as i, (select count(*) from refunds) as r`,
    );
    return { subscriptions: Number(row?.s), idempotency: Number(row?.i), refunds: Number(row?.r) };
  };

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator();
    daemon = await startTestDaemon({
      database,
      taskQueues,
      amazonPay: sim.amazonPay,
      signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
    });
    key = await newKey(database.db, 'integration');
    ({ client: api } = await openApiClient(daemon.apiUrl, key));
  });
  afterAll(async () => {
    await daemon?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('starts a subscription (201), answers a repeat with the same one (200), refuses other terms (409)', async () => {
    const { cp } = await permission();
    const first = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-start-1', cp) });
    expect(first.status).toBe(201);
    expect(first.body.created).toBe(true);
    expect(first.body.subscription).toMatchObject({
      id: 'api-start-1',
      account: null,
      status: 'active',
      chargePermissionId: cp,
      plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month', count: 1 } },
    });
    const again = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-start-1', cp) });
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    const other = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('api-start-1', cp, { plan: { price: { amount: '15.00', currency: 'USD' }, interval: { unit: 'month' } } }),
    });
    expect(other.status).toBe(409);
    expect(other.body.type).toBe('urn:amazon-pay-billing:problem:conflict');
    // Each differing term under the name the client sent it by (api/fields.ts), in the detail and in errors.
    expect(other.body.detail).toBe('Subscription api-start-1 already exists with different terms: plan.price.amount 14.00 USD ≠ 15.00 USD');
    expect(other.body.errors).toEqual([{ field: 'plan.price.amount', message: 'is 14.00 USD in the existing subscription, got 15.00 USD' }]);
    // The zone of the default anchor is named zone, as sent (not anchor.zone); bad optional fields by their body paths.
    const named = await api.call<Body>('POST', '/v1/subscriptions', {
      body: {
        ...startBody('api-start-2', cp, {
          softDescriptor: 'x'.repeat(17),
          merchantMetadata: { merchantReferenceId: '' },
          plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month', count: 5000 } },
        }),
        anchor: undefined,
        zone: 'Mars/Olympus',
      },
    });
    expect(named.status).toBe(422);
    expect(named.body.errors.map((e: Body) => e.field)).toEqual(['zone']);
    const optional = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('api-start-2', cp, {
        softDescriptor: 'x'.repeat(17),
        merchantMetadata: { merchantReferenceId: '' },
        plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month', count: 5000 } },
      }),
    });
    expect(optional.status).toBe(422);
    expect(optional.body.errors.map((e: Body) => e.field)).toEqual(['plan.interval.count', 'softDescriptor', 'merchantMetadata.merchantReferenceId']);
    expect(optional.body.detail).toMatch(/^plan\.interval\.count must be a whole number from 1 to 1000/);
  });

  it('reads a subscription with its live state and history; lists with filters and cursor pages', async () => {
    const ids = ['api-list-a', 'api-list-b', 'api-list-c'];
    for (const id of ids) expect((await api.call('POST', '/v1/subscriptions', { body: startBody(id, (await permission()).cp) })).status).toBe(201);
    const details = await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-list-b' } });
    expect(details.status).toBe(200);
    expect(details.body.subscription.id).toBe('api-list-b');
    expect(details.body.workflow.status).toBe('RUNNING');
    expect(details.body.live).toMatchObject({ status: 'active', paused: false, plan: { price: { amount: '14.00', currency: 'USD' } } });
    expect(details.body.history[0]).toMatchObject({ toStatus: 'active' });

    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await api.call<Body>('GET', '/v1/subscriptions', { query: { status: 'active', limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((s: Body) => s.id as string));
      cursor = res.body.nextCursor ?? undefined;
      if (!cursor) break;
    }
    for (const id of ids) expect(seen).toContain(id);
    expect(seen).toEqual([...seen].sort());
    const byPermission = await api.call<Body>('GET', '/v1/subscriptions', { query: { chargePermissionId: details.body.subscription.chargePermissionId } });
    expect(byPermission.body.items.map((s: Body) => s.id)).toEqual(['api-list-b']);
    // A cursor belongs to its filters: with others it is refused, naming them.
    const firstPage = await api.call<Body>('GET', '/v1/subscriptions', { query: { status: 'active', limit: '1' } });
    expect(firstPage.body.nextCursor).toEqual(expect.any(String));
    const otherFilter = await api.call<Body>('GET', '/v1/subscriptions', { query: { status: 'paused', limit: '1', cursor: firstPage.body.nextCursor } });
    expect(otherFilter.status).toBe(422);
    expect(otherFilter.body.errors).toEqual([
      { field: 'querystring.cursor', message: expect.stringMatching(/^was made for other filters than this request's \(status=paused\)/) },
    ]);
    const bad = await api.call<Body>('GET', '/v1/subscriptions', { query: { cursor: 'nonsense' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ field: 'querystring.cursor', message: expect.stringMatching(/not a cursor/) }]);
    const badStatus = await api.call<Body>('GET', '/v1/subscriptions', { query: { status: 'sleeping' } });
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.errors[0].field).toBe('querystring.status');
  });

  it('pauses, resumes, changes the plan, cancels at period end and now; a finished subscription refuses changes (409)', async () => {
    const { cp } = await permission();
    await api.call('POST', '/v1/subscriptions', { body: startBody('api-life', cp) });
    const paused = await api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'api-life' }, body: { reason: 'buyer asked for a break' } });
    expect(paused.status).toBe(200);
    // The answer shows the state after the change: the status the workflow wrote, not the one before it.
    expect(paused.body.live).toMatchObject({ paused: true, status: 'paused', statusReason: 'buyer asked for a break' });
    expect((await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-life' } })).body.subscription).toMatchObject({ status: 'paused' });
    const resumed = await api.call<Body>('POST', '/v1/subscriptions/{id}/resume', { params: { id: 'api-life' }, body: { reason: 'buyer is back' } });
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.body.live).toMatchObject({ status: 'active', paused: false, statusReason: 'buyer is back' });
    expect((await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-life' } })).body.subscription).toMatchObject({ status: 'active' });
    const changed = await api.call<Body>('POST', '/v1/subscriptions/{id}/plan', {
      params: { id: 'api-life' },
      body: { price: { amount: '19.00', currency: 'USD' } },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      subscriptionId: 'api-life',
      plan: { price: { amount: '19.00', currency: 'USD' }, interval: { unit: 'month', count: 1 } },
    });
    const wrongCurrency = await api.call<Body>('POST', '/v1/subscriptions/{id}/plan', {
      params: { id: 'api-life' },
      body: { price: { amount: '19.00', currency: 'EUR' } },
    });
    expect(wrongCurrency.status).toBe(422);
    expect(wrongCurrency.body.errors[0].field).toBe('price.currency');
    const empty = await api.call<Body>('POST', '/v1/subscriptions/{id}/plan', { params: { id: 'api-life' }, body: {} });
    expect(empty.status).toBe(400);
    const atEnd = await api.call<Body>('POST', '/v1/subscriptions/{id}/cancel', { params: { id: 'api-life' }, body: { mode: 'at_period_end' } });
    expect(atEnd.body).toMatchObject({
      mode: 'at_period_end',
      live: { cancelAtPeriodEnd: true, nextBillingAt: null, endsAt: expect.stringMatching(/^20\d\d-/) },
      stopAtPeriodEnd: { reason: 'stopped by an operator', workflowRunning: true },
    });
    const recorded = await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-life' } });
    expect(recorded.body.subscription.stopAtPeriodEnd).toMatchObject({ reason: 'stopped by an operator', afterCycle: expect.any(Number) });
    const now = await api.call<Body>('POST', '/v1/subscriptions/{id}/cancel', { params: { id: 'api-life' }, body: { mode: 'now', reason: 'buyer cancelled' } });
    expect(now.body).toEqual({ subscriptionId: 'api-life', mode: 'now', live: null, stopAtPeriodEnd: null });
    let refused: { status: number; body: Body } = { status: 0, body: {} };
    for (let i = 0; i < 40 && refused.status !== 409; i++) {
      refused = await api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'api-life' } });
      if (refused.status !== 409) await new Promise((r) => setTimeout(r, 250));
    }
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/already finished/);
  });

  it('cancels a subscription whose workflow was terminated: the cancel is recorded and the subscription canceled with the reason (issue 13)', async () => {
    const { cp } = await permission();
    expect((await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-cancel-terminated', cp) })).status).toBe(201);
    await eventually(
      () => api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-cancel-terminated' } }),
      (r) => r.body.subscription?.nextBillingAt != null,
      { timeoutMs: 20_000, what: 'the first status write' },
    );
    await temporal.client.workflow.getHandle('subscription-api-cancel-terminated').terminate('worker host lost');
    const pause = await api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'api-cancel-terminated' } });
    expect(pause.status).toBe(409);
    expect(pause.body.detail).toMatch(/its workflow is not running \(workflow terminated, status active\); run `billing repair api-cancel-terminated` first/);
    // A cancel at period end is recorded, not refused: billing is not running, and a repair finishes it.
    const atEnd = await api.call<Body>('POST', '/v1/subscriptions/{id}/cancel', {
      params: { id: 'api-cancel-terminated' },
      body: { mode: 'at_period_end', reason: 'buyer leaves' },
    });
    expect(atEnd.status).toBe(200);
    expect(atEnd.body).toMatchObject({ mode: 'at_period_end', live: null, stopAtPeriodEnd: { reason: 'buyer leaves', workflowRunning: false } });
    const pending = await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-cancel-terminated' } });
    expect(pending.body.subscription).toMatchObject({ status: 'active', stopAtPeriodEnd: { reason: 'buyer leaves' } });
    const now = await api.call<Body>('POST', '/v1/subscriptions/{id}/cancel', {
      params: { id: 'api-cancel-terminated' },
      body: { mode: 'now', reason: 'buyer cancelled' },
    });
    expect(now.status).toBe(200);
    expect(now.body).toEqual({ subscriptionId: 'api-cancel-terminated', mode: 'now', live: null, stopAtPeriodEnd: null });
    const read = await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-cancel-terminated' } });
    expect(read.body.subscription).toMatchObject({ status: 'canceled', statusReason: 'buyer cancelled' });
    const again = await api.call<Body>('POST', '/v1/subscriptions/{id}/cancel', { params: { id: 'api-cancel-terminated' }, body: { mode: 'now' } });
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already finished \(workflow terminated, status canceled\)/);
  });

  it('reads a charge, refunds part of it, refuses more than is refundable', async () => {
    const { cp, firstChargeId } = await permission({ firstCharge: '14.00' });
    expect(firstChargeId).not.toBeNull();
    const started = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-refund', cp, { firstChargeId }) });
    expect(started.status).toBe(201);
    // The workflow records the checkout charge as cycle 0 with its first task.
    const charge = await eventually(
      () => api.call<Body>('GET', '/v1/charges/{chargeId}', { params: { chargeId: firstChargeId! } }),
      (r) => r.status === 200,
      { timeoutMs: 20_000, what: 'the checkout charge in the ledger' },
    );
    expect(charge.status).toBe(200);
    expect(charge.body).toMatchObject({
      subscriptionId: 'api-refund',
      charge: { chargeId: firstChargeId, cycle: 0, state: 'Captured', amount: { amount: '14.00', currency: 'USD' } },
      refundable: { amount: '14.00', currency: 'USD' },
    });
    const refund = await api.call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
      params: { chargeId: firstChargeId! },
      body: { amount: { amount: '4.00', currency: 'USD' }, reason: 'partial month' },
    });
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({
      subscriptionId: 'api-refund',
      refund: { seq: 1, amount: { amount: '4.00', currency: 'USD' }, state: 'RefundInitiated' },
      remaining: { amount: '10.00', currency: 'USD' },
      resent: false,
    });
    const tooMuch = await api.call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
      params: { chargeId: firstChargeId! },
      body: { amount: { amount: '20.00', currency: 'USD' } },
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.errors).toEqual([{ field: 'amount.amount', message: expect.stringMatching(/exceeds what is refundable: 10.00 USD/) }]);
    const unknown = await api.call<Body>('GET', '/v1/charges/{chargeId}', { params: { chargeId: 'S01-1234567-1234567-C999999' } });
    expect(unknown.status).toBe(404);
    const detail = await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-refund' } });
    expect(detail.body.charges).toHaveLength(1);
    expect(detail.body.refunds).toHaveLength(1);
  });

  it('previews the schedule the workflow bills by', async () => {
    const res = await api.call<Body>('GET', '/v1/schedule-preview', {
      query: { interval: 'month', anchor: '2025-01-31T09:00', zone: 'America/New_York', count: '4' },
    });
    expect(res.status).toBe(200);
    expect(res.body.items.map((c: Body) => c.dueAt)).toEqual([
      '2025-01-31T14:00:00.000Z',
      '2025-02-28T14:00:00.000Z',
      '2025-03-31T13:00:00.000Z',
      '2025-04-30T13:00:00.000Z',
    ]);
    const badZone = await api.call<Body>('GET', '/v1/schedule-preview', { query: { interval: 'month', zone: 'Mars/Olympus' } });
    expect(badZone.status).toBe(422);
    expect(badZone.body.errors).toEqual([{ field: 'querystring.zone', message: expect.stringMatching(/IANA time zone/) }]);
    // A yearly plan reaches the last computable date (year 275760) long before fromCycle's 1,000,000: the 422 names the real limit.
    const far = await api.call<Body>('GET', '/v1/schedule-preview', {
      query: { interval: 'year', anchor: '2025-01-01T00:00', count: '2', fromCycle: '1000000' },
    });
    expect(far.status).toBe(422);
    expect(far.body.errors).toEqual([
      { field: 'querystring.fromCycle', message: 'must be at most 273734 for 2 dates of this plan: its last computable cycle is 273735, got 1000000' },
    ]);
    expect(far.body.detail).toBe(`querystring.fromCycle ${far.body.errors[0].message}`);
    const last = await api.call<Body>('GET', '/v1/schedule-preview', {
      query: { interval: 'year', anchor: '2025-01-01T00:00', count: '2', fromCycle: '273734' },
    });
    expect(last.status).toBe(200);
  });

  it('authentication: none, wrong or revoked key 401; read-only key reads but cannot write (403)', async () => {
    const none = await api.call<Body>('GET', '/v1/subscriptions', { key: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await api.call('GET', '/v1/subscriptions', { key: 'bk_not-a-real-key' })).status).toBe(401);
    expect((await api.call('GET', '/v1/subscriptions', { key: 'something-else' })).status).toBe(401);
    const readOnly = await newKey(database.db, 'reporting', true);
    expect((await api.call('GET', '/v1/subscriptions', { key: readOnly })).status).toBe(200);
    const before = await counts();
    const forbidden = await api.call<Body>('POST', '/v1/subscriptions', { key: readOnly, body: startBody('api-ro', (await permission()).cp) });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.type).toBe('urn:amazon-pay-billing:problem:forbidden');
    expect(await counts()).toEqual(before);
    const revoked = await newKey(database.db, 'leaked');
    expect((await api.call('GET', '/v1/subscriptions', { key: revoked })).status).toBe(200);
    const keys = await listApiKeys({ db: database.db, now: () => new Date() });
    const leaked = keys.find((k) => k.name === 'leaked')!;
    expect(leaked.lastUsedAt).not.toBeNull();
    expect(revoked.startsWith(leaked.prefix)).toBe(true);
    await revokeApiKey({ db: database.db, now: () => new Date() }, leaked.id);
    const after = await api.call<Body>('GET', '/v1/subscriptions', { key: revoked });
    expect(after.status).toBe(401);
    expect(after.body.detail).toMatch(/revoked/);
    // Only hashes are stored.
    const stored = await database.db.execute<{ hash: string }>(sql`select hash from api_keys`);
    expect(stored.every((r) => /^[0-9a-f]{64}$/.test(r.hash) && r.hash !== revoked)).toBe(true);
  });

  it("maps the library's typed errors: 404, 422 invalid input, 422 not chargeable, 503 with Retry-After when Amazon Pay is down", async () => {
    const missing = await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'nope-404' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ type: 'urn:amazon-pay-billing:problem:not-found', status: 404, instance: '/v1/subscriptions/nope-404' });
    expect((await api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'nope-404' } })).status).toBe(404);
    const route = await fetch(`${daemon.apiUrl}/v2/whatever`, { headers: { authorization: `Bearer ${key}` } });
    expect(route.status).toBe(404);
    expect(route.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const invalid = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('bad id!', 'S01-123', { plan: { price: { amount: '-5', currency: 'USD' }, interval: { unit: 'month' } } }),
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors.map((e: Body) => e.field)).toEqual(['plan.price.amount']);
    const invalid2 = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('good-id', 'S01-123') });
    expect(invalid2.status).toBe(422);
    expect(invalid2.body.errors).toEqual([{ field: 'chargePermissionId', message: expect.stringMatching(/must look like "S01-1234567-1234567"/) }]);
    const invalid3 = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('bad id!', 'S01-1234567-1234567') });
    expect(invalid3.body.errors.map((e: Body) => e.field)).toEqual(['id']);
    // null, as subscriptions are served, is accepted.
    expect((await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-acct-null', (await permission()).cp, { account: null }) })).status).toBe(
      201,
    );
    const reserved = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-acct', (await permission()).cp, { account: 'eu' }) });
    expect(reserved.status).toBe(422);
    expect(reserved.body.errors[0].field).toBe('account');

    const { cp } = await permission();
    await sim.control.closeChargePermission(cp, 'buyer');
    const closed = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-closed', cp) });
    expect(closed.status).toBe(422);
    expect(closed.body.type).toBe('urn:amazon-pay-billing:problem:charge-permission-not-chargeable');

    const before = await counts();
    const { cp: cp2 } = await permission();
    await sim.control.setFaults({ error503Rate: 1 });
    try {
      const down = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-down', cp2), idempotencyKey: 'down-1' });
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(down.body.type).toBe('urn:amazon-pay-billing:problem:service-unavailable');
    } finally {
      await sim.control.setFaults({ error503Rate: 0 });
    }
    expect(await counts()).toEqual(before);
    // The key stays bound to its request through the 503: another body with it is refused, not run.
    const reused = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-down-other', cp2), idempotencyKey: 'down-1' });
    expect(reused.status, reused.text).toBe(422);
    expect(reused.body.type).toBe('urn:amazon-pay-billing:problem:idempotency-key-reused');
    expect((await counts()).subscriptions).toBe(before.subscriptions);
    // A 503 is not stored: the same key runs again once Amazon Pay is back.
    const retried = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-down', cp2), idempotencyKey: 'down-1' });
    expect(retried.status).toBe(201);
  });

  it('fuzzed bodies get 4xx problem documents and nothing is written', async () => {
    const { cp } = await permission();
    const before = await counts();
    const cases: Array<{ what: string; options: Parameters<ApiClient['call']>[2]; status: number; type: string }> = [
      { what: 'invalid JSON', options: { rawBody: '{"id": "x", ' }, status: 400, type: 'invalid-json' },
      { what: 'empty JSON body', options: { rawBody: '' }, status: 400, type: 'invalid-json' },
      { what: 'a JSON string', options: { rawBody: '"hello"' }, status: 400, type: 'invalid-request' },
      { what: 'an array', options: { body: [startBody('api-fuzz', cp)] }, status: 400, type: 'invalid-request' },
      {
        what: 'wrong types',
        options: { body: { id: 42, chargePermissionId: true, plan: { price: { amount: 14, currency: 'USD' }, interval: { unit: 'month', count: '1' } } } },
        status: 400,
        type: 'invalid-request',
      },
      {
        what: 'a float amount',
        options: { body: startBody('api-fuzz', cp, { plan: { price: { amount: 14.0, currency: 'USD' }, interval: { unit: 'month' } } }) },
        status: 400,
        type: 'invalid-request',
      },
      { what: 'an unknown field', options: { body: startBody('api-fuzz', cp, { amountt: '14.00' }) }, status: 400, type: 'invalid-request' },
      {
        what: 'a nested unknown field',
        options: { body: startBody('api-fuzz', cp, { plan: { price: { amount: '14.00', currency: 'USD', tax: '1' }, interval: { unit: 'month' } } }) },
        status: 400,
        type: 'invalid-request',
      },
      { what: 'a huge id', options: { body: startBody('x'.repeat(10_000), cp) }, status: 400, type: 'invalid-request' },
      {
        what: 'a huge amount string',
        options: { body: startBody('api-fuzz', cp, { plan: { price: { amount: '9'.repeat(5_000), currency: 'USD' }, interval: { unit: 'month' } } }) },
        status: 400,
        type: 'invalid-request',
      },
      {
        what: 'an amount with 16 digits',
        options: { body: startBody('api-fuzz', cp, { plan: { price: { amount: '9'.repeat(16), currency: 'USD' }, interval: { unit: 'month' } } }) },
        status: 422,
        type: 'invalid-input',
      },
      {
        what: 'a 2 MB body',
        options: { body: startBody('api-fuzz', cp, { softDescriptor: 'x'.repeat(2 * 1024 * 1024) }) },
        status: 413,
        type: 'body-too-large',
      },
      { what: 'text/plain', options: { rawBody: 'id=1', contentType: 'text/plain' }, status: 415, type: 'unsupported-media-type' },
      { what: 'a prototype-pollution key', options: { rawBody: `{"__proto__": {"admin": true}, "id": "api-fuzz"}` }, status: 400, type: 'invalid-request' },
      {
        what: 'a constructor key',
        options: { rawBody: `{"constructor": {"prototype": {"admin": true}}, "id": "api-fuzz"}` },
        status: 400,
        type: 'invalid-request',
      },
      {
        what: 'bytes that are not UTF-8',
        options: { rawBody: Buffer.concat([Buffer.from('{"id": "api-fuzz'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]) },
        status: 400,
        type: 'invalid-json',
      },
      {
        what: 'a lone surrogate escape',
        options: { rawBody: JSON.stringify(startBody('api-fuzz', cp, { softDescriptor: 'SHOP' })).replace('SHOP', 'SH\\ud800OP') },
        status: 400,
        type: 'invalid-request',
      },
      {
        what: 'a Latin-1 charset',
        options: { rawBody: JSON.stringify(startBody('api-fuzz', cp)), contentType: 'application/json; charset=iso-8859-1' },
        status: 415,
        type: 'unsupported-media-type',
      },
      {
        what: 'a gzip body',
        options: { rawBody: JSON.stringify(startBody('api-fuzz', cp)), headers: { 'content-encoding': 'gzip' } },
        status: 415,
        type: 'unsupported-media-type',
      },
      { what: 'null', options: { rawBody: 'null' }, status: 400, type: 'invalid-request' },
      {
        what: 'a malformed idempotency key',
        options: { body: startBody('api-fuzz', cp), idempotencyKey: 'has spaces in it' },
        status: 400,
        type: 'invalid-idempotency-key',
      },
      {
        what: 'an idempotency key of 300 characters',
        options: { body: startBody('api-fuzz', cp), idempotencyKey: 'k'.repeat(300) },
        status: 400,
        type: 'invalid-idempotency-key',
      },
    ];
    for (const c of cases) {
      const res = await api.call<Body>('POST', '/v1/subscriptions', c.options);
      expect(res.status, c.what).toBe(c.status);
      expect(res.body.type, c.what).toBe(`urn:amazon-pay-billing:problem:${c.type}`);
      expect(res.text, c.what).not.toMatch(/\bat .*\.(ts|js):\d+/);
      expect(res.text.length, c.what).toBeLessThan(5_000);
    }
    const refusal = async (options: Parameters<ApiClient['call']>[2], path = '/v1/subscriptions'): Promise<Body> =>
      (await api.call<Body>('POST', path, { params: { id: 'api-fuzz', chargeId: `${cp}-C000001` }, ...options })).body;
    // An unknown key is named as sent, at its depth.
    expect(
      (await refusal({ body: startBody('api-fuzz', cp, { plan: { price: { amount: '14.00', currency: 'USD', foo: '1' }, interval: { unit: 'month' } } }) }))
        .errors,
    ).toContainEqual({
      field: 'plan.price.foo',
      message: 'is not a field of plan.price; see the OpenAPI document for the fields it accepts',
    });
    expect((await refusal({ body: startBody('api-fuzz', cp, { foo: 1 }) })).errors).toContainEqual({
      field: 'foo',
      message: 'is not a field of the body; see the OpenAPI document for the fields it accepts',
    });
    // Keys that name prototype machinery are unknown keys like any other, named in `errors`.
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const res = await api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'api-fuzz' }, rawBody: `{"${key}": {}, "reason": "x"}` });
      expect(res.body.type, key).toBe('urn:amazon-pay-billing:problem:invalid-request');
      expect(JSON.stringify(res.body.errors), key).toContain(key);
    }
    expect((await refusal({ rawBody: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) })).detail).toMatch(/^The body is not valid UTF-8/);
    expect((await refusal({ rawBody: '{"id": "a\\ud800"}' })).errors).toEqual([
      { field: 'id', message: expect.stringMatching(/^holds a lone UTF-16 surrogate/) },
    ]);
    expect((await refusal({ rawBody: '{"\\udc00": 1}' })).errors).toEqual([{ field: '\\udc00', message: expect.stringMatching(/lone UTF-16 surrogate/) }]);
    // A body nested deeper than any of this API's (40 KB, under the size limit) is a 400, not a 500
    // from a walk that overflows the stack — on every route with a body (issue 14 newcomer review).
    for (const [path, rawBody] of [
      ['/v1/subscriptions/{id}/pause', `{"reason":${'['.repeat(20_000)}${']'.repeat(20_000)}}`],
      ['/v1/subscriptions', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`],
    ] as const) {
      const deep = await api.call<Body>('POST', path, { params: { id: 'api-fuzz' }, rawBody });
      expect([deep.status, deep.body.type, deep.body.errors], path).toEqual([
        400,
        'urn:amazon-pay-billing:problem:invalid-request',
        [{ field: 'body', message: "nests objects or arrays more than 32 levels deep; this API's bodies need at most 3" }],
      ]);
    }
    const gzip = await api.call<Body>('POST', '/v1/subscriptions', { rawBody: '{}', headers: { 'content-encoding': 'gzip' } });
    expect(gzip.headers.get('accept-encoding')).toBe('identity');
    expect(gzip.body.detail).toMatch(/send the body uncompressed/);
    expect((await refusal({ rawBody: '{}', contentType: 'application/json; charset=iso-8859-1' })).detail).toMatch(
      /charset "iso-8859-1" is not accepted: send application\/json in UTF-8/,
    );
    // UTF-8 named in any letter case is the default: the body is read (and refused by the library, 422).
    expect(
      (
        await api.call<Body>('POST', '/v1/subscriptions', {
          rawBody: JSON.stringify(startBody('api-fuzz', 'S01-123')),
          contentType: 'application/json; charset="UTF-8"',
        })
      ).status,
    ).toBe(422);
    // A body that is not an object is refused on every route that takes one, never read as "no body".
    for (const path of [
      '/v1/subscriptions/{id}/pause',
      '/v1/subscriptions/{id}/resume',
      '/v1/subscriptions/{id}/cancel',
      '/v1/subscriptions/{id}/plan',
      '/v1/charges/{chargeId}/refunds',
      '/v1/subscriptions',
    ]) {
      for (const [raw, got] of [
        ['null', 'null'],
        ['[]', 'an array'],
        ['"now"', 'a string'],
        ['7', 'a number'],
      ]) {
        const res = await api.call<Body>('POST', path, { params: { id: 'api-fuzz', chargeId: `${cp}-C000001` }, rawBody: raw });
        expect(res.status, `${path} ${raw}`).toBe(400);
        expect(res.body.errors, `${path} ${raw}`).toEqual([expect.objectContaining({ message: `must be a JSON object such as {}, got ${got}` })]);
      }
    }
    const wrongType = await api.call<Body>('POST', '/v1/subscriptions', {
      body: { id: 42, chargePermissionId: cp, plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month' } } },
    });
    expect(wrongType.body.errors).toEqual([{ field: 'id', message: expect.any(String) }]);
    for (const path of ['/v1/subscriptions/{id}/pause', '/v1/subscriptions/{id}/cancel', '/v1/subscriptions/{id}/plan']) {
      expect((await api.call('POST', path, { params: { id: 'api-fuzz' }, rawBody: '{not json' })).status).toBe(400);
      expect((await api.call('POST', path, { params: { id: 'api-fuzz' }, body: { mode: 'later', price: 3, reason: 'x'.repeat(600) } })).status).toBe(400);
    }
    expect(await counts()).toEqual(before);
    expect((await api.call('GET', '/v1/subscriptions/{id}', { params: { id: 'api-fuzz' } })).status).toBe(404);
  });

  it('refuses control characters in any text before anything is signalled or written (PostgreSQL cannot store U+0000)', async () => {
    const { cp } = await permission();
    const started = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-controls', cp) });
    expect(started.status).toBe(201);
    const before = await counts();
    const refused = async (method: 'POST', path: string, options: Parameters<ApiClient['call']>[2], field: string) => {
      const res = await api.call<Body>(method, path, options);
      expect(res.status, `${path} ${field}`).toBe(400);
      expect(res.body.errors, `${path} ${field}`).toEqual([{ field, message: expect.stringMatching(/control characters \(found U\+0000 at position 2\)/) }]);
    };
    for (const action of ['pause', 'resume', 'cancel']) {
      await refused('POST', `/v1/subscriptions/{id}/${action}`, { params: { id: 'api-controls' }, body: { reason: 'x\u0000y' } }, 'reason');
    }
    await refused(
      'POST',
      '/v1/charges/{chargeId}/refunds',
      { params: { chargeId: `${cp}-C000001` }, body: { amount: { amount: '1.00', currency: 'USD' }, reason: 'x\u0000y' } },
      'reason',
    );
    await refused(
      'POST',
      '/v1/subscriptions',
      { body: startBody('api-controls-2', cp, { merchantMetadata: { noteToBuyer: 'a\u0000b' } }) },
      'merchantMetadata.noteToBuyer',
    );
    await refused('POST', '/v1/subscriptions', { body: startBody('api-controls-2', cp, { softDescriptor: 'a\u0000b' }) }, 'softDescriptor');
    // Another control character on a one-line field: refused too; line breaks in a note are text.
    expect((await api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'api-controls' }, body: { reason: 'a\u001b[31mred' } })).status).toBe(
      400,
    );
    // Unicode's line and paragraph separators break a line too: not on one line.
    for (const separator of ['\u2028', '\u2029']) {
      const res = await api.call<Body>('POST', '/v1/subscriptions/{id}/cancel', { params: { id: 'api-controls' }, body: { reason: `a${separator}b` } });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        { field: 'reason', message: expect.stringMatching(/^must not contain line separators \(found U\+202[89] at position 2\)/) },
      ]);
    }
    expect(await counts()).toEqual(before);
    const live = await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-controls' } });
    expect(live.body.subscription.status).toBe('active');
    expect(live.body.workflow.status).toBe('RUNNING');
    // Nothing signalled: a signal or cancel request sent is in the history at once, before the
    // workflow acts on it (so an "active" read above alone could come too early).
    const events = (await temporal.client.workflow.getHandle(live.body.subscription.workflowId).fetchHistory()).events ?? [];
    expect(
      events.filter(
        (e) =>
          e.workflowExecutionSignaledEventAttributes || e.workflowExecutionCancelRequestedEventAttributes || e.workflowExecutionUpdateAcceptedEventAttributes,
      ),
    ).toEqual([]);
  });

  it('ignores the letter case of a currency on start, plan change and refund; examples in messages are valid for the currency', async () => {
    const { cp, firstChargeId } = await permission({ firstCharge: '14.00' });
    const started = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('api-usd-lower', cp, { firstChargeId, plan: { price: { amount: '14.00', currency: 'usd' }, interval: { unit: 'month' } } }),
    });
    expect(started.status, started.text).toBe(201);
    expect(started.body.subscription.plan.price).toEqual({ amount: '14.00', currency: 'USD' });
    // The same terms in another letter case are the same subscription, not a conflict.
    const again = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('api-usd-lower', cp, { firstChargeId, plan: { price: { amount: '14.00', currency: ' Usd ' }, interval: { unit: 'month' } } }),
    });
    expect(again.status, again.text).toBe(200);
    const changed = await api.call<Body>('POST', '/v1/subscriptions/{id}/plan', {
      params: { id: 'api-usd-lower' },
      body: { price: { amount: '15.00', currency: 'usd' } },
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.plan.price).toEqual({ amount: '15.00', currency: 'USD' });
    await eventually(
      () => api.call<Body>('GET', '/v1/charges/{chargeId}', { params: { chargeId: firstChargeId! } }),
      (r) => r.status === 200,
      { timeoutMs: 20_000, what: 'the checkout charge in the ledger' },
    );
    const refund = await api.call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
      params: { chargeId: firstChargeId! },
      body: { amount: { amount: '1.00', currency: 'usd' } },
    });
    expect(refund.status, refund.text).toBe(201);
    expect(refund.body.refund.amount).toEqual({ amount: '1.00', currency: 'USD' });
    const other = await api.call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
      params: { chargeId: firstChargeId! },
      body: { amount: { amount: '1.00', currency: 'eur' } },
    });
    expect(other.status).toBe(422);
    expect(other.body.errors).toEqual([{ field: 'amount.currency', message: 'must be USD, the currency of what it applies to, got "EUR"' }]);
    const unknown = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('api-btc', cp, { plan: { price: { amount: '14.00', currency: 'btc' }, interval: { unit: 'month' } } }),
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0]).toEqual({ field: 'plan.price.currency', message: expect.stringMatching(/letter case is ignored\), got "BTC"$/) });

    const jpy = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('api-jpy', (await permission({ currency: 'JPY' })).cp, {
        plan: { price: { amount: '14.00', currency: 'jpy' }, interval: { unit: 'month' } },
      }),
    });
    expect(jpy.status).toBe(422);
    expect(jpy.body.errors).toEqual([{ field: 'plan.price.amount', message: expect.stringContaining('in JPY such as "1400"') }]);
    expect(jpy.text).not.toContain('such as \\"14.00\\"');
    const usd = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('api-usd-bad', cp, { plan: { price: { amount: '14.001', currency: 'USD' }, interval: { unit: 'month' } } }),
    });
    expect(usd.body.errors).toEqual([{ field: 'plan.price.amount', message: expect.stringContaining('in USD such as "14.00"') }]);
  });

  it('lists events (GET /v1/events) by subscription, type and cursor, to read-only keys too; names each bad parameter', async () => {
    const { cp } = await permission();
    expect((await api.call('POST', '/v1/subscriptions', { body: startBody('api-events-1', cp) })).status).toBe(201);
    expect((await api.call('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'api-events-1' }, body: { reason: 'vacation' } })).status).toBe(200);
    const readOnly = await newKey(database.db, 'events-reader', true);
    const page = await eventually(
      () => api.call<Body>('GET', '/v1/events', { key: readOnly, query: { subscription: 'api-events-1' } }),
      (res) => res.body.data?.length === 2,
      { what: 'started and paused readable' },
    );
    expect(page.status).toBe(200);
    expect(page.body.data.map((e: Body) => [e.type, e.sequence, e.subscription_id])).toEqual([
      ['subscription.started', 1, 'api-events-1'],
      ['subscription.paused', 2, 'api-events-1'],
    ]);
    expect(page.body.data[1]).toMatchObject({ account: null, data: { status: 'paused', previous_status: 'active', reason: 'vacation' } });
    const typed = await api.call<Body>('GET', '/v1/events', { query: { subscription: 'api-events-1', type: 'subscription.paused,charge.failed' } });
    expect(typed.body.data.map((e: Body) => e.type)).toEqual(['subscription.paused']);
    const first = await api.call<Body>('GET', '/v1/events', { query: { subscription: 'api-events-1', limit: '1' } });
    const rest = await api.call<Body>('GET', '/v1/events', { query: { subscription: 'api-events-1', after: first.body.next_cursor } });
    expect([...first.body.data, ...rest.body.data].map((e: Body) => e.sequence)).toEqual([1, 2]);
    const none = await api.call<Body>('GET', '/v1/events', { query: { subscription: 'api-events-1', after: rest.body.next_cursor } });
    expect(none.body).toEqual({ data: [], next_cursor: rest.body.next_cursor });

    const refused = await api.call<Body>('GET', '/v1/events', { query: { after: 'bm9wZQ', type: 'charge.exploded', subscription: 'a b' } });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe('urn:amazon-pay-billing:problem:invalid-input');
    expect(refused.body.errors.map((e: Body) => e.field)).toEqual(['querystring.after', 'querystring.subscription', 'querystring.type']);
    expect(refused.body.errors[2].message).toContain('"charge.exploded"');
    // Well-formed but never given out (base64url of "999999999.0": a transaction and position beyond any event): the same 422.
    const forged = await api.call<Body>('GET', '/v1/events', { query: { after: Buffer.from('999999999.0').toString('base64url') } });
    expect(forged.status).toBe(422);
    expect(forged.body.errors).toEqual([{ field: 'querystring.after', message: CURSOR_REFUSED }]);
    const badQueries: Record<string, string>[] = [{ limit: '0' }, { limit: 'ten' }, { since: 'x' }, { type: '' }];
    const emptyItems = ['subscription.paused,', ',charge.failed', 'subscription.paused,,charge.failed', ' '];
    for (const query of [...badQueries, ...emptyItems.map((type) => ({ type }))]) {
      const bad = await api.call<Body>('GET', '/v1/events', { query });
      expect(bad.status, JSON.stringify(query)).toBe(400);
      expect(bad.body.type).toBe('urn:amazon-pay-billing:problem:invalid-request');
      expect(bad.body.errors.length).toBeGreaterThan(0);
      if (query.type && query.type !== '') expect(bad.body.errors, query.type).toEqual([{ field: 'querystring.type', message: EMPTY_EVENT_TYPE_ITEM }]);
    }
  });

  it('answers malformed URLs, too-long URLs, oversized headers and unserved methods with problem documents', async () => {
    const auth = `Authorization: Bearer ${key}\r\nHost: x`;
    const expectProblem = (res: { status: number; body: Body }, status: number, type: string): void => {
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ type: `urn:amazon-pay-billing:problem:${type}`, status });
    };
    const badUtf8 = await api.raw(`GET /v1/subscriptions/%E0%A4%A HTTP/1.1\r\n${auth}`, '/v1/subscriptions/{id}', 'GET');
    expectProblem(badUtf8, 400, 'invalid-url');
    expect(badUtf8.body.detail).toMatch(/percent-encoding/);
    expectProblem(
      await api.raw(`POST /v1/subscriptions/%ZZ/pause HTTP/1.1\r\n${auth}\r\nContent-Length: 0`, '/v1/subscriptions/{id}/pause', 'POST'),
      400,
      'invalid-url',
    );
    const long = await api.raw(`GET /v1/subscriptions/${'a'.repeat(5000)} HTTP/1.1\r\n${auth}`, '/v1/subscriptions/{id}', 'GET');
    expectProblem(long, 414, 'uri-too-long');
    expect(long.body.detail).toMatch(/at most 200 characters/);
    const header = await api.raw(`GET /v1/subscriptions HTTP/1.1\r\n${auth}\r\nX-Big: ${'a'.repeat(20_000)}`, '/v1/subscriptions', 'GET');
    expectProblem(header, 431, 'headers-too-large');
    expect(header.body.detail).toMatch(/16384 bytes/);
    expectProblem(
      await api.raw(`GET /v1/subscriptions?cursor=${'a'.repeat(70_000)} HTTP/1.1\r\n${auth}`, '/v1/subscriptions', 'GET'),
      431,
      'headers-too-large',
    );

    for (const [method, template, path, allow] of [
      ['PUT', '/v1/subscriptions/{id}', '/v1/subscriptions/api-start-1', 'GET, HEAD'],
      ['DELETE', '/v1/subscriptions/{id}', '/v1/subscriptions/api-start-1', 'GET, HEAD'],
      ['DELETE', '/v1/subscriptions', '/v1/subscriptions', 'GET, HEAD, POST'],
      ['GET', '/v1/subscriptions/{id}/pause', '/v1/subscriptions/api-start-1/pause', 'POST'],
    ] as const) {
      const res = await api.raw(`${method} ${path} HTTP/1.1\r\n${auth}`, template, method);
      expectProblem(res, 405, 'method-not-allowed');
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(res.body.detail).toContain(allow);
    }
    expect((await fetch(`${daemon.apiUrl}/v1/nothing-here`, { method: 'PUT' })).status).toBe(404);
    // Too long for any route is 414 whether or not a route matches, checked before 404 and 405.
    for (const path of [`/v1/${'a'.repeat(5000)}`, `/v2/x/${'a'.repeat(201)}`, `/v1/subscriptions/x/${'a'.repeat(5000)}`]) {
      const res = await fetch(`${daemon.apiUrl}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${key}` } });
      expect(res.status, path.slice(0, 30)).toBe(414);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as Body).type).toBe('urn:amazon-pay-billing:problem:uri-too-long');
    }

    // Query parameters: empty or repeated values are refused with what is accepted.
    const query = async (qs: string, template: string): Promise<unknown> => {
      const res = await api.raw(`GET ${template}?${qs} HTTP/1.1\r\n${auth}`, template, 'GET');
      expectProblem(res, 400, 'invalid-request');
      return res.body.errors;
    };
    expect(await query('limit=', '/v1/subscriptions')).toEqual([
      { field: 'querystring.limit', message: 'is empty: give a whole number from 1 to 500, or leave the parameter out' },
    ]);
    expect(await query('limit=1&limit=2', '/v1/subscriptions')).toEqual([
      { field: 'querystring.limit', message: 'is given 2 times ("1", "2"); give it once: a whole number from 1 to 500' },
    ]);
    expect(await query('limit=1.5', '/v1/subscriptions')).toEqual([{ field: 'querystring.limit', message: 'must be a whole number from 1 to 500, got "1.5"' }]);
    expect(await query('status=active&status=paused', '/v1/subscriptions')).toEqual([
      {
        field: 'querystring.status',
        message: expect.stringMatching(/^is given 2 times \("active", "paused"\); give it once: one of active, trialing, paused/),
      },
    ]);
    expect(await query('cursor=', '/v1/subscriptions')).toEqual([
      { field: 'querystring.cursor', message: 'is empty: give text of 1-200 characters, or leave the parameter out' },
    ]);
    expect(await query('interval=month&fromCycle=', '/v1/schedule-preview')).toEqual([
      { field: 'querystring.fromCycle', message: 'is empty: give a whole number from 0 to 1000000, or leave the parameter out' },
    ]);
  });

  it('refuses every malformed Idempotency-Key with one problem type and field; the 413 states the configured limit', async () => {
    const { cp } = await permission();
    const before = await counts();
    for (const bad of ['', '   ', 'k'.repeat(256), 'has spaces in it', 'tab\there', 'cl\u00e9']) {
      const res = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-idem-bad', cp), idempotencyKey: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.type, JSON.stringify(bad)).toBe('urn:amazon-pay-billing:problem:invalid-idempotency-key');
      expect(res.body.errors, JSON.stringify(bad)).toEqual([
        { field: 'headers.idempotency-key', message: expect.stringMatching(/^must be 1-255 visible ASCII characters/) },
      ]);
    }
    const twice = await api.raw(
      `POST /v1/subscriptions HTTP/1.1\r\nAuthorization: Bearer ${key}\r\nHost: x\r\nIdempotency-Key: a\r\nidempotency-key: b\r\nContent-Length: 0`,
      '/v1/subscriptions',
      'POST',
    );
    expect(twice.status).toBe(400);
    expect(twice.body).toMatchObject({
      type: 'urn:amazon-pay-billing:problem:invalid-idempotency-key',
      errors: [{ field: 'headers.idempotency-key', message: 'is given 2 times; send it once (one key per request)' }],
    });
    expect((await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-idem-ok', cp), idempotencyKey: 'k'.repeat(255) })).status).toBe(201);
    expect((await counts()).subscriptions).toBe(before.subscriptions + 1);
    const big = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-big', cp, { softDescriptor: 'x'.repeat(70_000) }) });
    expect(big.status).toBe(413);
    expect(big.body.detail).toBe('The body is larger than this API accepts: at most 65536 bytes (api.maxBodyBytes)');
  });

  it('refuses inconsistent input: a trial count without a trial unit, a zone that contradicts the anchor', async () => {
    const res = await api.call<Body>('GET', '/v1/schedule-preview', { query: { interval: 'month', trialCount: '14' } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'querystring.trialCount', message: expect.stringMatching(/needs trial/) }]);
    const withTrial = await api.call<Body>('GET', '/v1/schedule-preview', {
      query: { interval: 'month', anchor: '2025-01-01T00:00', trial: 'day', trialCount: '14', count: '1' },
    });
    expect(withTrial.status).toBe(200);
    expect(withTrial.body.items[0].dueAt).toBe('2025-01-15T00:00:00.000Z');
    // The same kind in a start body: a zone for the default anchor next to an anchor in another zone.
    const zones = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-two-zones', (await permission()).cp, { zone: 'Europe/Berlin' }) });
    expect(zones.status).toBe(422);
    expect(zones.body.errors).toEqual([{ field: 'zone', message: expect.stringMatching(/contradicts anchor.zone "America\/New_York"/) }]);
    expect(
      (await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('api-two-zones', (await permission()).cp, { zone: 'America/New_York' }) })).status,
    ).toBe(201);
  });

  it('a refund answered 503 stays pending: another amount is 409 until the same refund is sent again', async () => {
    const { cp, firstChargeId } = await permission({ firstCharge: '14.00' });
    expect((await api.call('POST', '/v1/subscriptions', { body: startBody('api-refund-503', cp, { firstChargeId }) })).status).toBe(201);
    await eventually(
      () => api.call<Body>('GET', '/v1/charges/{chargeId}', { params: { chargeId: firstChargeId! } }),
      (r) => r.status === 200,
      { timeoutMs: 20_000, what: 'the checkout charge in the ledger' },
    );
    const before = await counts();
    await sim.control.setFaults({ error503Rate: 1 });
    try {
      const down = await api.call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
        params: { chargeId: firstChargeId! },
        body: { amount: { amount: '2.00', currency: 'USD' } },
        idempotencyKey: 'refund-503-1',
      });
      expect(down.status).toBe(503);
      expect(down.body.detail).toMatch(/run the same refund again/);
    } finally {
      await sim.control.setFaults({ error503Rate: 0 });
    }
    expect((await counts()).refunds).toBe(before.refunds + 1);
    const pending = await api.call<Body>('GET', '/v1/charges/{chargeId}', { params: { chargeId: firstChargeId! } });
    expect(pending.body.refunds).toEqual([expect.objectContaining({ seq: 1, state: 'pending', amount: { amount: '2.00', currency: 'USD' } })]);
    const another = await api.call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
      params: { chargeId: firstChargeId! },
      body: { amount: { amount: '3.00', currency: 'USD' } },
    });
    expect(another.status).toBe(409);
    expect(another.body.detail).toMatch(/not confirmed by Amazon Pay yet/);
    const again = await api.call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
      params: { chargeId: firstChargeId! },
      body: { amount: { amount: '2.00', currency: 'USD' } },
      idempotencyKey: 'refund-503-1',
    });
    expect(again.status, again.text).toBe(201);
    expect(again.body).toMatchObject({ refund: { seq: 1, state: 'RefundInitiated' }, resent: true, remaining: { amount: '12.00', currency: 'USD' } });
    expect(
      (
        await api.call('POST', '/v1/charges/{chargeId}/refunds', {
          params: { chargeId: firstChargeId! },
          body: { amount: { amount: '3.00', currency: 'USD' } },
        })
      ).status,
    ).toBe(201);
  });

  it('a refund key answered 503 stays bound to its refund: re-sent by another request in between, the retry returns that refund, never a second', async () => {
    const { cp, firstChargeId } = await permission({ firstCharge: '14.00' });
    expect((await api.call('POST', '/v1/subscriptions', { body: startBody('api-refund-bound', cp, { firstChargeId }) })).status).toBe(201);
    await eventually(
      () => api.call<Body>('GET', '/v1/charges/{chargeId}', { params: { chargeId: firstChargeId! } }),
      (r) => r.status === 200,
      { timeoutMs: 20_000, what: 'the checkout charge in the ledger' },
    );
    const refund = (amount: string, idempotencyKey?: string) =>
      api.call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
        params: { chargeId: firstChargeId! },
        body: { amount: { amount, currency: 'USD' } },
        ...(idempotencyKey ? { idempotencyKey } : {}),
      });
    const refundsOfCharge = async (): Promise<number> =>
      Number((await database.db.execute<{ n: string }>(sql`select count(*) as n from refunds where charge_id = ${firstChargeId}`))[0]?.n);
    await sim.control.setFaults({ error503Rate: 1 });
    try {
      expect((await refund('2.00', 'refund-bound-1')).status).toBe(503);
    } finally {
      await sim.control.setFaults({ error503Rate: 0 });
    }
    // Someone else re-sends the pending refund (no key): Amazon Pay makes it.
    const resent = await refund('2.00');
    expect(resent.body).toMatchObject({ refund: { seq: 1, state: 'RefundInitiated' }, resent: true });
    // The retry with the first key continues its refund: the same one, not a second 2.00.
    const retry = await refund('2.00', 'refund-bound-1');
    expect(retry.status, retry.text).toBe(201);
    expect(retry.body).toMatchObject({ refund: { seq: 1, state: 'RefundInitiated' }, remaining: { amount: '12.00', currency: 'USD' } });
    expect(await refundsOfCharge()).toBe(1);
    const replay = await refund('2.00', 'refund-bound-1');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(retry.text);
    // The key is not free for another refund either.
    const other = await refund('3.00', 'refund-bound-1');
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('urn:amazon-pay-billing:problem:idempotency-key-reused');
    expect(await refundsOfCharge()).toBe(1);
  });

  it('is language-neutral: a Python standard-library script starts, reads and cancels a subscription', async () => {
    const { cp } = await permission();
    const script = resolve(import.meta.dirname, 'fixtures/api_client.py');
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const child = spawn('python3', [script], {
        env: { PATH: process.env.PATH, BILLING_API_URL: daemon.apiUrl, BILLING_API_KEY: key, CHARGE_PERMISSION_ID: cp, SUBSCRIPTION_ID: 'api-python' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'started api-python 201 active',
      'read api-python active 14.00 USD',
      'canceled api-python now',
      'replayed 201 true',
    ]);
    // The cancel is a signal: the workflow records it and closes a moment after the answer.
    await eventually(
      () => api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'api-python' } }),
      (r) => r.body.workflow.status !== 'RUNNING',
      { timeoutMs: 20_000, what: 'the canceled workflow to close' },
    );
    expect(api.validated.count).toBeGreaterThan(40);
  });
  it('serves the billing dashboard: its data behind a key (read-only is enough), matching the database; the page and Chart.js without data', async () => {
    const none = await api.call<Body>('GET', '/v1/dashboard', { key: null });
    expect(none.status).toBe(401);
    const readOnly = await newKey(database.db, 'dashboard', true);
    const d = await api.call<Body>('GET', '/v1/dashboard', { key: readOnly });
    expect(d.status).toBe(200);
    // It takes no parameters: one is refused by name, not ignored (the forecast is always billing.yaml's 7 days).
    const days = await api.call<Body>('GET', '/v1/dashboard', { key: readOnly, query: { days: '3' } });
    expect(days.status).toBe(400);
    expect(days.body.detail).toMatch(/querystring\.days: is not a field/);
    const byStatus = await database.db.execute<{ status: string; count: number }>(
      sql`select status, count(*)::int as count from subscriptions group by status order by status`,
    );
    expect(d.body.statuses).toEqual([...byStatus]);
    const [captured] = await database.db.execute<{ usd: string }>(
      sql`select coalesce(sum(amount_minor), 0)::text as usd from charges where state = 'Captured' and currency = 'USD'`,
    );
    expect(d.body.money.find((m: Body) => m.currency === 'USD' && m.environment === 'sandbox')?.capturedThisMonth).toBe(captured?.usd);
    expect(Number(captured?.usd)).toBeGreaterThan(0);
    expect(d.body.forecast.hours.length).toBeGreaterThanOrEqual(7 * 24); // clock hours: one more when the week does not start on the hour
    expect(d.body.forecast.totalDue).toBe(d.body.forecast.hours.reduce((n: number, h: Body) => n + h.due, 0));
    // A few test charges are no peak: the quota alone, and the sentence that says so.
    expect(d.body.forecast.limit).toMatchObject({ limitedBy: 'quota', capacitySource: null, evidence: null, ratePerSecond: d.body.forecast.ratePerSecond });
    expect(d.body.forecast.limit.summary).toMatch(/^Limit: the quota, [\d.]+\/s; no peak in the ledger's last 35 days/);
    // Late peaks are marked against billing.yaml forecast.warnAfter (default 30 minutes), as `billing forecast` warns.
    expect(d.body.forecast.warnAfterSeconds).toBe(1800);
    expect(d.body.forecast.minPeakLatenessSeconds).toBe(60); // min(60 s, warnAfter)
    for (const p of d.body.forecast.peaks) expect(p.late).toBe(p.maxLatenessSeconds > 1800);
    expect(d.body.backlogs.ipnInbox).toMatchObject({ failed: 0 });
    const page = await fetch(`${daemon.apiUrl}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CONTENT_SECURITY_POLICY);
    const html = await page.text();
    expect(html).toContain('<script src="/dashboard/chart.umd.js"></script>');
    expect(html).not.toMatch(/bk_[A-Za-z0-9]{8}/);
    const chart = await fetch(`${daemon.apiUrl}/dashboard/chart.umd.js`);
    expect(chart.status).toBe(200);
    expect(await chart.text()).toMatch(/Chart\.js v4\./);
  });
});
