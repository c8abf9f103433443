import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../config/logger.js';
import { listInboxRows } from '../../db/queries/ipn-inbox.js';
import type { IpnInboxRow } from '../../db/schema/index.js';
import { startIpnServer, type IpnServer } from '../../ipn/server.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';

/** mulberry32: a seeded generator, so a failing case can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function validEnvelope(): Record<string, unknown> {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: 'arn:aws:sns:us-east-1:000000000000:Fuzz',
    Timestamp: new Date().toISOString(),
    Message: JSON.stringify({
      MerchantID: 'M',
      ObjectType: 'CHARGE_PERMISSION',
      ObjectId: 'S01-1111111-1111111',
      ChargePermissionId: 'S01-1111111-1111111',
      NotificationType: 'STATE_CHANGE',
      NotificationId: randomUUID(),
      NotificationVersion: 'V2',
    }),
    SignatureVersion: '1',
    Signature: 'AAAA',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/x.pem',
  };
}

/** Raw HTTP (fetch would normalise some of what we want to send). */
function post(url: string, body: Buffer, headers: Record<string, string> = {}, method = 'POST'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { 'content-type': 'text/plain; charset=UTF-8', 'content-length': String(body.length), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('IPN endpoint under malformed, truncated, oversized and random input', () => {
  let database: TestDatabase;
  let server: IpnServer;
  const dispatched: IpnInboxRow[] = [];
  const MAX = 4096;

  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startIpnServer({
      host: '127.0.0.1',
      port: 0,
      path: '/ipn',
      maxBodyBytes: MAX,
      db: database.db,
      dispatcher: { dispatch: async (row) => (dispatched.push(row), true) },
      // Signed by nobody: every case must fail on the body, or on the signature check.
      signature: { mode: 'trusted-key', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nnone\n-----END PUBLIC KEY-----\n' },
      logger: createLogger('silent'),
    });
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('answers a few hundred seeded bad bodies with a 4xx and stores nothing', async () => {
    const random = seeded(20261128);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const cases: Array<{ name: string; body: Buffer; headers?: Record<string, string>; method?: string; path?: string }> = [];
    for (let i = 0; i < 320; i++) {
      const kind = i % 8;
      const valid = JSON.stringify(validEnvelope());
      if (kind === 0)
        cases.push({ name: 'random bytes', body: Buffer.from(Array.from({ length: 1 + Math.floor(random() * 600) }, () => Math.floor(random() * 256))) });
      else if (kind === 1) cases.push({ name: 'truncated envelope', body: Buffer.from(valid.slice(0, Math.floor(random() * (valid.length - 1)))) });
      else if (kind === 2) {
        const e = validEnvelope();
        const key = pick(Object.keys(e));
        e[key] = pick([null, 42, [], {}, '', 'x'.repeat(300), true, '\u0000', 'bad id with spaces']);
        cases.push({ name: `mutated ${key}`, body: Buffer.from(JSON.stringify(e)) });
      } else if (kind === 3) {
        const e = validEnvelope();
        const inner = JSON.parse(e.Message as string) as Record<string, unknown>;
        const key = pick(['ObjectType', 'ObjectId', 'ChargePermissionId', 'NotificationId']);
        inner[key] = pick([null, 7, {}, '', 'x'.repeat(500), 'a b']);
        e.Message = pick([JSON.stringify(inner), (e.Message as string).slice(0, 10), '[]', '"str"', 'not json']);
        cases.push({ name: `inner ${key}`, body: Buffer.from(JSON.stringify(e)) });
      } else if (kind === 4) cases.push({ name: 'oversized', body: Buffer.alloc(MAX + 1 + Math.floor(random() * 10_000), 0x7b) });
      else if (kind === 5) cases.push({ name: 'wrong method', body: Buffer.from(valid), method: pick(['GET', 'PUT', 'DELETE', 'PATCH']) });
      else if (kind === 6)
        cases.push({
          name: 'wrong type or shape',
          body: Buffer.from(
            pick([
              '[]',
              '{}',
              'null',
              '1',
              '"x"',
              JSON.stringify({ Type: 'Other', MessageId: 'm' }),
              JSON.stringify({ ...validEnvelope(), Type: 'SubscriptionConfirmation' }),
            ]),
          ),
        });
      else
        cases.push({
          name: 'valid shape, forged signature',
          body: Buffer.from(valid),
          ...(random() < 0.3 ? { headers: { 'content-type': 'application/xml' } } : {}),
        });
    }
    const statuses = new Map<number, number>();
    for (const c of cases) {
      const response = await post(`${server.url.replace(/\/ipn$/, '')}${c.path ?? '/ipn'}`, c.body, c.headers, c.method);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, `${c.name}: ${response.body}`).toBeGreaterThanOrEqual(400);
      expect(response.status, `${c.name}: ${response.body}`).toBeLessThan(500);
      expect(response.body).not.toMatch(/\bat .*\.ts:\d+/); // no stack traces
      expect(JSON.parse(response.body)).toHaveProperty('error');
    }
    console.log(`[ipn-fuzz] ${cases.length} cases → ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(statuses.get(413)).toBeGreaterThan(0);
    expect(statuses.get(405)).toBeGreaterThan(0);
    expect(statuses.get(403)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(await listInboxRows(database.db)).toEqual([]);
    expect(dispatched).toEqual([]);
  });

  it('is still intact afterwards: a well-formed delivery is stored once, its redelivery collapses', async () => {
    const open = await startIpnServer({
      host: '127.0.0.1',
      port: 0,
      path: '/ipn',
      maxBodyBytes: MAX,
      db: database.db,
      dispatcher: { dispatch: async (row) => (dispatched.push(row), true) },
      signature: { mode: 'off' },
      logger: createLogger('silent'),
    });
    try {
      const body = Buffer.from(JSON.stringify(validEnvelope()));
      expect((await post(open.url, body)).status).toBe(200);
      expect(JSON.parse((await post(open.url, body)).body)).toEqual({ stored: true, duplicate: true });
      const unknownType = validEnvelope();
      unknownType.Message = JSON.stringify({ ObjectType: 'CHARGEBACK', ObjectId: 'CB-1', NotificationId: randomUUID() });
      expect((await post(open.url, Buffer.from(JSON.stringify(unknownType)))).status).toBe(200);
      const rows = await listInboxRows(database.db);
      expect(rows.map((r) => [r.objectType, r.status])).toEqual([
        ['CHARGE_PERMISSION', 'pending'],
        ['CHARGEBACK', 'ignored'],
      ]);
      expect(dispatched).toHaveLength(2); // the first delivery and its redelivery (row still pending); the handler id collapses them
    } finally {
      await open.close();
    }
  });
});
