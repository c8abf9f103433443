// One attempt of one claimed delivery: sign, POST, decide what follows, record it all in one
// transaction. 2xx: delivered. 410 Gone: the receiver asks for no more webhooks, so the endpoint is
// disabled and its pending deliveries failed. Anything else (another status, a timeout, no
// connection): another attempt after the schedule's next delay, or, the schedule used up, failed;
// then, if nothing reached the endpoint since this delivery was first due, the endpoint has been
// failing for the whole window and is disabled.
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { endpointDeliveredSince, recordDeliveryAttempt, type ClaimedDelivery, type DeliveryNext } from '../db/queries/webhook-deliveries.js';
import { disableWebhookEndpointRow } from '../db/queries/webhook-endpoints.js';
import { lockFanout } from '../db/queries/webhook-fanout-lock.js';
import type { EventRow, WebhookEndpointRow } from '../db/schema/index.js';
import type { DeliveryOutcome, DisableReason, WebhookMetrics } from './metrics.js';
import { webhookBody } from './payload.js';
import { nextAttemptAt } from './retry.js';
import { postWebhook } from './send.js';
import { signingSecrets } from './secrets.js';
import { signWebhook } from './signing.js';

export interface AttemptDeps {
  db: Database;
  logger: Logger;
  metrics?: WebhookMetrics | undefined;
  replica: string;
  now: () => Date;
  retrySchedule: readonly number[];
  requestTimeoutMs: number;
}

export async function attemptDelivery(deps: AttemptDeps, claim: ClaimedDelivery, event: EventRow, endpoint: WebhookEndpointRow): Promise<DeliveryOutcome> {
  const at = deps.now();
  const request = signWebhook(signingSecrets(endpoint, at), event.id, at, webhookBody(event));
  const result = await postWebhook(endpoint.url, request, deps.requestTimeoutMs);
  const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const gone = result.statusCode === 410;
  const retryAt = ok || gone ? null : nextAttemptAt(deps.retrySchedule, claim.attempt, deps.now());
  const next: DeliveryNext = ok ? { status: 'delivered' } : retryAt ? { status: 'pending', nextAttemptAt: retryAt } : { status: 'failed' };
  let disabled: DisableReason | undefined;
  const held = await deps.db.transaction(async (tx) => {
    // Disabling takes the fan-out lock; taken first, in the order the fan-out takes its locks (lock, then rows).
    if (gone || next.status === 'failed') await lockFanout(tx, { wait: true });
    if (!(await recordDeliveryAttempt(tx, claim, { ...result, at, replica: deps.replica }, next))) return false;
    if (gone) disabled = 'gone';
    else if (next.status === 'failed' && !(await endpointDeliveredSince(tx, endpoint.id, claim.createdAt))) disabled = 'failing';
    if (disabled) await disableWebhookEndpointRow(tx, endpoint.id, disabled, deps.now());
    return true;
  });
  const outcome: DeliveryOutcome = !held ? 'lost' : ok ? 'delivered' : gone ? 'gone' : next.status === 'pending' ? 'retry' : 'failed';
  deps.metrics?.onWebhookAttempt(endpoint.id, outcome);
  const facts = { endpointId: endpoint.id, eventId: event.id, attempt: claim.attempt, statusCode: result.statusCode, latencyMs: result.latencyMs };
  if (outcome === 'lost') deps.logger.warn(facts, 'webhook attempt made after its claim ran out; another replica has the delivery');
  else if (outcome === 'retry') deps.logger.debug({ ...facts, error: result.error, nextAttemptAt: retryAt?.toISOString() }, 'webhook attempt failed; retrying');
  else if (outcome === 'failed') deps.logger.warn({ ...facts, error: result.error }, 'webhook delivery failed: retry schedule used up');
  if (disabled) {
    deps.metrics?.onWebhookEndpointDisabled(endpoint.id, disabled);
    deps.logger.error(
      { endpointId: endpoint.id, reason: disabled },
      disabled === 'gone'
        ? 'webhook endpoint disabled: it answered 410 Gone; its pending deliveries failed'
        : 'webhook endpoint disabled: no delivery succeeded for the whole retry window; its pending deliveries failed',
    );
  }
  return outcome;
}
