// The one place where the library's field names (client/, billing/: plan.amountMinor, fromCycle,
// anchor.zone, …) become the names a client of the HTTP API sent: the JSON body's dotted path
// (plan.price.amount), or querystring.<name> / params.<name> as schema validation names them
// (api/problems.ts). Each route has its table, keyed by "METHOD /route"; problemFor() renders
// 422 `errors` and 409 term differences through it, so no message names an internal field.

/** Library field (a dotted path) → the field as the API's client sent it. */
export type FieldNames = Readonly<Record<string, string>>;

const INTERVAL_QUERY = (unit: string, count: string): FieldNames => ({
  [unit]: `querystring.${unit}`,
  [`${unit}.unit`]: `querystring.${unit}`,
  [`${unit}.count`]: `querystring.${count}`,
});
const QUERY = (...names: string[]): FieldNames => Object.fromEntries(names.map((n) => [n, `querystring.${n}`]));
const SUBSCRIPTION_ID: FieldNames = { id: 'params.id', subscriptionId: 'params.id' };
const REASON: FieldNames = { reason: 'reason' };

/** Every route that calls the library, with the library fields it can be refused on. */
export const API_FIELD_NAMES: Readonly<Record<string, FieldNames>> = {
  'POST /v1/subscriptions': {
    id: 'id',
    chargePermissionId: 'chargePermissionId',
    plan: 'plan',
    'plan.amountMinor': 'plan.price.amount',
    'plan.currency': 'plan.price.currency',
    'plan.interval': 'plan.interval',
    anchor: 'anchor',
    zone: 'zone',
    trial: 'trial',
    end: 'end',
    firstChargeId: 'firstChargeId',
    softDescriptor: 'softDescriptor',
    merchantMetadata: 'merchantMetadata',
    account: 'account',
  },
  'POST /v1/checkout-sessions': {
    subscriptionId: 'subscriptionId',
    plan: 'plan',
    'plan.amountMinor': 'plan.price.amount',
    'plan.currency': 'plan.price.currency',
    'plan.interval': 'plan.interval',
    zone: 'zone',
    trial: 'trial',
    end: 'end',
    softDescriptor: 'softDescriptor',
    merchantMetadata: 'merchantMetadata',
    checkoutResultReturnUrl: 'checkoutResultReturnUrl',
    checkoutCancelUrl: 'checkoutCancelUrl',
    canHandlePendingAuthorization: 'canHandlePendingAuthorization',
    replacesSubscriptionId: 'replacesSubscriptionId',
    account: 'account',
  },
  'POST /v1/checkout-sessions/:id/complete': { checkoutSessionId: 'params.id' },
  'GET /v1/subscriptions': QUERY('status', 'chargePermissionId', 'dueBefore', 'limit', 'cursor'),
  'GET /v1/subscriptions/:id': SUBSCRIPTION_ID,
  'POST /v1/subscriptions/:id/pause': { ...SUBSCRIPTION_ID, ...REASON },
  'POST /v1/subscriptions/:id/resume': { ...SUBSCRIPTION_ID, ...REASON },
  'POST /v1/subscriptions/:id/cancel': { ...SUBSCRIPTION_ID, ...REASON },
  'POST /v1/subscriptions/:id/plan': { ...SUBSCRIPTION_ID, amountMinor: 'price.amount', interval: 'interval', change: 'body' },
  'GET /v1/charges/:chargeId': { chargeId: 'params.chargeId' },
  'POST /v1/charges/:chargeId/refunds': { chargeId: 'params.chargeId', amountMinor: 'amount.amount', ...REASON },
  'GET /v1/events': QUERY('after', 'subscription', 'type', 'limit'),
  'POST /v1/webhook-endpoints': { url: 'url', eventTypes: 'eventTypes', description: 'description' },
  'GET /v1/webhook-endpoints': {},
  'GET /v1/webhook-endpoints/:id': { id: 'params.id' },
  'PATCH /v1/webhook-endpoints/:id': { id: 'params.id', url: 'url', eventTypes: 'eventTypes', description: 'description' },
  'POST /v1/webhook-endpoints/:id/rotate-secret': { id: 'params.id', grace: 'gracePeriodSeconds' },
  'GET /v1/webhook-endpoints/:id/deliveries': { id: 'params.id', limit: 'querystring.limit' },
  'GET /v1/schedule-preview': {
    anchor: 'querystring.anchor',
    'anchor.localDateTime': 'querystring.anchor',
    'anchor.zone': 'querystring.zone',
    ...INTERVAL_QUERY('interval', 'intervalCount'),
    ...INTERVAL_QUERY('trial', 'trialCount'),
    ...QUERY('trialCount', 'count', 'fromCycle'),
  },
  'GET /v1/dashboard': {},
};

/**
 * `field` as the client of `route` ("POST /v1/subscriptions") sent it: the table entry of the field
 * itself, else of its longest listed parent (plan.interval.count → plan.interval + .count). A field
 * no entry covers is one the route already named in API terms (api/views.ts moneyIn) and is kept.
 */
export function apiFieldName(route: string | undefined, field: string): string {
  const names = route === undefined ? undefined : API_FIELD_NAMES[route];
  if (names === undefined) return field;
  for (let prefix = field; prefix !== ''; prefix = prefix.includes('.') ? prefix.slice(0, prefix.lastIndexOf('.')) : '') {
    const name = names[prefix];
    if (name !== undefined) return `${name}${field.slice(prefix.length)}`;
  }
  return field;
}
