// The JSON body of a webhook: the Standard Webhooks recommended shape (spec "Payload structure"),
// { type, timestamp, data }, with the whole event under data (as `GET /v1/events` lists it),
// so a receiver can sort by data.subscriptionId and data.sequence and look for gaps.
import type { EventRow } from '../db/schema/index.js';

export interface WebhookPayload {
  /** The event type, e.g. "charge.succeeded" (billing/event-types.ts). */
  type: string;
  /** When the fact happened (ISO 8601, UTC): the event's occurredAt. */
  timestamp: string;
  data: {
    /** The event id, also the webhook-id header. */
    id: string;
    type: string;
    subscriptionId: string;
    /** 1, 2, 3 … per subscription, no gaps. */
    sequence: number;
    account: string | null;
    occurredAt: string;
    /** The event's own fields; schema per type in docs/events.md. */
    data: Record<string, unknown>;
  };
}

export function webhookPayload(event: Pick<EventRow, 'id' | 'type' | 'subscriptionId' | 'sequence' | 'account' | 'occurredAt' | 'data'>): WebhookPayload {
  const occurredAt = event.occurredAt.toISOString();
  return {
    type: event.type,
    timestamp: occurredAt,
    data: {
      id: event.id,
      type: event.type,
      subscriptionId: event.subscriptionId,
      sequence: event.sequence,
      account: event.account,
      occurredAt,
      data: event.data as Record<string, unknown>,
    },
  };
}

/** The body as sent (and signed): compact JSON. */
export function webhookBody(event: Parameters<typeof webhookPayload>[0]): string {
  return JSON.stringify(webhookPayload(event));
}
