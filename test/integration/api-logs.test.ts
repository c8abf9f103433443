// The HTTP API logs each request (a debug line from Fastify's per-request child logger, an error
// line for a failure): at trace level, with valid, unknown, revoked and read-only keys, no line may
// carry an API key or its Authorization header (config/logger.ts redacts them wherever they appear).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey, listApiKeys } from '../../client/api-keys.js';
import type { Daemon } from '../../daemon/run.js';
import { captureLogger } from '../support/log-capture.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { newKey } from './api-support.js';
import { startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

describe('HTTP API: API keys never reach the logs', () => {
  let database: TestDatabase;
  let sim: SimulatorWithKeys;
  let daemon: Daemon;
  const log = captureLogger('trace');

  beforeAll(async () => {
    database = await createTestDatabase();
    sim = await startTestSimulator();
    daemon = await startTestDaemon({ database, taskQueues: uniqueTaskQueues(), amazonPay: sim.amazonPay, signature: { mode: 'off' }, logger: log.logger });
  });
  afterAll(async () => {
    await daemon?.shutdown();
    await sim?.simulator.close();
    await database?.drop();
  });

  it('with valid, unknown, revoked and read-only keys, at trace level', async () => {
    const valid = await newKey(database.db, 'logs-rw');
    const readOnly = await newKey(database.db, 'logs-ro', true);
    const revoked = await newKey(database.db, 'logs-revoked');
    const revokedId = (await listApiKeys({ db: database.db, now: () => new Date() })).find((k) => k.name === 'logs-revoked')!.id;
    await revokeApiKey({ db: database.db, now: () => new Date() }, revokedId);
    const unknown = `bk_${'x'.repeat(43)}`;
    const call = (key: string, method = 'GET', body?: unknown) =>
      fetch(`${daemon.apiUrl}/v1/subscriptions`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json', 'idempotency-key': 'logs-1' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    expect((await call(valid)).status).toBe(200);
    expect((await call(unknown)).status).toBe(401);
    expect((await call(revoked)).status).toBe(401);
    expect((await call(readOnly, 'POST', { id: 'x' })).status).toBe(403);
    expect((await call(valid, 'POST', { id: 'bad id!' })).status).toBe(400);

    const text = log.lines.map((line) => JSON.stringify(line)).join('\n');
    expect(log.lines.filter((line) => line.msg === 'api request').length).toBeGreaterThanOrEqual(5); // the requests were logged
    for (const secret of [valid, readOnly, revoked, unknown]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/Bearer /i);
  });
});
