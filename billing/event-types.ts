// The event types of the event log (db/schema/events.ts, docs/events.md), named the way billing
// systems name them (Stripe, Chargebee, Lago): `<object>.<fact>`. Stored in events.type and sent
// as a webhook's `type`, so an existing name never changes; a new fact gets a new name.

export const EVENT_TYPES = [
  'subscription.started',
  'subscription.trial_will_end',
  'subscription.activated',
  'subscription.past_due',
  'subscription.payment_method_required',
  'subscription.paused',
  'subscription.resumed',
  'subscription.plan_changed',
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
