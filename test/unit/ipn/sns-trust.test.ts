// What the 'sns' verifier trusts: literal vectors (a fixed envelope, its string to sign and its
// SHA1/SHA256 signatures made once with test/support/sns/test-signer.key), X.509 subject and
// validity, and the certificate cache's single flight and bound.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { snsCertUrlProblem } from '../../../ipn/cert-url.js';
import { createCertificateStore, fetchCertificatePem } from '../../../ipn/certificates.js';
import type { SignedEnvelope } from '../../../ipn/parse.js';
import { createSignatureVerifier, snsStringToSign } from '../../../ipn/signature.js';
import { timestampProblem } from '../../../ipn/timestamp.js';
import { createTopicPolicy } from '../../../ipn/topics.js';
import { readSnsFixture, TEST_CERT_URL, testCertificateFetcher } from '../../support/sns-signer.js';

const VECTOR: SignedEnvelope = {
  Type: 'Notification',
  MessageId: 'd6f1e3a2-5b7c-4e8d-9f0a-1b2c3d4e5f60',
  TopicArn: 'arn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn',
  Message: '{"ObjectType":"CHARGE_PERMISSION","ObjectId":"S01-1234567-7654321"}',
  Timestamp: '2027-03-01T12:00:00.000Z',
  SigningCertURL: TEST_CERT_URL,
};
const VECTOR_STRING_TO_SIGN =
  'Message\n{"ObjectType":"CHARGE_PERMISSION","ObjectId":"S01-1234567-7654321"}\nMessageId\nd6f1e3a2-5b7c-4e8d-9f0a-1b2c3d4e5f60\nTimestamp\n2027-03-01T12:00:00.000Z\nTopicArn\narn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn\nType\nNotification\n';
const SIGNATURE_V1 =
  'H3sR7472w5X/Hk9LIvmikDpENc1GXibx6/Rq9TXwG8LwSNN1kg2zZXZvUQ5ovsJ9GKk6Q5evLzrU02p+CU/MbxrhJH8gFpy1OY1TqkuNFVGSs4JajeamUUhTCqhNRCeg8I0d5nO0BoiTu9OGEmiieOPPaWOKwCqgKNEeG+m6Wgg8NQuZBiQkce4a7nZPNwjihMITT6bKPZq1s2MYKOVjw/M4RmmDMtcHWpsApM/knGmbsfm7zO+zxsuqQr7C0ftmIegSolMaxnCCWGynnVOKDZWSqwwZiTBVfpmyXcHJ/A5JQ3QnRrHmtmh+/yKk36OHu+BU/kDTXAfDCRCIxRQ7Mg==';
const SIGNATURE_V2 =
  'C8PYI/2/qSr6m9dfgIZuv+T/xNox6tMixFxzAR1wIux/UrrH2iGIXrkLIb1sFa7Ku3wbKFQ8qMTkf82R1gyka2BO0XGwaxvwKjG5mdee3y71xATjhhKW5TBzIYYObz/bSa83u4AqJoIX+PqRBTwJAgXrXA+qBUFJdSy2ncJ0+t9AEV/Tiismh3Q7aCXP2EYchcy0znOk+T+FUWlupwGpn6x/KH1yD0a6h1xUNU4XhDrANY2WbbUwiuNW62FnE0NSQ6MMYZZH0siXs0YMrbQLEjywiaavM7faNqtEtNYtUXJ6SMxfMVldJCcK58/Cwsy40vfTDCF2AXqY4v/OrGbovQ==';
const V1 = { ...VECTOR, SignatureVersion: '1', Signature: SIGNATURE_V1 };
const V2 = { ...VECTOR, SignatureVersion: '2', Signature: SIGNATURE_V2 };
const AT = (iso: string) => () => new Date(iso);
// The test certificate is valid from its creation (29 Nov 2026) for 20 years.
const DURING = AT('2027-03-01T12:00:05Z');

