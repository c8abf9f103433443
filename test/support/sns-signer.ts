// A test-only SNS look-alike: signs notification envelopes with test/support/sns/test-signer.key,
// whose self-signed X.509 certificate names sns.amazonaws.com (sns-subject.crt). Nothing here is
// trusted by the product on its own: a test hands `testCertificateFetcher` to the 'sns' verifier,
// which replaces only the network transport; URL shape, X.509 parsing, subject and validity checks
// stay those of production. The string to sign is written out here from AWS's documentation,
// independently of ipn/signature.ts.
import { readFileSync } from 'node:fs';
import { randomUUID, sign } from 'node:crypto';

const here = new URL('./sns/', import.meta.url);
const fixtures = new Map<string, string>();
export const readSnsFixture = (name: 'test-signer.key' | 'sns-subject.crt' | 'other-subject.crt'): string => {
  if (!fixtures.has(name)) fixtures.set(name, readFileSync(new URL(name, here), 'utf8'));
  return fixtures.get(name)!;
};

/** Where the test certificate is "served": a well-formed SNS URL in us-east-1. */
export const TEST_CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem';
export const TEST_TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:AmazonPayTestIpn';

export interface TestEnvelopeInput {
  topicArn?: string;
  timestamp?: string;
  messageId?: string;
  signingCertUrl?: string;
  signatureVersion?: '1' | '2';
  message?: Record<string, unknown>;
}

/** A CHARGE_PERMISSION notification signed like SNS does (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA). */
export function signedTestEnvelope(input: TestEnvelopeInput = {}): Record<string, string> {
  const chargePermissionId = 'S01-1234567-7654321';
  const fields = {
    Type: 'Notification',
    MessageId: input.messageId ?? randomUUID(),
    TopicArn: input.topicArn ?? TEST_TOPIC_ARN,
    Message: JSON.stringify({
      MerchantID: 'A1TEST',
      ObjectType: 'CHARGE_PERMISSION',
      ObjectId: chargePermissionId,
      ChargePermissionId: chargePermissionId,
      NotificationType: 'STATE_CHANGE',
      NotificationId: randomUUID(),
      NotificationVersion: 'V2',
      ...input.message,
    }),
    Timestamp: input.timestamp ?? new Date().toISOString(),
  };
  // https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html: for a
  // Notification, Message, MessageId, Subject (absent here), Timestamp, TopicArn, Type — each "name\nvalue\n".
  const stringToSign = `Message\n${fields.Message}\nMessageId\n${fields.MessageId}\nTimestamp\n${fields.Timestamp}\nTopicArn\n${fields.TopicArn}\nType\n${fields.Type}\n`;
  const version = input.signatureVersion ?? '1';
  const signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(stringToSign, 'utf8'), readSnsFixture('test-signer.key')).toString('base64');
  return { ...fields, SignatureVersion: version, Signature: signature, SigningCertURL: input.signingCertUrl ?? TEST_CERT_URL };
}

/** An injected certificate transport: serves `pem` (default: the sns.amazonaws.com test certificate) for every URL, counting calls. */
export function testCertificateFetcher(pem = readSnsFixture('sns-subject.crt'), delayMs = 0) {
  const calls: string[] = [];
  return {
    calls,
    fetch: async (url: string): Promise<string> => {
      calls.push(url);
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return pem;
    },
  };
}
