// Every field a 422 or 409 names is a field the client of that route can send, as the served
// OpenAPI document describes it: for each route, every field the library refuses it on (produced
// by the library's own checks with values the request schema accepts) is rendered through
// api/fields.ts and looked up in the route's body schema, query parameters or path parameters.
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../../api/app.js';
import { API_FIELD_NAMES, apiFieldName } from '../../../api/fields.js';
import { problemFor } from '../../../api/problems.js';
import type { Problem } from '../../../billing/types.js';
import { ConflictError, InvalidInputError, type TermDifference } from '../../../client/errors.js';
import * as refusals from '../../support/library-refusals.js';

type Json = Record<string, unknown>;

const byId = [...refusals.subscriptionIdRefusals()];
const reason = refusals.reasonRefusals();

/** Library fields each route can be refused on (test/support/library-refusals.ts), with the route's own. */
const LIBRARY_FIELDS: Record<string, Array<Problem | TermDifference>> = {
  'POST /v1/subscriptions': [
    ...refusals.startRefusals({ merchantReferenceId: '', merchantStoreName: '', noteToBuyer: '', customInformation: '' }),
    { field: 'account', message: 'the route refuses it itself' },
  ],
  'GET /v1/subscriptions': refusals.listRefusals(),
  'POST /v1/checkout-sessions': [...refusals.checkoutRefusals(), { field: 'account', message: 'the route refuses it itself' }],
  'POST /v1/checkout-sessions/:id/complete': refusals.completeCheckoutRefusals(),
  'GET /v1/subscriptions/:id': byId,
  'POST /v1/subscriptions/:id/pause': [...byId, ...reason],
  'POST /v1/subscriptions/:id/resume': [...byId, ...reason],
  'POST /v1/subscriptions/:id/cancel': [...byId, ...reason],
  'POST /v1/subscriptions/:id/plan': [...byId, ...refusals.planChangeRefusals()],
  'GET /v1/charges/:chargeId': refusals.chargeIdRefusals(),
  'GET /v1/events': refusals.eventsQueryRefusals(),
  'POST /v1/charges/:chargeId/refunds': refusals.refundRefusals(),
  'GET /v1/schedule-preview': [...refusals.previewRefusals(), { field: 'trialCount', message: 'the route refuses it itself' }],
  'GET /v1/dashboard': [],
  'POST /v1/webhook-endpoints': refusals.webhookEndpointRefusals(),
  // Takes no input: nothing to refuse.
  'GET /v1/webhook-endpoints': [],
  'GET /v1/webhook-endpoints/:id': refusals.webhookEndpointIdRefusals(),
  'PATCH /v1/webhook-endpoints/:id': [...refusals.webhookEndpointIdRefusals(), ...refusals.webhookEndpointRefusals()],
  'POST /v1/webhook-endpoints/:id/rotate-secret': [...refusals.webhookEndpointIdRefusals(), { field: 'grace', message: 'rotateWebhookSecret refuses it' }],
  'GET /v1/webhook-endpoints/:id/deliveries': [...refusals.webhookEndpointIdRefusals(), { field: 'limit', message: 'listWebhookAttempts refuses it' }],
};
/** Routes without any input. */
const NO_INPUT = new Set(['GET /v1/webhook-endpoints', 'GET /v1/dashboard']);

let doc: { paths: Record<string, Record<string, Json>>; components: { schemas: Record<string, Json> } };

beforeAll(async () => {
  // Building the app and its OpenAPI document needs no service: the dependencies are never called.
  const app = await buildApiApp({ deps: {} as never, logger: pino({ level: 'silent' }) });
  await app.ready();
  doc = app.swagger() as unknown as typeof doc;
  await app.close();
});

const deref = (schema: Json): Json => (typeof schema.$ref === 'string' ? (doc.components.schemas[schema.$ref.split('/').pop() ?? ''] ?? {}) : schema);

/** The object schemas a value may be (a union or a nullable body gives several). */
const alternatives = (schema: Json): Json[] => {
  const s = deref(schema);
  const options = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  return options ? options.flatMap(alternatives) : [s];
};

/** True when `path` (dotted) leads to a property of the JSON schema. */
const inSchema = (schema: Json, path: string[]): boolean => {
  if (path.length === 0) return true;
  const [head, ...rest] = path;
  return alternatives(schema).some((s) => {
    const child = (s.properties as Record<string, Json> | undefined)?.[head!];
    return child !== undefined && inSchema(child, rest);
  });
};

/** Whether the client of `route` can send `field` (body path, querystring.x, params.x, or the body itself). */
const sentByClient = (route: string, field: string): boolean => {
  const [method, url] = route.split(' ') as [string, string];
  const operation = doc.paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
  if (!operation) return false;
  const parameters = (operation.parameters ?? []) as Array<{ in: string; name: string }>;
  const [where, ...name] = field.split('.');
  if (where === 'querystring' || where === 'params')
    return parameters.some((p) => p.in === (where === 'params' ? 'path' : 'query') && p.name === name.join('.'));
  const body = (operation.requestBody as { content?: Record<string, { schema: Json }> } | undefined)?.content?.['application/json']?.schema;
  if (body === undefined) return false;
  return field === 'body' || inSchema(body, field.split('.'));
};

describe('api/fields.ts: every field error names the field as the client sent it', () => {
  it('covers every route of the OpenAPI document, and each route lists the fields the library refuses it on', () => {
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    expect(Object.keys(API_FIELD_NAMES).sort()).toEqual(routes.sort());
    expect(Object.keys(LIBRARY_FIELDS).sort()).toEqual(routes.sort());
  });

  it.each(Object.entries(LIBRARY_FIELDS))('%s: each library field is rendered as a field of its request', (route, found) => {
    expect(found.length > 0).toBe(!NO_INPUT.has(route));
    for (const { field } of found) {
      const shown = apiFieldName(route, field);
      expect(sentByClient(route, shown), `${field} → ${shown}`).toBe(true);
    }
  });

  it('every target of the table is a field of its route', () => {
    for (const [route, names] of Object.entries(API_FIELD_NAMES))
      for (const target of Object.values(names)) expect(sentByClient(route, target), `${route} ${target}`).toBe(true);
  });

  it('problemFor renders 422 errors and detail, and 409 differences, under the API names', () => {
    const limits = { maxBodyBytes: 1, maxParamLength: 1, maxHeaderBytes: 1 };
    const invalid = problemFor(
      new InvalidInputError([
        { field: 'fromCycle', message: 'must be at most 273734' },
        { field: 'anchor.zone', message: 'is unknown' },
      ]),
      '/v1/schedule-preview',
      limits,
      'GET /v1/schedule-preview',
    ).problem;
    expect(invalid.errors).toEqual([
      { field: 'querystring.fromCycle', message: 'must be at most 273734' },
      { field: 'querystring.zone', message: 'is unknown' },
    ]);
    expect(invalid.detail).toBe('querystring.fromCycle must be at most 273734; querystring.zone is unknown');
    const conflict = problemFor(
      new ConflictError('Subscription s already exists with different terms', [{ field: 'plan.amountMinor', stored: '14.00 USD', requested: '15.00 USD' }]),
      '/v1/subscriptions',
      limits,
      'POST /v1/subscriptions',
    ).problem;
    expect(conflict.status).toBe(409);
    expect(conflict.detail).toBe('Subscription s already exists with different terms: plan.price.amount 14.00 USD ≠ 15.00 USD');
    expect(conflict.errors).toEqual([{ field: 'plan.price.amount', message: 'is 14.00 USD in the existing subscription, got 15.00 USD' }]);
  });
});