describe('SNS signature vectors', () => {
  it('builds the documented string to sign', () => {
    expect(snsStringToSign(VECTOR)).toBe(VECTOR_STRING_TO_SIGN);
  });

  it.each([
    ['1 (SHA1withRSA)', V1],
    ['2 (SHA256withRSA)', V2],
  ])('accepts SignatureVersion %s from an X.509 certificate issued to sns.amazonaws.com', async (_v, envelope) => {
    const verifier = createSignatureVerifier({ mode: 'sns', fetchCertificate: testCertificateFetcher().fetch }, DURING);
    expect(await verifier.check(envelope)).toBeNull();
  });

  it.each([
    ['a SHA1 signature labelled version 2', { ...V1, SignatureVersion: '2' }, 'the signature does not verify'],
    ['a changed Message', { ...V1, Message: V1.Message.replace('S01', 'S02') }, 'the signature does not verify'],
    ['a changed TopicArn', { ...V2, TopicArn: `${V2.TopicArn}x` }, 'the signature does not verify'],
    ['no Signature', { ...V1, Signature: '' }, 'Signature is missing'],
  ])('refuses %s', async (_case, envelope, reason) => {
    const verifier = createSignatureVerifier({ mode: 'sns', fetchCertificate: testCertificateFetcher().fetch }, DURING);
    expect(await verifier.check(envelope)).toEqual({ status: 403, reason: expect.stringContaining(reason) });
  });
});

// A Notification with a Subject (signed between MessageId and Timestamp), SignatureVersion 2, and a
// SubscriptionConfirmation (Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type), each
// string to sign written out per https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
// and signed once with test/support/sns/test-signer.key.
const WITH_SUBJECT: SignedEnvelope = {
  Type: 'Notification',
  MessageId: '3c2a9b8e-7d6f-4a1b-8c0d-2e3f4a5b6c7d',
  TopicArn: 'arn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn',
  Subject: 'Amazon Pay: charge updated',
  Message: '{"ObjectType":"CHARGE","ObjectId":"S01-1234567-7654321-C000001"}',
  Timestamp: '2027-03-01T12:00:00.000Z',
  SigningCertURL: TEST_CERT_URL,
  SignatureVersion: '2',
  Signature:
    'Td6+DcZjG3ryHx46SY9GUKbE8RKudDI+DKBd5k4be40iPMgSt7+DAHIZpSleQ3LL7OVU7MnnalHSlplf2a19Od2Wuwbx/aep/2Tk9zkul+IHhZfmqHlkV+GPkJDxdlpxWWnTEdGs6WrT28bfCiqEC2kDZfvToeftLPRXzNq+aDyuFmmzCsRdWmY1ESJtYdtq4B17fOWfHfFCMD8vB//ASYDRsH8vnLi8ohY5y44wgI1txxAZNFO3Xkvnc7+rNsQ1xHeMbWhCAuSbXY9z2QCRIIDbIzCSnKor0DBR4lC2EFNrq5VOOOEFZubOCinDb+8+e451Kk/vGU5UAhBAK1iu5w==',
};
const WITH_SUBJECT_STRING_TO_SIGN =
  'Message\n{"ObjectType":"CHARGE","ObjectId":"S01-1234567-7654321-C000001"}\nMessageId\n3c2a9b8e-7d6f-4a1b-8c0d-2e3f4a5b6c7d\nSubject\nAmazon Pay: charge updated\nTimestamp\n2027-03-01T12:00:00.000Z\nTopicArn\narn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn\nType\nNotification\n';
const TOKEN =
  '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736';
