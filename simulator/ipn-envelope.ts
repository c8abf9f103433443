// Builds and signs the SNS HTTP notification envelope that carries an Amazon Pay IPN (Amazon Pay
// IPN (SNS) delivery). SignatureVersion "1" = SHA1withRSA over the SNS string-to-sign. The
// simulator signs with its own RSA key and serves the matching *public key PEM* (not an X.509
// certificate) at SigningCertURL; `crypto.verify('sha1', …, pem, …)` accepts either form.
import { randomUUID, sign, type KeyObject } from 'node:crypto';

export type IpnObjectType = 'CHARGE_PERMISSION' | 'CHARGE' | 'REFUND';

export interface IpnMessage {
  MerchantID: string;
  ObjectType: IpnObjectType;
  ObjectId: string;
  ChargePermissionId: string;
  NotificationType: 'STATE_CHANGE';
  NotificationId: string;
  NotificationVersion: 'V2';
}

export interface SnsEnvelope {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: '1';
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
}

export const SIMULATOR_TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:AmazonPaySimulatorIpn';

/** The SNS string-to-sign for a Notification: key\nvalue\n for the fields in the documented order. */
export function snsStringToSign(envelope: Pick<SnsEnvelope, 'Message' | 'MessageId' | 'Timestamp' | 'TopicArn' | 'Type'> & { Subject?: string }): string {
  const fields: Array<[string, string | undefined]> = [
    ['Message', envelope.Message],
    ['MessageId', envelope.MessageId],
    ['Subject', envelope.Subject],
    ['Timestamp', envelope.Timestamp],
    ['TopicArn', envelope.TopicArn],
    ['Type', envelope.Type],
  ];
  return fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}\n${v}\n`)
    .join('');
}

export interface EnvelopeInput {
  merchantId: string;
  objectType: IpnObjectType;
  objectId: string;
  chargePermissionId: string;
  now: Date;
  signingKey: KeyObject;
  signingCertUrl: string;
  unsubscribeBaseUrl: string;
  /** Default SIMULATOR_TOPIC_ARN. */
  topicArn?: string;
}

export function buildSignedEnvelope(input: EnvelopeInput): SnsEnvelope {
  const message: IpnMessage = {
    MerchantID: input.merchantId,
    ObjectType: input.objectType,
    ObjectId: input.objectId,
    ChargePermissionId: input.chargePermissionId,
    NotificationType: 'STATE_CHANGE',
    NotificationId: randomUUID(),
    NotificationVersion: 'V2',
  };
  const unsigned = {
    Type: 'Notification' as const,
    MessageId: randomUUID(),
    TopicArn: input.topicArn ?? SIMULATOR_TOPIC_ARN,
    Message: JSON.stringify(message),
    Timestamp: input.now.toISOString(),
  };
  const signature = sign('sha1', Buffer.from(snsStringToSign(unsigned)), input.signingKey).toString('base64');
  return {
    ...unsigned,
    SignatureVersion: '1',
    Signature: signature,
    SigningCertURL: input.signingCertUrl,
    UnsubscribeURL: `${input.unsubscribeBaseUrl}?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(`${unsigned.TopicArn}:${message.NotificationId}`)}`,
  };
}
