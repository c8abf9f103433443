// Who the IPN endpoint believes, over real HTTP to the real endpoint with a real inbox: only the
// configured topics, a Timestamp inside the window, and a signature from an X.509 certificate
// issued to sns.amazonaws.com at a well-formed SNS URL. The certificate comes from a test-only
// SNS look-alike (test/support/sns-signer.ts) through an injected transport; every production
// check runs. Cheap checks come before any certificate fetch, and fetches are counted.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { listInboxRows } from '../../db/queries/ipn-inbox.js';
import { ipnInbox } from '../../db/schema/index.js';
import { simulatorIpnTrust } from '../../devstack/simulator-ipn.js';
import type { IpnServer, IpnServerOptions } from '../../ipn/server.js';
import { createSimulatorControl } from '../../simulator/control-client.js';
import { startSimulator } from '../../simulator/server.js';
import { eventually } from '../support/billing-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';
import { startTestIpnServer } from '../support/ipn-server.js';
import { captureLogger, PINO_WARN } from '../support/log-capture.js';
import { readSnsFixture, signedTestEnvelope, TEST_CERT_URL, TEST_TOPIC_ARN, testCertificateFetcher } from '../support/sns-signer.js';

/** `withHeader: false` leaves out x-amz-sns-message-id, so a logged MessageId can only come from the envelope. */
const post = async (url: string, envelope: Record<string, string>, withHeader = true) => {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=UTF-8',
    ...(withHeader ? { 'x-amz-sns-message-id': envelope.MessageId ?? '' } : {}),
  };
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(envelope) });
  return { status: response.status, body: (await response.json()) as { error?: string; stored?: boolean } };
};