const CONFIRMATION: SignedEnvelope = {
  Type: 'SubscriptionConfirmation',
  MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
  Token: TOKEN,
  TopicArn: 'arn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn',
  Message:
    'You have chosen to subscribe to the topic arn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn.\nTo confirm the subscription, visit the SubscribeURL included in this message.',
  SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn&Token=${TOKEN}`,
  Timestamp: '2027-03-01T12:00:00.000Z',
  SigningCertURL: TEST_CERT_URL,
};
const CONFIRMATION_STRING_TO_SIGN =
  'Message\nYou have chosen to subscribe to the topic arn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn.\nTo confirm the subscription, visit the SubscribeURL included in this message.\n' +
  'MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n' +
  `SubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn&Token=${TOKEN}\n` +
  `Timestamp\n2027-03-01T12:00:00.000Z\nToken\n${TOKEN}\nTopicArn\narn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn\nType\nSubscriptionConfirmation\n`;
const CONFIRMATION_V1 = {
  ...CONFIRMATION,
  SignatureVersion: '1',
  Signature:
    'RhzmTexqKn4gT9GjqsgcIasCQ8luICU1LpnBzHnp1e6aXw/ldBDcZ34eA/gfeOAV/55DvW5CGj6P1DByx/W5MsDzlHB6Ts4DcJbyUQomoL43UOjD8pyoglRsuTBN8hxvjLqnbB7NInNcfWNLcxCHa8Bl3XxtUiR6xkwXu+dC+/lLag2WtnulVTd7Xf/dY3xb4poMjW00WPBLeWFSCsPgsMfCl/m4/38UC1vScBl+1TpySLclLbI5VvN27hQwCWK17bMEbVhPfToBm7ghy89VuelPlzrmclK3FHXIJ+KtS93XnMG9LiaynetViyBZcMksUVMVdx9J7E0zqL3dmAlZiA==',
};
const CONFIRMATION_V2 = {
  ...CONFIRMATION,
  SignatureVersion: '2',
  Signature:
    'R9HXg9xNLhIRovEh+ndav/x5E5pwMWvjZZrKNMvonYfNAE98aJDosJbNKcbVaFr+IMun0pS/R9viNvQgQmYqWo1ox58DuLnp9hPJa12PdvnVgTMjAzJN6SY4SgvLKN1f/JPp/Ut4j8fBhRjDhrRaFJqF3HqoyCKcmgIAaaFDD98annnwla5fpo/B+6MVhVfg07FiR09RA2+rxZ0sIKEfaOkC8JbMMc6w1deTFPktsUkdyNChDcjcczLA8vOzPsB+XbC0kdeNxobkWwWGsUdOw30sJTtRSCDnoJzcS9I8Wfx2inf2XeWwgu6UVT5+RkvKlb7bStFXs2jOmnuWC8kivg==',
};

describe('SNS signature vectors: Subject and SubscriptionConfirmation', () => {
  const check = (envelope: SignedEnvelope) =>
    createSignatureVerifier({ mode: 'sns', fetchCertificate: testCertificateFetcher().fetch }, DURING).check(envelope);

  it('a Notification with a Subject: Subject is signed between MessageId and Timestamp', async () => {
    expect(snsStringToSign(WITH_SUBJECT)).toBe(WITH_SUBJECT_STRING_TO_SIGN);
    expect(await check(WITH_SUBJECT)).toBeNull();
    expect((await check({ ...WITH_SUBJECT, Subject: 'Amazon Pay: charge declined' }))?.reason).toBe('the signature does not verify');
    const { Subject: _dropped, ...withoutSubject } = WITH_SUBJECT;
    expect((await check(withoutSubject))?.reason).toBe('the signature does not verify');
  });

  it.each([
    ['1 (SHA1withRSA)', CONFIRMATION_V1],
    ['2 (SHA256withRSA)', CONFIRMATION_V2],
  ])('a SubscriptionConfirmation signed with SignatureVersion %s: SubscribeURL and Token are signed', async (_v, envelope) => {
    expect(snsStringToSign(envelope)).toBe(CONFIRMATION_STRING_TO_SIGN);
    expect(await check(envelope)).toBeNull();
    expect((await check({ ...envelope, Token: `${TOKEN.slice(0, -1)}7` }))?.reason).toBe('the signature does not verify');
    expect((await check({ ...envelope, SubscribeURL: envelope.SubscribeURL!.replace('us-east-1', 'us-west-2') }))?.reason).toBe(
      'the signature does not verify',
    );
  });
});

describe('the signing certificate', () => {
  const check = async (pem: string, now: () => Date) =>
    createSignatureVerifier({ mode: 'sns', fetchCertificate: testCertificateFetcher(pem).fetch }, now).check(V1);

  it('must be valid now: not before validFrom, not after validTo', async () => {
    expect((await check(readSnsFixture('sns-subject.crt'), AT('2020-01-01T00:00:00Z')))?.reason).toMatch(/not valid before Nov 29 .* 2026 GMT/);
    expect((await check(readSnsFixture('sns-subject.crt'), AT('2050-01-01T00:00:00Z')))?.reason).toMatch(/expired on Nov 24 .* 2046 GMT/);
  });

  it('must be issued to sns.amazonaws.com', async () => {
    expect(await check(readSnsFixture('other-subject.crt'), DURING)).toEqual({
      status: 403,
      reason: 'the signing certificate is issued to "sns.example.com", not sns.amazonaws.com',
    });
  });

  it('must be an X.509 certificate, not a bare public key (which only the explicit trusted-key mode accepts)', async () => {
    const bareKey = createPublicKey(readSnsFixture('test-signer.key')).export({ type: 'spki', format: 'pem' }).toString();
    expect(await check(bareKey, DURING)).toEqual({ status: 403, reason: 'SigningCertURL did not serve an X.509 certificate' });
    expect(await check('not a pem at all', DURING)).toEqual({ status: 403, reason: 'SigningCertURL did not serve an X.509 certificate' });
    expect(await createSignatureVerifier({ mode: 'trusted-key', publicKeyPem: bareKey }).check(V1)).toBeNull();
  });

  it('that cannot be fetched gives 503 (SNS delivers again), and is not cached', async () => {
    let calls = 0;
    const verifier = createSignatureVerifier({ mode: 'sns', fetchCertificate: async () => (calls++, Promise.reject(new Error('answered 404'))) }, DURING);
    expect(await verifier.check(V1)).toEqual({ status: 503, reason: 'the signing certificate could not be fetched (answered 404)' });
    await verifier.check(V1);
    expect(calls).toBe(2);
  });
});

describe('SigningCertURL shape (checked before any fetch)', () => {
  it.each([
    TEST_CERT_URL,
    'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-a.pem',
    'https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem',
    'https://sns.us-gov-west-1.amazonaws.com/x.pem',
  ])('accepts %s', (url) => expect(snsCertUrlProblem(url)).toBeNull());

  it.each([
    ['a query', `${TEST_CERT_URL}?v=1`],
    ['an empty query', `${TEST_CERT_URL}?`],
    ['a fragment', `${TEST_CERT_URL}#x`],
    ['user info', TEST_CERT_URL.replace('https://', 'https://a:b@')],
    ['the default port spelled out', TEST_CERT_URL.replace('.com/', '.com:443/')],
    ['another port', TEST_CERT_URL.replace('.com/', '.com:8443/')],
    ['http', TEST_CERT_URL.replace('https', 'http')],
    ['a look-alike host', 'https://sns.us-east-1.amazonaws.com.evil.example/x.pem'],
    ['a host that is not SNS', 'https://s3.us-east-1.amazonaws.com/x.pem'],
    ['a non-region label', 'https://sns.attacker.amazonaws.com/x.pem'],
    ['percent-escapes', 'https://sns.us-east-1.amazonaws.com/%2e%2e/x.pem'],
    ['a backslash', 'https://sns.us-east-1.amazonaws.com\\@evil.example/x.pem'],
    ['not .pem', 'https://sns.us-east-1.amazonaws.com/x.pem.txt'],
    ['a long path', `https://sns.us-east-1.amazonaws.com/${'a'.repeat(300)}.pem`],
    ['nothing', undefined],
  ])('refuses %s', (_case, url) => expect(snsCertUrlProblem(url)).not.toBeNull());
});

