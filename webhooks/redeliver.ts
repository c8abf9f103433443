// Recovery: send events again (`billing events redeliver`), to every enabled endpoint that takes
// their type or to one endpoint, with the same webhook-id (the event id) and a fresh retry schedule.
import { sql } from 'drizzle-orm';
import { InvalidInputError, NotFoundError } from '../client/errors.js';
import { scheduleRedelivery } from '../db/queries/webhook-deliveries.js';
import { getWebhookEndpointRow } from '../db/queries/webhook-endpoints.js';
import { endpointIdProblem } from './endpoint-input.js';
import type { WebhookDeps } from './endpoints.js';
import { DELIVERIES_CHANNEL } from './fanout.js';

const EVENT_ID_PATTERN = /^evt_[0-9a-f]{32}$/;

async function checkEndpoint(deps: WebhookDeps, endpointId: string | undefined): Promise<void> {
  if (endpointId === undefined) return;
  const problem = endpointIdProblem(endpointId, 'endpoint');
  if (problem) throw new InvalidInputError([problem]);
  const row = await getWebhookEndpointRow(deps.db, endpointId);
  if (!row) throw new NotFoundError('webhook_endpoint', endpointId);
  if (row.status !== 'enabled')
    throw InvalidInputError.of('endpoint', `is disabled (${row.disabledReason ?? 'operator'}): enable it first (\`billing webhooks enable ${endpointId}\`)`);
}

async function schedule(deps: WebhookDeps, events: Parameters<typeof scheduleRedelivery>[1], endpointId: string | undefined): Promise<{ scheduled: number }> {
  const scheduled = await deps.db.transaction(async (tx) => {
    const n = await scheduleRedelivery(tx, events, endpointId);
    if (n > 0) await tx.execute(sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`);
    return n;
  });
  return { scheduled };
}

/** Sends event `eventId` ("evt_…") again; returns how many deliveries were scheduled (0: no enabled endpoint takes its type). */
export async function redeliverEvent(deps: WebhookDeps, eventId: string, options: { endpointId?: string } = {}): Promise<{ scheduled: number }> {
  if (!EVENT_ID_PATTERN.test(eventId ?? ''))
    throw InvalidInputError.of('eventId', `must be an event id (evt_ and 32 hex digits), got ${JSON.stringify(eventId)}`);
  await checkEndpoint(deps, options.endpointId);
  const found = await deps.db.execute(sql`select 1 from events where id = ${eventId}`);
  if (found.length === 0) throw new NotFoundError('event', eventId);
  return schedule(deps, { eventId }, options.endpointId);
}

/** Sends again every event that happened at or after `since` (not in the future). */
export async function redeliverSince(deps: WebhookDeps, since: Date, options: { endpointId?: string } = {}): Promise<{ scheduled: number }> {
  if (Number.isNaN(since.getTime()) || since.getTime() > deps.now().getTime())
    throw InvalidInputError.of('since', 'must be a time in the past, e.g. 2026-11-30T04:00:00Z');
  await checkEndpoint(deps, options.endpointId);
  return schedule(deps, { since }, options.endpointId);
}
