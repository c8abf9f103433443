import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSnsDelivery, parseSnsEnvelope, type SignedEnvelope } from '../../../ipn/parse.js';
import { createSignatureVerifier, isAmazonSnsCertUrl, snsStringToSign } from '../../../ipn/signature.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

function signedBody(overrides: Record<string, unknown> = {}, message: Record<string, unknown> = {}): string {
  const unsigned = {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:MyTopic',
    Message: JSON.stringify({
      MerchantID: 'A1',
      ObjectType: 'CHARGE',
      ObjectId: 'S02-6865442-5879427-C004671',
      ChargePermissionId: 'S02-6865442-5879427',
      NotificationType: 'STATE_CHANGE',
      NotificationId: 'b874df54',
      NotificationVersion: 'V2',
      ...message,
    }),
    Timestamp: '2012-05-02T00:54:06.655Z',
  };
  const Signature = sign('sha1', Buffer.from(snsStringToSign(unsigned as SignedEnvelope)), privateKey).toString('base64');
  return JSON.stringify({
    ...unsigned,
    SignatureVersion: '1',
    Signature,
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3.pem',
    ...overrides,
  });
}

describe('SNS envelope parsing', () => {
  it('reads the documented notification, parsing Message twice', () => {
    const result = parseSnsDelivery(signedBody());
    expect(result).toMatchObject({
      ok: true,
      delivery: {
        kind: 'notification',
        objectType: 'CHARGE',
        objectId: 'S02-6865442-5879427-C004671',
        chargePermissionId: 'S02-6865442-5879427',
        notificationId: 'b874df54',
      },
    });
  });

  it.each([
    ['not json', 'body is not JSON'],
    ['[1]', 'not a JSON object'],
    [JSON.stringify({ Type: 'Notification' }), 'MessageId'],
    [JSON.stringify({ Type: 'Other', MessageId: 'x' }), 'Type must be'],
    [signedBody({ Message: 'nope' }), 'Message is not a JSON string'],
    [signedBody({}, { ObjectId: 'has space' }), 'ObjectId'],
    [signedBody({ MessageId: 'x'.repeat(201) }), 'MessageId'],
  ])('rejects %s with a reason', (body, reason) => {
    const result = parseSnsDelivery(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('reads the envelope without its Message, so the endpoint checks topic and Timestamp first', () => {
    expect(parseSnsEnvelope(signedBody({ Message: 'nope' }))).toMatchObject({
      ok: true,
      envelope: { MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324', Message: 'nope' },
      confirmation: null,
    });
  });

  it.each([
    [signedBody({ TopicArn: 7 }), '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324'],
    [signedBody({ Type: 'Other' }), '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324'],
    [signedBody({ MessageId: 'has space', TopicArn: 7 }), null],
    ['not json', null],
  ])('names the MessageId of a refused envelope when it has a well-formed one (%#)', (body, messageId) => {
    expect(parseSnsEnvelope(body)).toMatchObject({ ok: false, messageId });
  });

  it('recognises a SubscriptionConfirmation', () => {
    const body = JSON.stringify({
      Type: 'SubscriptionConfirmation',
      MessageId: 'm1',
      TopicArn: 't',
      Timestamp: 'now',
      Message: 'confirm',
      Token: 'tok',
      SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription',
    });
    expect(parseSnsDelivery(body)).toMatchObject({
      ok: true,
      delivery: { kind: 'confirmation', subscribeUrl: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription' },
    });
  });
});

describe('SNS signature verification', () => {
  const envelopeOf = (body: string) => {
    const parsed = parseSnsDelivery(body);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.delivery.envelope;
  };

  it('accepts a signature made with the trusted key and refuses a tampered message', async () => {
    const verifier = createSignatureVerifier({ mode: 'trusted-key', publicKeyPem: pem });
    expect(await verifier.check(envelopeOf(signedBody()))).toBeNull();
    const tampered = JSON.parse(signedBody()) as Record<string, string>;
    tampered.Message = tampered.Message!.replace('CHARGE"', 'CHARGE_PERMISSION"');
    expect(await verifier.check(envelopeOf(JSON.stringify(tampered)))).toEqual({ status: 403, reason: 'the signature does not verify' });
    expect((await verifier.check(envelopeOf(signedBody({ SignatureVersion: '3' }))))?.reason).toContain('SignatureVersion');
  });

  it('in sns mode refuses a bare public key served at a well-formed SNS URL (X.509 only; see sns-trust.test.ts)', async () => {
    const fetched: string[] = [];
    const verifier = createSignatureVerifier({ mode: 'sns', fetchCertificate: async (url) => (fetched.push(url), pem) });
    expect(await verifier.check(envelopeOf(signedBody()))).toEqual({ status: 403, reason: 'SigningCertURL did not serve an X.509 certificate' });
    expect((await verifier.check(envelopeOf(signedBody({ SigningCertURL: 'https://evil.example.com/cert.pem' }))))?.reason).toContain('SigningCertURL');
    expect(fetched).toHaveLength(1);
  });

  it.each([
    ['https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem', true],
    ['https://sns.cn-north-1.amazonaws.com.cn/x.pem', true],
    ['http://sns.us-east-1.amazonaws.com/x.pem', false],
    ['https://sns.us-east-1.amazonaws.com.evil.com/x.pem', false],
    ['https://sns.us-east-1.amazonaws.com:8443/x.pem', false],
    ['https://sns.us-east-1.amazonaws.com:443/x.pem', false],
    ['https://sns.us-east-1.amazonaws.com/x.pem?a=1', false],
    ['https://sns.us-east-1.amazonaws.com/x.pem#f', false],
    ['https://user@sns.us-east-1.amazonaws.com/x.pem', false],
    ['https://sns.us-east-1.amazonaws.com@evil.com/x.pem', false],
    ['https://SNS.us-east-1.amazonaws.com/x.pem', false],
    ['https://sns.us-east-1.amazonaws.com/a/../x.pem', false],
    ['https://sns.us-east-1.amazonaws.com/%78.pem', false],
    ['https://sns.evil.amazonaws.com/x.pem', false],
    ['https://sns.us-east-1.amazonaws.com./x.pem', false],
    ['https://sns.us-east-1.amazonaws.com/x.txt', false],
    ['not a url', false],
  ])('cert URL %s → %s', (url, ok) => {
    expect(isAmazonSnsCertUrl(url)).toBe(ok);
  });
});