describe('Timestamp window', () => {
  const window = { maxAgeMs: 86_400_000, maxSkewMs: 300_000 };
  const now = new Date('2027-03-01T12:00:00Z');
  it.each([
    ['2027-03-01T12:00:00Z', null],
    ['2027-02-28T12:00:01.123Z', null],
    ['2027-03-01T12:04:59.999Z', null],
    ['2012-05-02T00:54:06.655Z', /older than 24 h/],
    ['2027-03-01T12:05:01Z', /more than 5 min ahead/],
    ['yesterday', /not an ISO 8601 UTC date/],
    ['2027-02-30T12:00:00Z', /not an ISO 8601 UTC date/],
    ['2027-03-01T12:00:00+01:00', /not an ISO 8601 UTC date/],
    ['', /not an ISO 8601 UTC date/],
  ])('%s → %s', (timestamp, expected) => {
    const problem = timestampProblem(timestamp, now, window);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });
});

describe('allowed topics', () => {
  const policy = createTopicPolicy(['arn:aws:sns:us-east-1:111122223333:AmazonPayIpn', 'arn:aws:sns:eu-west-1:444455556666:*']);
  it.each([
    ['arn:aws:sns:us-east-1:111122223333:AmazonPayIpn', true],
    ['arn:aws:sns:us-east-1:111122223333:Other', false],
    ['arn:aws:sns:us-east-1:999999999999:AmazonPayIpn', false],
    ['arn:aws:sns:eu-west-1:444455556666:AnyName', true],
    ['arn:aws:sns:eu-west-1:444455556666:a:b', false],
    ['arn:aws:sns:eu-west-2:444455556666:AnyName', false],
  ])('%s → %s', (arn, ok) => expect(policy.allows(arn)).toBe(ok));
  it('accepts every topic only when none is configured', () => {
    expect(createTopicPolicy([]).open).toBe(true);
    expect(createTopicPolicy([]).allows('arn:aws:sns:us-east-1:000000000000:x')).toBe(true);
    expect(policy.open).toBe(false);
  });
});

