// Idempotency-Key on the HTTP API, over real HTTP on two daemon replicas sharing one PostgreSQL:
// replay of the stored response, a key reused for another request, 20 concurrent requests with
// one key, a replay after a daemon restart and from the other replica.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_RETENTION_MS } from '../../api/idempotency.js';
import type { Daemon } from '../../daemon/run.js';
import { pruneIdempotencyKeys } from '../../db/queries/idempotency.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { newKey, openApiClient, startBody, type ApiClient, type ApiResponse } from './api-support.js';
import { connectTestTemporal, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('Idempotency-Key across requests, restarts and replicas', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let a: Daemon;
  let b: Daemon;
  let api: ApiClient;
  const taskQueues = uniqueTaskQueues();
  const start = (replica: string) =>
    startTestDaemon({
      database,
      taskQueues,
      amazonPay: sim.amazonPay,
      signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
      replica,
    });
  const permission = async (): Promise<string> =>
    (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
  const rows = async (table: 'subscriptions' | 'refunds', where = sql`true`): Promise<number> =>
    Number((await database.db.execute<{ n: string }>(sql`select count(*) as n from ${sql.identifier(table)} where ${where}`))[0]?.n);

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator();
    [a, b] = await Promise.all([start('replica-a'), start('replica-b')]);
    ({ client: api } = await openApiClient(a.apiUrl, await newKey(database.db, 'idempotency')));
  });
  afterAll(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown()]);
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('the same key and body twice: one subscription, the identical response replayed; another body is refused', async () => {
    const cp = await permission();
    const first = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-1', cp), idempotencyKey: 'key-idem-1' });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // Keys of the body in another order are the same request.
    const { plan, ...rest } = startBody('idem-1', cp);
    const second = await api.call<Body>('POST', '/v1/subscriptions', { body: { plan, ...rest }, idempotencyKey: 'key-idem-1' });
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await rows('subscriptions', sql`id = 'idem-1'`)).toBe(1);

    const other = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-2', cp), idempotencyKey: 'key-idem-1' });
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('urn:amazon-pay-billing:problem:idempotency-key-reused');
    expect(await rows('subscriptions', sql`id = 'idem-2'`)).toBe(0);
    const otherPath = await api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'idem-1' }, idempotencyKey: 'key-idem-1' });
    expect(otherPath.status).toBe(422);
    // A stored refusal is replayed too (the key stays bound to what it first did).
    const conflict = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('idem-1', cp, { plan: { price: { amount: '99.00', currency: 'USD' }, interval: { unit: 'month' } } }),
      idempotencyKey: 'key-conflict',
    });
    expect(conflict.status).toBe(409);
    const conflictAgain = await api.call<Body>('POST', '/v1/subscriptions', {
      body: startBody('idem-1', cp, { plan: { price: { amount: '99.00', currency: 'USD' }, interval: { unit: 'month' } } }),
      idempotencyKey: 'key-conflict',
    });
    expect(conflictAgain.text).toBe(conflict.text);
    expect(conflictAgain.headers.get('idempotent-replayed')).toBe('true');
  });

  it('an Idempotency-Key is scoped to its API key: the same value under another API key is another request', async () => {
    const cp = await permission();
    const other = await newKey(database.db, 'idempotency-other');
    const first = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-scope-1', cp), idempotencyKey: 'key-shared' });
    const second = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-scope-2', cp), idempotencyKey: 'key-shared', key: other });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(await rows('subscriptions', sql`id in ('idem-scope-1', 'idem-scope-2')`)).toBe(2);
    // Each API key replays its own response.
    const replay = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-scope-2', cp), idempotencyKey: 'key-shared', key: other });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(second.text);
  });

  it('20 concurrent requests with one key have one effect: one 201 that ran, the others replayed or told it is in progress', async () => {
    const cp = await permission();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api
          .at(i % 2 === 0 ? a.apiUrl : b.apiUrl)
          .call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-concurrent', cp), idempotencyKey: 'key-concurrent' }),
      ),
    );
    const ran = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    const replayed = results.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true');
    const inProgress = results.filter((r) => r.status === 409);
    expect(ran).toHaveLength(1);
    expect(replayed.length + inProgress.length).toBe(19);
    for (const r of replayed) expect(r.text).toBe(ran[0]!.text);
    for (const r of inProgress) {
      expect(r.body.type).toBe('urn:amazon-pay-billing:problem:idempotency-key-in-progress');
      expect(r.headers.get('retry-after')).toBe('1');
    }
    expect(await rows('subscriptions', sql`id = 'idem-concurrent'`)).toBe(1);
    const after = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-concurrent', cp), idempotencyKey: 'key-concurrent' });
    expect(after.text).toBe(ran[0]!.text);
  });

  it('a replay is answered by the other replica and after a restart of the daemon that first answered', async () => {
    const cp = await permission();
    const first = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-restart', cp), idempotencyKey: 'key-restart' });
    expect(first.status).toBe(201);
    const fromB = await api.at(b.apiUrl).call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-restart', cp), idempotencyKey: 'key-restart' });
    expect(fromB.text).toBe(first.text);
    expect(fromB.headers.get('idempotent-replayed')).toBe('true');

    await a.shutdown();
    a = await start('replica-a2');
    const fromRestarted = await api
      .at(a.apiUrl)
      .call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-restart', cp), idempotencyKey: 'key-restart' });
    expect(fromRestarted.status).toBe(201);
    expect(fromRestarted.text).toBe(first.text);
    expect(fromRestarted.headers.get('idempotent-replayed')).toBe('true');
    expect(await rows('subscriptions', sql`id = 'idem-restart'`)).toBe(1);
  });

  it('housekeeping prunes keys older than the retention (24 h) in bounded batches; younger keys keep replaying', async () => {
    const cp = await permission();
    // `a` was restarted above: its new address.
    const recent = await api.at(a.apiUrl).call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-prune', cp), idempotencyKey: 'key-prune-recent' });
    expect(recent.status).toBe(201);
    const hours = (h: number): string => new Date(Date.now() - h * 3_600_000).toISOString();
    // 2,500 keys of 25 h ago, one of 23 h ago (still inside the window).
    await database.db.execute(sql`
      insert into idempotency_keys (api_key_id, key, request_hash, method, path, state, response_status, response_content_type, response_body, created_at, locked_at, completed_at)
      select 'key_other', 'old-' || n, 'h', 'POST', '/v1/subscriptions', 'completed', 201, 'application/json', '{}', ${hours(25)}::timestamptz - n * interval '1 second', ${hours(25)}::timestamptz, ${hours(25)}::timestamptz
      from generate_series(1, 2500) as n`);
    await database.db.execute(sql`
      insert into idempotency_keys (api_key_id, key, request_hash, method, path, state, created_at, locked_at) values
        ('key_other', 'young-23h', 'h', 'POST', '/v1/subscriptions', 'in_progress', ${hours(23)}::timestamptz, ${hours(23)}::timestamptz),
        ('key_third', 'key-prune-recent', 'h', 'POST', '/v1/subscriptions', 'in_progress', ${hours(25)}::timestamptz, ${hours(25)}::timestamptz)`);
    const keys = async (like: string): Promise<number> =>
      Number((await database.db.execute<{ n: string }>(sql`select count(*) as n from idempotency_keys where key like ${like}`))[0]?.n);

    // At most batchSize rows per statement, at most maxBatches statements per call: the oldest go first.
    expect(await pruneIdempotencyKeys(database.db, new Date(Date.now() - IDEMPOTENCY_RETENTION_MS), { batchSize: 1000, maxBatches: 2 })).toBe(2000);
    expect(await keys('old-%')).toBe(500);
    expect(
      Number((await database.db.execute<{ n: string }>(sql`select min(substr(key, 5)::int) as n from idempotency_keys where key like 'old-%'`))[0]?.n),
    ).toBe(1);

    // The daemon's prune job takes the rest.
    const result = await a.jobs.prune();
    expect(result.idempotencyKeys).toBe(501);
    expect(await keys('old-%')).toBe(0);
    expect(await keys('young-23h')).toBe(1);
    // The old row of another API key with the same header value went; this API key's young one stays.
    expect(await keys('key-prune-recent')).toBe(1);
    const replay = await api.at(b.apiUrl).call<Body>('POST', '/v1/subscriptions', { body: startBody('idem-prune', cp), idempotencyKey: 'key-prune-recent' });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(recent.text);
  });

  const apiOfA = (): ApiClient => api.at(a.apiUrl);

  /** A subscription whose first charge (14.00 USD) is Captured and readable over the API: its ChargeId. */
  const capturedCharge = async (id: string): Promise<string> => {
    const { chargePermission, firstChargeId } = await sim.control.createChargePermission({
      type: 'Recurring',
      currency: 'USD',
      firstCharge: { amount: '14.00' },
    });
    const api = apiOfA();
    expect((await api.call('POST', '/v1/subscriptions', { body: startBody(id, chargePermission.chargePermissionId, { firstChargeId }) })).status).toBe(201);
    for (let i = 0; i < 80; i++) {
      if ((await api.call('GET', '/v1/charges/{chargeId}', { params: { chargeId: firstChargeId! } })).status === 200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return firstChargeId!;
  };
  const refund = (chargeId: string, amount: string, idempotencyKey?: string) =>
    apiOfA().call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
      params: { chargeId },
      body: { amount: { amount, currency: 'USD' } },
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
  const refundRows = async (chargeId: string): Promise<{ n: number; minor: number }> => {
    const [row] = await database.db.execute<{ n: string; minor: string | null }>(
      sql`select count(*) as n, sum(amount_minor) as minor from refunds where charge_id = ${chargeId}`,
    );
    return { n: Number(row?.n), minor: Number(row?.minor ?? 0) };
  };
  /** Sends again (same key) while the answer is a 409 with Retry-After (a conflict that clears by itself); the first lasting answer. */
  const untilSettled = async (send: () => Promise<ApiResponse<Body>>): Promise<ApiResponse<Body>> => {
    for (let i = 0; ; i++) {
      const answer = await send();
      if (answer.status !== 409 || answer.headers.get('retry-after') === null || i === 40) return answer;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('a refund retried with its key is made once', async () => {
    const chargeId = await capturedCharge('idem-refund');
    const first = await refund(chargeId, '5.00', 'key-refund');
    expect(first.status).toBe(201);
    const again = await apiOfA()
      .at(b.apiUrl)
      .call<Body>('POST', '/v1/charges/{chargeId}/refunds', {
        params: { chargeId },
        body: { amount: { amount: '5.00', currency: 'USD' } },
        idempotencyKey: 'key-refund',
      });
    expect(again.text).toBe(first.text);
    expect(await rows('refunds', sql`charge_id = ${chargeId}`)).toBe(1);
  });

  it('concurrent refunds with different keys are different refunds, never merged: each 201 is its own refund, a 409 while another is in flight is not stored', async () => {
    const chargeId = await capturedCharge('idem-refund-concurrent');
    // Every Create Refund takes 400 ms, so each request's refund is pending while the others arrive.
    await sim.control.setFaults({ latencyFixedMs: 400 });
    let answers: Awaited<ReturnType<typeof refund>>[];
    try {
      answers = await Promise.all([1, 2, 3, 4, 5].map((i) => refund(chargeId, '4.00', `key-concurrent-${i}`)));
    } finally {
      await sim.control.setFaults({ latencyFixedMs: 0 });
    }
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    // No two 201s name the same refund: nothing was attached to another request's refund.
    expect(new Set(created.map((a) => a.body.refund.seq)).size).toBe(created.length);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a.status, a.text).toBe(409);
      expect(a.body.detail).toMatch(/being sent to Amazon Pay by another request/);
      expect(a.headers.get('retry-after')).toBe('2');
    }
    expect(await refundRows(chargeId)).toEqual({ n: created.length, minor: 400 * created.length });
    // The 409s bound nothing: each key, sent again, runs as its own refund until 14.00 is used up.
    const settled = await Promise.all(answers.map((a, i) => (a.status === 201 ? a : untilSettled(() => refund(chargeId, '4.00', `key-concurrent-${i + 1}`)))));
    expect(settled.map((a) => a.status).sort()).toEqual([201, 201, 201, 422, 422]);
    expect(await refundRows(chargeId)).toEqual({ n: 3, minor: 1200 });
    // Each 201 replays as itself.
    for (const [i, a] of settled.entries()) if (a.status === 201) expect((await refund(chargeId, '4.00', `key-concurrent-${i + 1}`)).text).toBe(a.text);
  });

  it("a refund without a key never takes over another request's refund while it is being sent; once that one is answered it is a new refund", async () => {
    const chargeId = await capturedCharge('idem-refund-keyless');
    await sim.control.setFaults({ latencyFixedMs: 600 });
    let keyed: Awaited<ReturnType<typeof refund>>;
    let keyless: Awaited<ReturnType<typeof refund>>;
    try {
      const first = refund(chargeId, '1.00', 'key-keyless-1');
      await new Promise((r) => setTimeout(r, 250));
      [keyless, keyed] = await Promise.all([refund(chargeId, '1.00'), first]);
    } finally {
      await sim.control.setFaults({ latencyFixedMs: 0 });
    }
    expect(keyed.status).toBe(201);
    expect(keyless.status, keyless.text).toBe(409);
    expect(keyless.headers.get('retry-after')).toBe('2');
    const after = await refund(chargeId, '1.00');
    expect(after.status).toBe(201);
    expect(after.body).toMatchObject({ refund: { seq: 2 }, resent: false });
    expect(await refundRows(chargeId)).toEqual({ n: 2, minor: 200 });
  });

  it('a lasting 409 (the subscription has finished) is stored against its key and replayed', async () => {
    const cp = await permission();
    const api = apiOfA();
    expect((await api.call('POST', '/v1/subscriptions', { body: startBody('idem-finished', cp) })).status).toBe(201);
    expect((await api.call('POST', '/v1/subscriptions/{id}/cancel', { params: { id: 'idem-finished' }, body: { mode: 'now' } })).status).toBe(200);
    for (
      let i = 0;
      i < 80 && (await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'idem-finished' } })).body.workflow.status === 'RUNNING';
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    const pause = () => api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'idem-finished' }, idempotencyKey: 'key-finished-pause' });
    const first = await untilSettled(pause);
    expect(first.status, first.text).toBe(409);
    expect(first.headers.get('retry-after')).toBeNull();
    const again = await pause();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);
  });
});
