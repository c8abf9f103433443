// The HTTP API when Temporal or Amazon Pay does not answer, over real HTTP: 503 problem+json with
// Retry-After, nothing written, and the same Idempotency-Key succeeding once the service is back.
// A second API instance (the daemon's own startApiServer, on the same PostgreSQL) reaches Temporal
// and the simulator through TCP gates the test closes and opens: a partition, not a mock. The
// daemon's and that instance's log lines are captured to show that no API key reaches a log.
import { Client, Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmazonPayClient, type AmazonPayClient } from '../../amazonpay/client.js';
import { startApiServer, type ApiServer } from '../../api/server.js';
import { createApiKey, revokeApiKey } from '../../client/api-keys.js';
import { createLogger } from '../../config/logger.js';
import type { Daemon } from '../../daemon/run.js';
import { FAST_POLICY } from '../support/billing-harness.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { startTcpGate, type TcpGate } from '../support/tcp-gate.js';
import { newKey, openApiClient, startBody, type ApiClient } from './api-support.js';
import { connectTestTemporal, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('HTTP API with Temporal or Amazon Pay unavailable', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  let api: ApiClient;
  let gated: { server: ApiServer; api: ApiClient; temporalGate: TcpGate; amazonGate: TcpGate; connection: Connection; amazonPay: AmazonPayClient };
  let key: string;
  const logLines: string[] = [];
  const taskQueues = uniqueTaskQueues();

  const permission = async (): Promise<string> =>
    (await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
  const rows = async (): Promise<{ subscriptions: number; events: number; idempotency: number }> => {
    const [row] = await database.db.execute<{ s: string; e: string; i: string }>(
      sql`select (select count(*) from subscriptions) as s, (select count(*) from subscription_events) as e, (select count(*) from idempotency_keys where state <> 'released') as i`,
    );
    return { subscriptions: Number(row?.s), events: Number(row?.e), idempotency: Number(row?.i) };
  };
  const expectUnavailable = (res: { status: number; headers: Headers; body: Body }, what: RegExp): void => {
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(res.body).toMatchObject({
      type: 'urn:amazon-pay-billing:problem:service-unavailable',
      status: 503,
      retryAfterSeconds: Number(res.headers.get('retry-after')),
    });
    expect(res.body.detail).toMatch(what);
  };

  /** Sends again while the answer is 503 (a client honouring Retry-After; the gRPC channel reconnects with its own backoff), up to a minute. */
  const onceServed = async (
    send: () => Promise<{ status: number; headers: Headers; body: Body; text: string }>,
  ): Promise<{ status: number; headers: Headers; body: Body; text: string }> => {
    for (let i = 0; ; i++) {
      const res = await send();
      if (res.status !== 503 || i >= 60) return res;
      expectUnavailable(res, /did not answer/);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  };

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator();
    // Every line either instance logs, at trace level: the API-key test reads them.
    const logger = createLogger('trace', 'daemon', { write: (line: string) => void logLines.push(line) });
    daemon = await startTestDaemon({
      database,
      taskQueues,
      amazonPay: sim.amazonPay,
      signature: { mode: 'trusted-key', publicKeyPem: sim.simulator.ipnSigningPublicKeyPem },
      logger,
    });
    key = await newKey(database.db, 'outages');
    ({ client: api } = await openApiClient(daemon.apiUrl, key));

    const temporalGate = await startTcpGate(temporal.address);
    const amazonGate = await startTcpGate(new URL(sim.simulator.url).host);
    const connection = Connection.lazy({ address: temporalGate.address });
    const amazonPay = createAmazonPayClient({ ...sim.amazonPay, endpoint: `http://${amazonGate.address}` });
    const server = await startApiServer({
      host: '127.0.0.1',
      port: 0,
      logger: logger.child({ component: 'api', instance: 'gated' }),
      deps: {
        db: database.db,
        temporal: async () => new Client({ connection, namespace: temporal.namespace }),
        amazonPay: () => amazonPay,
        environment: 'sandbox',
        taskQueues,
        policy: FAST_POLICY,
        now: () => new Date(),
      },
    });
    gated = { server, api: api.at(server.url), temporalGate, amazonGate, connection, amazonPay };
  });
  afterAll(async () => {
    await gated?.server.close();
    await Promise.allSettled([gated?.temporalGate.close(), gated?.amazonGate.close(), gated?.connection.close()]);
    gated?.amazonPay.close();
    await daemon?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('Temporal unreachable: a start is 503 with Retry-After and writes nothing; the same Idempotency-Key succeeds once Temporal is back', async () => {
    const cp = await permission();
    const before = await rows();
    await gated.temporalGate.close();
    try {
      const down = await gated.api.call<Body>('POST', '/v1/subscriptions', { body: startBody('out-temporal', cp), idempotencyKey: 'out-temporal-1' });
      expectUnavailable(down, /Temporal did not answer/);
      // No subscription row, no history event, and no idempotency claim left to block the retry (a released key only remembers its request).
      expect(await rows()).toEqual(before);
      const pause = await gated.api.call<Body>('POST', '/v1/subscriptions/{id}/pause', {
        params: { id: 'out-temporal' },
        idempotencyKey: 'out-temporal-pause',
      });
      expect(pause.status).toBe(404); // nothing was started, so there is nothing to pause
    } finally {
      await gated.temporalGate.open();
    }
    const retried = await onceServed(() =>
      gated.api.call<Body>('POST', '/v1/subscriptions', { body: startBody('out-temporal', cp), idempotencyKey: 'out-temporal-1' }),
    );
    expect(retried.status, retried.text).toBe(201);
    expect(retried.body).toMatchObject({ created: true, subscription: { id: 'out-temporal', status: 'active' } });
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect((await rows()).subscriptions).toBe(before.subscriptions + 1);
    const replayed = await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('out-temporal', cp), idempotencyKey: 'out-temporal-1' });
    expect(replayed.text).toBe(retried.text);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  });

  it('Temporal unreachable: a pause of a running subscription is 503 and changes nothing; its key succeeds later', async () => {
    expect((await api.call('POST', '/v1/subscriptions', { body: startBody('out-pause', await permission()) })).status).toBe(201);
    const before = await rows();
    await gated.temporalGate.close();
    try {
      const down = await gated.api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'out-pause' }, idempotencyKey: 'out-pause-1' });
      expectUnavailable(down, /Temporal did not answer/);
      expect(await rows()).toEqual(before);
    } finally {
      await gated.temporalGate.open();
    }
    const live = await api.call<Body>('GET', '/v1/subscriptions/{id}', { params: { id: 'out-pause' } });
    expect(live.body.live).toMatchObject({ paused: false, status: 'active' });
    const retried = await onceServed(() =>
      gated.api.call<Body>('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'out-pause' }, idempotencyKey: 'out-pause-1' }),
    );
    expect(retried.status, retried.text).toBe(200);
    expect(retried.body.live).toMatchObject({ paused: true, status: 'paused' });
  });

  it('Amazon Pay answering 5xx or unreachable on the start path: 503 with Retry-After, nothing written, the key succeeds later', async () => {
    const before = await rows();
    // Get Charge Permission answers 503 (the simulator's scripted errors).
    const cp = await permission();
    await sim.control.setInjectedErrors([
      { operation: 'getChargePermission', id: cp, status: 503, reasonCode: 'ServiceUnavailable', message: 'Service is unavailable', times: null },
    ]);
    try {
      expectUnavailable(
        await api.call<Body>('POST', '/v1/subscriptions', { body: startBody('out-amazon-503', cp), idempotencyKey: 'out-amazon-503' }),
        /Amazon Pay/,
      );
    } finally {
      await sim.control.setInjectedErrors([]);
    }
    // Get Charge of the checkout's first charge answers 500.
    const withCharge = await sim.control.createChargePermission({ type: 'Recurring', currency: 'USD', firstCharge: { amount: '14.00' } });
    const firstChargeId = withCharge.firstChargeId!;
    const cp2 = withCharge.chargePermission.chargePermissionId;
    await sim.control.setInjectedErrors([
      { operation: 'getCharge', id: firstChargeId, status: 500, reasonCode: 'InternalServerError', message: 'Internal error', times: null },
    ]);
    try {
      expectUnavailable(
        await api.call<Body>('POST', '/v1/subscriptions', {
          body: startBody('out-amazon-charge', cp2, { firstChargeId }),
          idempotencyKey: 'out-amazon-charge',
        }),
        /Amazon Pay/,
      );
    } finally {
      await sim.control.setInjectedErrors([]);
    }
    // Amazon Pay not reachable at all (connection refused).
    const cp3 = await permission();
    await gated.amazonGate.close();
    try {
      expectUnavailable(
        await gated.api.call<Body>('POST', '/v1/subscriptions', { body: startBody('out-amazon-down', cp3), idempotencyKey: 'out-amazon-down' }),
        /Amazon Pay/,
      );
    } finally {
      await gated.amazonGate.open();
    }
    expect(await rows()).toEqual(before);

    for (const [id, body] of [
      ['out-amazon-503', startBody('out-amazon-503', cp)],
      ['out-amazon-charge', startBody('out-amazon-charge', cp2, { firstChargeId })],
      ['out-amazon-down', startBody('out-amazon-down', cp3)],
    ] as const) {
      const retried = await onceServed(() => gated.api.call<Body>('POST', '/v1/subscriptions', { body, idempotencyKey: id }));
      expect(retried.status, `${id}: ${retried.text}`).toBe(201);
      expect(retried.body.created).toBe(true);
    }
  });

  it('API keys never reach a log line: valid, wrong, revoked and read-only keys, and requests that fail inside', async () => {
    const deps = { db: database.db, now: () => new Date() };
    const readOnly = await createApiKey(deps, { name: 'log-read-only', readOnly: true });
    const revoked = await createApiKey(deps, { name: 'log-revoked' });
    await revokeApiKey(deps, revoked.id);
    // Same prefix as a real key, another secret: recognisable, yet not the key.
    const wrong = `${key.slice(0, 10)}${'x'.repeat(key.length - 10)}`;
    const from = logLines.length;
    expect((await api.call('GET', '/v1/subscriptions/{id}', { params: { id: 'out-temporal' } })).status).toBe(200);
    expect((await api.call('GET', '/v1/subscriptions/{id}', { params: { id: 'out-temporal' }, key: wrong })).status).toBe(401);
    expect((await api.call('GET', '/v1/subscriptions/{id}', { params: { id: 'out-temporal' }, key: revoked.secret })).status).toBe(401);
    expect((await api.call('POST', '/v1/subscriptions/{id}/pause', { params: { id: 'out-temporal' }, key: readOnly.secret })).status).toBe(403);
    expect((await api.call('GET', '/v1/subscriptions', { key: readOnly.secret, query: { cursor: 'nonsense' } })).status).toBe(422);
    expect((await api.call('POST', '/v1/subscriptions', { key: readOnly.secret, rawBody: '{not json' })).status).toBe(403);
    expect((await api.call('POST', '/v1/subscriptions', { rawBody: '{not json' })).status).toBe(400);
    const lines = logLines.slice(from);
    expect(
      lines.filter((l) => l.includes('"msg":"api request"')),
      'one debug line per request',
    ).toHaveLength(7);
    expect(
      lines.filter((l) => l.includes('"msg":"api request"') && l.includes(`"apiKeyPrefix":"${readOnly.prefix}"`)),
      'the key is named by its id and prefix',
    ).toHaveLength(3);
    // The whole file's log, including the errors logged with their causes while Temporal was away.
    const text = logLines.join('');
    expect(text).toMatch(/"msg":"api request failed"/);
    for (const secret of [key, wrong, revoked.secret, readOnly.secret]) {
      const tail = secret.slice(10);
      expect(text.includes(tail), `no log line carries the secret part of ${secret.slice(0, 10)}…`).toBe(false);
    }
  });
});
