// The event types of the event log (db/schema/events.ts, docs/events.md), named the way billing
// systems name them (Stripe, Chargebee, Lago): `<object>.<fact>`. Stored in events.type and sent
// as a webhook's `type`, so an existing name never changes; a new fact gets a new name.

export const EVENT_TYPES = [
  'subscription.started',
  'subscription.trial_will_end',
  'subscription.permission_will_expire',
  'subscription.activated',
  'subscription.past_due',
  'subscription.payment_method_required',
  'subscription.paused',
  'subscription.resumed',
  'subscription.plan_changed',
  'subscription.cancel_scheduled',
  'subscription.needs_attention',
  'subscription.unpaid',
  'subscription.canceled',
  'subscription.ended',
  'charge.succeeded',
  'charge.pending',
  'charge.failed',
  'refund.succeeded',
  'refund.failed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** Whether `value` (from a user, a query string or a row) names an event type. */
export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * Why a list of event types is refused when one of its items is empty ("charge.succeeded,",
 * ",charge.failed", "a,,b", or "" as an item of a JSON list): one message for the API (400), the
 * library and the CLI (docs/events.md). An empty item is never read as "no filter".
 */
export const EMPTY_EVENT_TYPE_ITEM =
  'has an empty item: list event types separated by single commas, none empty (no comma at the start or end, none doubled), such as charge.succeeded,charge.failed';

/**
 * "a, b ,c" (a --type or --events option, a type= query parameter) as its items, spaces around
 * each trimmed. Empty items are kept ("a," → ["a", ""]): the checks refuse them with
 * EMPTY_EVENT_TYPE_ITEM rather than silently dropping a typo.
 */
export function splitEventTypes(text: string): string[] {
  return text.split(',').map((t) => t.trim());
}