describe('certificate cache', () => {
  it('fetches once for 200 concurrent requests on one URL', async () => {
    const fetcher = testCertificateFetcher(undefined, 50);
    const store = createCertificateStore({ fetchPem: fetcher.fetch, now: DURING });
    await Promise.all(Array.from({ length: 200 }, () => store.publicKey(TEST_CERT_URL)));
    expect(fetcher.calls).toHaveLength(1);
    console.log(`[ipn-cert-cache] 200 concurrent requests on one URL → ${fetcher.calls.length} fetch`);
  });

  it('keeps at most maxEntries certificates however many URLs it sees, and refuses fetches beyond the concurrency cap', async () => {
    const fetcher = testCertificateFetcher();
    const store = createCertificateStore({ fetchPem: fetcher.fetch, now: DURING, maxEntries: 32 });
    for (let i = 0; i < 2_000; i++) await store.publicKey(`https://sns.us-east-1.amazonaws.com/${'x'.repeat(200)}${i}.pem`);
    expect(store.stats()).toMatchObject({ cached: 32, inFlight: 0, fetches: 2_000 });

    const slow = createCertificateStore({ fetchPem: testCertificateFetcher(undefined, 100).fetch, now: DURING, maxConcurrentFetches: 4 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => slow.publicKey(`https://sns.us-east-1.amazonaws.com/c${i}.pem`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason.message))[0]).toMatch(
      /too many signing certificates/,
    );
  });

  it('uses the least recently used order: a certificate in use stays', async () => {
    const fetcher = testCertificateFetcher();
    const store = createCertificateStore({ fetchPem: fetcher.fetch, now: DURING, maxEntries: 2 });
    const url = (n: number) => `https://sns.us-east-1.amazonaws.com/c${n}.pem`;
    await store.publicKey(url(1));
    await store.publicKey(url(2));
    await store.publicKey(url(1));
    await store.publicKey(url(3)); // evicts 2, not 1
    await store.publicKey(url(1));
    expect(fetcher.calls).toEqual([url(1), url(2), url(3)]);
  });
});

describe('fetchCertificatePem (the production transport)', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? (server.closeAllConnections(), server.close(() => resolve())) : resolve())));
  const serve = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/c.pem`;
  };

  it('returns a small 200 body', async () => {
    const url = await serve((_req, res) => res.end(readSnsFixture('sns-subject.crt')));
    expect(await fetchCertificatePem(url)).toContain('BEGIN CERTIFICATE');
  });

  it('refuses a body over the size limit, declared or streamed', async () => {
    const declared = await serve((_req, res) => res.end('x'.repeat(40_000)));
    await expect(fetchCertificatePem(declared, { maxBytes: 32_768 })).rejects.toThrow(/40000 bytes, more than 32768/);
    server!.closeAllConnections();
    server!.close();
    const streamed = await serve((_req, res) => {
      res.write('x'.repeat(20_000));
      res.end('x'.repeat(20_000));
    });
    await expect(fetchCertificatePem(streamed, { maxBytes: 32_768 })).rejects.toThrow(/more than 32768 bytes/);
  });

  it('gives up after the timeout, on a redirect and on a non-200', async () => {
    let url = await serve((_req, res) => void setTimeout(() => res.end('late'), 2_000));
    const started = Date.now();
    await expect(fetchCertificatePem(url, { timeoutMs: 300 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_500);
    server!.closeAllConnections();
    server!.close();
    url = await serve((req, res) => (req.url === '/c.pem' ? res.writeHead(302, { location: '/d.pem' }).end() : res.writeHead(404).end()));
    await expect(fetchCertificatePem(url)).rejects.toThrow();
    await expect(fetchCertificatePem(url.replace('c.pem', 'd.pem'))).rejects.toThrow(/answered 404/);
  });
});
