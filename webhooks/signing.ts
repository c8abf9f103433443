// The headers of a Standard Webhooks request (https://www.standardwebhooks.com, spec
// "Signature scheme"), signed by the maintained `standardwebhooks` package: never hand-written
// HMAC, so what a receiver verifies with the same package in any language is what we sign.
import { Webhook } from 'standardwebhooks';

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
}

/**
 * Signs `body` for message `id` (the event id: the same webhook-id on every retry, so receivers
 * can drop duplicates) at `timestamp` (the attempt's time: webhook-timestamp, whole seconds; a
 * receiver refuses one more than 5 minutes away from its clock). One "v1,<base64>" signature per
 * secret, space-separated, as the spec allows during a secret rotation.
 */
export function signWebhook(secrets: readonly string[], id: string, timestamp: Date, body: string): SignedRequest {
  if (secrets.length === 0) throw new Error('signWebhook: no secret to sign with');
  const signature = secrets.map((secret) => new Webhook(secret).sign(id, timestamp, body)).join(' ');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    },
  };
}
