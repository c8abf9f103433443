// Recovery: send events again (`billing events redeliver`), to every enabled endpoint that takes
// their type or to one endpoint, with the same webhook-id (the event id) and a fresh retry schedule.
import { sql } from 'drizzle-orm';
import { InvalidInputError, NotFoundError } from '../client/errors.js';
import { scheduleRedelivery } from '../db/queries/webhook-deliveries.js';
import { getWebhookEndpointRow } from '../db/queries/webhook-endpoints.js';
import type { Problem } from '../billing/types.js';
import { endpointIdProblem } from './endpoint-input.js';
import type { WebhookDeps } from './endpoints.js';
import { DELIVERIES_CHANNEL } from './fanout.js';

const EVENT_ID_PATTERN = /^evt_[0-9a-f]{32}$/;

/** Refuses anything but an event id (evt_ and 32 hex digits), as `billing events list` shows them. */
export function eventIdProblem(id: unknown, field = 'eventId'): Problem | null {
  if (typeof id === 'string' && EVENT_ID_PATTERN.test(id)) return null;
  return { field, message: `must be an event id (evt_ and 32 hex digits, as \`billing events list\` shows them), got ${JSON.stringify(id)}` };
}

/** What a redelivery did: the events it matched, and the deliveries it scheduled for them (0 when no enabled endpoint takes them). */
export interface RedeliveryResult {
  events: number;
  scheduled: number;
}

async function checkEndpoint(deps: WebhookDeps, endpointId: string | undefined): Promise<void> {
  if (endpointId === undefined) return;
  const problem = endpointIdProblem(endpointId, 'endpoint');
  if (problem) throw new InvalidInputError([problem]);
  const row = await getWebhookEndpointRow(deps.db, endpointId);
  if (!row) throw new NotFoundError('webhook_endpoint', endpointId);
  if (row.status !== 'enabled')
    throw InvalidInputError.of('endpoint', `is disabled (${row.disabledReason ?? 'operator'}): enable it first (\`billing webhooks enable ${endpointId}\`)`);
}

async function schedule(deps: WebhookDeps, events: Parameters<typeof scheduleRedelivery>[1], endpointId: string | undefined): Promise<RedeliveryResult> {
  return deps.db.transaction(async (tx) => {
    const result = await scheduleRedelivery(tx, events, endpointId);
    if (result.scheduled > 0) await tx.execute(sql`select pg_notify(${DELIVERIES_CHANNEL}, '')`);
    return result;
  });
}

/**
 * Sends event `eventId` ("evt_…") again: `events` is 1, `scheduled` how many deliveries (0: no
 * enabled endpoint, or not `endpointId`, takes its type and account, or its delivery is being
 * attempted right now). NotFoundError when there is no such event.
 */
export async function redeliverEvent(deps: WebhookDeps, eventId: string, options: { endpointId?: string } = {}): Promise<RedeliveryResult> {
  const problem = eventIdProblem(eventId);
  if (problem) throw new InvalidInputError([problem]);
  await checkEndpoint(deps, options.endpointId);
  const found = await deps.db.execute(sql`select 1 from events where id = ${eventId}`);
  if (found.length === 0) throw new NotFoundError('event', eventId);
  return schedule(deps, { eventId }, options.endpointId);
}

/**
 * Sends again every event that happened at or after `since`, which must be in the past (now
 * would select nothing): `events` is how many happened since then, `scheduled` as for redeliverEvent.
 */
export async function redeliverSince(deps: WebhookDeps, since: Date, options: { endpointId?: string } = {}): Promise<RedeliveryResult> {
  if (Number.isNaN(since.getTime()) || since.getTime() >= deps.now().getTime())
    throw InvalidInputError.of('since', 'must be a time in the past, e.g. 2026-11-30T04:00:00Z');
  await checkEndpoint(deps, options.endpointId);
  return schedule(deps, { since }, options.endpointId);
}