describe('IPN endpoint: topics, Timestamps and SNS certificates', () => {
  let database: TestDatabase;
  const servers: IpnServer[] = [];

  const start = async (overrides: Partial<IpnServerOptions> & { pem?: string; delayMs?: number } = {}) => {
    const fetcher = testCertificateFetcher(overrides.pem, overrides.delayMs);
    const log = captureLogger();
    const server = await startTestIpnServer({
      allowedTopicArns: [TEST_TOPIC_ARN],
      db: database.db,
      signature: { mode: 'sns', fetchCertificate: fetcher.fetch },
      logger: log.logger,
      ...overrides,
    });
    servers.push(server);
    return { server, fetches: fetcher.calls, lines: log.lines };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  beforeEach(async () => {
    await database.db.delete(ipnInbox);
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await database?.drop();
  });

  it.each(['1', '2'] as const)('stores a notification from an allowed topic signed with SignatureVersion %s', async (signatureVersion) => {
    const { server, fetches } = await start();
    const envelope = signedTestEnvelope({ signatureVersion });
    expect(await post(server.url, envelope)).toEqual({ status: 200, body: { stored: true, duplicate: false } });
    expect((await listInboxRows(database.db)).map((r) => r.messageId)).toEqual([envelope.MessageId]);
    expect(fetches).toEqual([TEST_CERT_URL]);
  });

  it('refuses a genuinely signed notification from another topic with 403, stores nothing, fetches nothing, and logs a warning with the MessageId', async () => {
    const { server, fetches, lines } = await start();
    const envelope = signedTestEnvelope({ topicArn: 'arn:aws:sns:us-east-1:999988887777:SomeoneElsesTopic' });
    const response = await post(server.url, envelope);
    expect(response).toEqual({
      status: 403,
      body: { error: 'TopicArn "arn:aws:sns:us-east-1:999988887777:SomeoneElsesTopic" is not in ipn.allowedTopicArns' },
    });
    expect(await listInboxRows(database.db)).toEqual([]);
    expect(fetches).toEqual([]);
    expect(lines.find((l) => l.msg === 'ipn refused')).toMatchObject({
      level: PINO_WARN,
      status: 403,
      messageId: envelope.MessageId,
      reason: response.body.error,
    });
  });

  it("checks the topic and Timestamp before the inner Message, and logs every refusal with the envelope's MessageId", async () => {
    const { server, fetches, lines } = await start();
    const badMessage = { ObjectId: 'has space' }; // signed, well-formed envelope; its Message is not a valid IPN
    const cases = [
      {
        envelope: signedTestEnvelope({ topicArn: 'arn:aws:sns:us-east-1:999988887777:SomeoneElsesTopic', message: badMessage }),
        status: 403,
        reason: /is not in ipn.allowedTopicArns/,
      },
      { envelope: signedTestEnvelope({ timestamp: '2012-05-02T00:54:06.655Z', message: badMessage }), status: 400, reason: /older than 24 h/ },
      { envelope: signedTestEnvelope({ message: badMessage }), status: 400, reason: /Message\.ObjectId/ },
      { envelope: { ...signedTestEnvelope(), Message: 'not json' }, status: 400, reason: /Message is not a JSON string/ },
      { envelope: { ...signedTestEnvelope(), TopicArn: undefined } as unknown as Record<string, string>, status: 400, reason: /TopicArn/ },
    ];
    for (const { envelope, status, reason } of cases) {
      const response = await post(server.url, envelope, false);
      expect(response.status).toBe(status);
      expect(response.body.error).toMatch(reason);
      expect(lines.filter((l) => l.msg === 'ipn refused').at(-1)).toMatchObject({
        level: PINO_WARN,
        status,
        messageId: envelope.MessageId,
        reason: response.body.error,
      });
    }
    expect(fetches).toEqual([]);
    expect(await listInboxRows(database.db)).toEqual([]);
  });

  it('accepts every topic of an account and region listed as "…:<account>:*"', async () => {
    const { server } = await start({ allowedTopicArns: ['arn:aws:sns:us-east-1:111122223333:*'] });
    expect((await post(server.url, signedTestEnvelope({ topicArn: 'arn:aws:sns:us-east-1:111122223333:AnotherTopic' }))).status).toBe(200);
    expect((await post(server.url, signedTestEnvelope({ topicArn: 'arn:aws:sns:us-west-2:111122223333:AnotherTopic' }))).status).toBe(403);
  });

  it.each([
    ['from 2012', '2012-05-02T00:54:06.655Z', /older than 24 h \(ipn\.maxMessageAge\)/],
    ['two days old', new Date(Date.now() - 2 * 86_400_000).toISOString(), /older than 24 h/],
    ['an hour ahead', new Date(Date.now() + 3_600_000).toISOString(), /more than 5 min ahead/],
    ['not a date', 'yesterday', /not an ISO 8601 UTC date/],
  ])('refuses a signed Timestamp %s with 400 before any fetch', async (_case, timestamp, reason) => {
    const { server, fetches, lines } = await start();
    const envelope = signedTestEnvelope({ timestamp });
    const response = await post(server.url, envelope);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatch(reason);
    expect(fetches).toEqual([]);
    expect(await listInboxRows(database.db)).toEqual([]);
    expect(lines.find((l) => l.msg === 'ipn refused')).toMatchObject({ level: PINO_WARN, status: 400, messageId: envelope.MessageId });
  });

  it('refuses malformed certificate URLs with 403 without fetching: 2,000 distinct query strings → 0 fetches', async () => {
    const { server, fetches } = await start();
    const shapes = [
      `${TEST_CERT_URL}#f`,
      TEST_CERT_URL.replace('https://', 'https://u:p@'),
      TEST_CERT_URL.replace('.com/', '.com:443/'),
      TEST_CERT_URL.replace('https', 'http'),
      'https://sns.us-east-1.amazonaws.com.evil.example/x.pem',
    ];
    const urls = [...shapes, ...Array.from({ length: 2_000 }, (_, i) => `${TEST_CERT_URL}?q=${i}`)];
    const signed = signedTestEnvelope(); // SigningCertURL is not among the signed fields
    const statuses = new Set<number>();
    for (let i = 0; i < urls.length; i += 100) {
      const batch = await Promise.all(urls.slice(i, i + 100).map((url) => post(server.url, { ...signed, SigningCertURL: url })));
      for (const r of batch) statuses.add(r.status);
    }
    expect([...statuses]).toEqual([403]);
    expect(fetches).toEqual([]);
    expect(await listInboxRows(database.db)).toEqual([]);
  });

  it('fetches the certificate once for 200 concurrent deliveries', async () => {
    const { server, fetches } = await start({ delayMs: 200 });
    const results = await Promise.all(Array.from({ length: 200 }, () => post(server.url, signedTestEnvelope())));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(fetches).toHaveLength(1);
    expect(await database.db.select({ n: sql<number>`count(*)::int` }).from(ipnInbox)).toEqual([{ n: 200 }]);
    console.log(`[ipn-trust] 200 concurrent signed deliveries → ${fetches.length} certificate fetch`);
  });

  it.each([
    [
      'a bare public key',
      () => createPublicKey(readSnsFixture('test-signer.key')).export({ type: 'spki', format: 'pem' }).toString(),
      'SigningCertURL did not serve an X.509 certificate',
    ],
    ['a certificate issued to another name', () => readSnsFixture('other-subject.crt'), 'issued to "sns.example.com", not sns.amazonaws.com'],
  ])('refuses a signature whose SigningCertURL serves %s', async (_case, pem, reason) => {
    const { server } = await start({ pem: pem() });
    const response = await post(server.url, signedTestEnvelope());
    expect(response.status).toBe(403);
    expect(response.body.error).toContain(reason);
    expect(await listInboxRows(database.db)).toEqual([]);
  });

  it('refuses a certificate outside its validity (the clock is an input)', async () => {
    const now = () => new Date('2047-01-01T00:00:00Z');
    const { server } = await start({ now });
    const response = await post(server.url, signedTestEnvelope({ timestamp: now().toISOString() }));
    expect(response).toMatchObject({ status: 403, body: { error: expect.stringMatching(/signing certificate expired on Nov \d+ .* 2046 GMT/) } });
  });

  it('warns at start-up when production (sns mode) accepts any topic, and names each new topic it accepts', async () => {
    const startupWarning = (lines: Array<{ msg: string; level: number }>) =>
      lines.filter((l) => l.level === PINO_WARN && l.msg.startsWith('ipn.allowedTopicArns is empty'));
    const open = await start({ allowedTopicArns: [] });
    expect(startupWarning(open.lines)).toHaveLength(1);
    expect((await post(open.server.url, signedTestEnvelope({ topicArn: 'arn:aws:sns:eu-west-1:111122223333:Whatever' }))).status).toBe(200);
    expect(open.lines.filter((l) => (l.msg as string).startsWith('ipn accepted from a topic not in ipn.allowedTopicArns'))).toMatchObject([
      { level: PINO_WARN, topicArn: 'arn:aws:sns:eu-west-1:111122223333:Whatever' },
    ]);
    expect(startupWarning((await start()).lines)).toHaveLength(0);
    expect(startupWarning((await start({ allowedTopicArns: [], signature: { mode: 'off' } })).lines)).toHaveLength(0);
  });

  it("npm run dev's wiring accepts the simulator's topic and signing key, and nothing else", async () => {
    const simulator = await startSimulator({ throttle: { table: 'off' } });
    try {
      const trust = simulatorIpnTrust(simulator); // what devstack/dev.ts hands startDaemon
      const { server } = await start({ signature: trust.ipnSignature, allowedTopicArns: [...trust.ipnTopicArns] });
      const control = createSimulatorControl(simulator.url);
      await control.setIpn({ url: server.url, retryScheduleMs: [] });
      const first = (await control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
      await control.closeChargePermission(first, 'buyer');
      // The same simulator publishing on a topic the daemon was not told about is refused.
      await control.setIpn({ topicArn: 'arn:aws:sns:us-east-1:000000000000:NotConfigured' });
      const second = (await control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
      await control.closeChargePermission(second, 'buyer');
      const deliveries = await eventually(
        async () => (await control.ipnDeliveries()).deliveries,
        (d) => d.some((x) => x.objectId === first) && d.some((x) => x.objectId === second),
        { timeoutMs: 10_000, what: 'both deliveries' },
      );
      expect(new Set(deliveries.filter((d) => d.objectId === first).map((d) => d.status))).toEqual(new Set([200]));
      expect(new Set(deliveries.filter((d) => d.objectId === second).map((d) => d.status))).toEqual(new Set([403]));
      expect(new Set((await listInboxRows(database.db)).map((r) => r.chargePermissionId))).toEqual(new Set([first]));
    } finally {
      await simulator.close();
    }
  });
});
