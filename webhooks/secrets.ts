// Webhook endpoint secrets as the Standard Webhooks specification has them: "whsec_" and the
// base64 of 24-64 random bytes (we use 32), the HMAC-SHA256 key of the signatures.
import { randomBytes } from 'node:crypto';
import type { WebhookEndpointRow } from '../db/schema/index.js';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A new secret: "whsec_" + base64 of 32 random bytes (256 bits). Shown once; stored only for signing. */
export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

/**
 * The secrets a request to `endpoint` is signed with at `now`: the current one, and the one before
 * the last rotation while its grace period lasts (the receiver may still verify with it; Standard
 * Webhooks lets webhook-signature carry several signatures, separated by spaces).
 */
export function signingSecrets(endpoint: Pick<WebhookEndpointRow, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>, now: Date): string[] {
  const { previousSecret, previousSecretExpiresAt } = endpoint;
  const previousValid = previousSecret !== null && previousSecretExpiresAt !== null && previousSecretExpiresAt.getTime() > now.getTime();
  return previousValid ? [endpoint.secret, previousSecret] : [endpoint.secret];
}
