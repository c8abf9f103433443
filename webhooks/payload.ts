// The JSON body of a webhook: the Standard Webhooks recommended shape (spec "Payload structure"),
// { type, timestamp, data }, with the whole event under data exactly as `GET /v1/events` lists it
// (client/events.ts eventView), so a receiver sorts by data.subscription_id and data.sequence,
// looks for gaps, and parses deliveries and polled pages with one schema.
import { eventView, type EventView } from '../client/events.js';
import type { EventRow } from '../db/schema/index.js';

export interface WebhookPayload {
  /** The event type, e.g. "charge.succeeded" (billing/event-types.ts). */
  type: string;
  /** When the fact happened (ISO 8601, UTC): the event's occurred_at. */
  timestamp: string;
  /** The event: id (also the webhook-id header), type, subscription_id, sequence (1, 2, 3 … per subscription, no gaps), account, occurred_at, data. */
  data: EventView;
}

export function webhookPayload(event: Pick<EventRow, 'id' | 'type' | 'subscriptionId' | 'sequence' | 'account' | 'occurredAt' | 'data'>): WebhookPayload {
  const view = eventView(event as EventRow);
  return { type: view.type, timestamp: view.occurred_at, data: view };
}

/** The body as sent (and signed): compact JSON. */
export function webhookBody(event: Parameters<typeof webhookPayload>[0]): string {
  return JSON.stringify(webhookPayload(event));
}
