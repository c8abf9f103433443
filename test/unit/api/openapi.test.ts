// The served OpenAPI document as a client generator reads it: valid OpenAPI 3.1, a stable
// camelCase operationId on every operation, servers, problem responses (500 included) on every
// operation, optional bodies documented as optional objects, one schema per resource name, path
// ids with the pattern the library accepts.
import { Validator } from '@seriousme/openapi-schema-validator';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../../api/app.js';
import { CHARGE_ID_PATTERN, CHECKOUT_SESSION_ID_INPUT_PATTERN, SUBSCRIPTION_ID_PATTERN } from '../../../billing/plan-rules.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let doc: Json;

beforeAll(async () => {
  // Building the app and its OpenAPI document needs no service: the dependencies are never called.
  const app = await buildApiApp({ deps: {} as never, logger: pino({ level: 'silent' }) });
  await app.ready();
  doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
  await app.close();
});

const operations = (): Array<{ method: string; path: string; op: Json }> =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op: op as Json })));

describe('the served OpenAPI document', () => {
  it('validates as OpenAPI 3.1 and names its servers', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(validator.version).toBe('3.1');
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('gives every operation a unique camelCase operationId and documents 500 as a problem', () => {
    const ids = operations().map(({ method, path, op }) => [`${method.toUpperCase()} ${path}`, op.operationId]);
    expect(Object.fromEntries(ids)).toEqual({
      'POST /v1/checkout-sessions': 'createCheckoutSession',
      'POST /v1/checkout-sessions/{id}/complete': 'completeCheckoutSession',
      'POST /v1/subscriptions': 'createSubscription',
      'GET /v1/subscriptions': 'listSubscriptions',
      'GET /v1/events': 'listEvents',
      'GET /v1/subscriptions/{id}': 'getSubscription',
      'POST /v1/subscriptions/{id}/pause': 'pauseSubscription',
      'POST /v1/subscriptions/{id}/resume': 'resumeSubscription',
      'POST /v1/subscriptions/{id}/cancel': 'cancelSubscription',
      'POST /v1/subscriptions/{id}/plan': 'changeSubscriptionPlan',
      'GET /v1/charges/{chargeId}': 'getCharge',
      'POST /v1/charges/{chargeId}/refunds': 'refundCharge',
      'GET /v1/schedule-preview': 'previewSchedule',
      'GET /v1/dashboard': 'getDashboard',
      'POST /v1/webhook-endpoints': 'createWebhookEndpoint',
      'GET /v1/webhook-endpoints': 'listWebhookEndpoints',
      'GET /v1/webhook-endpoints/{id}': 'getWebhookEndpoint',
      'PATCH /v1/webhook-endpoints/{id}': 'updateWebhookEndpoint',
      'POST /v1/webhook-endpoints/{id}/rotate-secret': 'rotateWebhookSecret',
      'GET /v1/webhook-endpoints/{id}/deliveries': 'listWebhookDeliveryAttempts',
    });
    for (const { op } of operations())
      expect(op.responses['500']?.content?.['application/problem+json']?.schema).toEqual({ $ref: '#/components/schemas/Problem' });
  });

  it('documents the bodies of pause, resume, cancel, refund and checkout complete as optional objects (no body, or an object; null is refused)', () => {
    const bodies = operations().filter(({ op }) => op.requestBody);
    for (const { method, path, op } of bodies) {
      const schema = op.requestBody.content['application/json'].schema;
      expect(JSON.stringify(schema), `${method} ${path}`).not.toMatch(/"null"/);
      expect(schema.$ref, `${method} ${path}`).toMatch(/^#\/components\/schemas\/[A-Z]\w+Request$/);
    }
    const optional = bodies.filter(({ op }) => op.requestBody.required === false).map(({ path }) => path);
    expect(optional.sort()).toEqual([
      '/v1/charges/{chargeId}/refunds',
      '/v1/checkout-sessions/{id}/complete',
      '/v1/subscriptions/{id}/cancel',
      '/v1/subscriptions/{id}/pause',
      '/v1/subscriptions/{id}/resume',
      '/v1/webhook-endpoints/{id}/rotate-secret',
    ]);
  });

  it('has one schema per name (no Input twins) and only schemas an operation uses', () => {
    const names = Object.keys(doc.components.schemas);
    expect(names.filter((n) => n.endsWith('Input'))).toEqual([]);
    const text = JSON.stringify(doc.paths);
    const used = (name: string, seen = new Set<string>()): boolean =>
      text.includes(`"#/components/schemas/${name}"`) ||
      names.some(
        (other) =>
          other !== name &&
          !seen.has(other) &&
          JSON.stringify(doc.components.schemas[other]).includes(`"#/components/schemas/${name}"`) &&
          used(other, new Set([...seen, name])),
      );
    for (const name of names) expect(used(name), name).toBe(true);
    for (const name of ['Refund', 'RefundRequest', 'CancelRequest', 'Subscription', 'Problem']) expect(names).toContain(name);
  });

  // What the shared machinery answers before a handler runs, so every operation it runs for must document it:
  // the JSON body parser (413 body-too-large, 415 unsupported-media-type) on operations with a body;
  // API key authentication (401; 503 when PostgreSQL, which holds the keys, is down) on every operation;
  // the Idempotency-Key handling of every POST (409 in progress, 422 reused).
  it('documents on every operation each status the shared hooks can answer for it', () => {
    const missing: string[] = [];
    for (const { method, path, op } of operations()) {
      const expected = ['401', '503', ...(op.requestBody ? ['413', '415'] : []), ...(method === 'post' ? ['409', '422'] : [])];
      for (const status of expected) if (!op.responses[status]) missing.push(`${method.toUpperCase()} ${path} ${status}`);
    }
    expect(missing).toEqual([]);
  });

  it('says where the checkout softDescriptor goes: in the payload only with AuthorizeWithCapture, else on the capture', () => {
    const description: string = doc.components.schemas.CreateCheckoutSessionRequest.properties.softDescriptor.description;
    expect(description).toMatch(/On the checkout charge in the payload when it is captured at checkout \(paymentIntent AuthorizeWithCapture/);
    expect(description).toMatch(/on the Capture Charge when it was only authorized \(paymentIntent Authorize\)/);
    expect(description).not.toMatch(/on the checkout charge and every later charge/);
  });

  it('gives path ids the pattern the library accepts', () => {
    const param = (path: string, name: string) => (doc.paths[path].get.parameters as Json[]).find((p) => p.name === name)?.schema;
    expect(param('/v1/subscriptions/{id}', 'id').pattern).toBe(SUBSCRIPTION_ID_PATTERN.source);
    expect(param('/v1/charges/{chargeId}', 'chargeId').pattern).toBe(CHARGE_ID_PATTERN.source);
    const complete = (doc.paths['/v1/checkout-sessions/{id}/complete'].post.parameters as Json[]).find((p) => p.name === 'id')?.schema;
    expect(complete.pattern).toBe(CHECKOUT_SESSION_ID_INPUT_PATTERN.source);
    expect(new RegExp(complete.pattern).test('bd504926-f659-4ad7-a1a9-9a747aaf5275')).toBe(true);
    // A merchant's framework may upper-case the id: the library takes it in any case.
    expect(new RegExp(complete.pattern).test('BD504926-F659-4AD7-A1A9-9A747AAF5275')).toBe(true);
    expect(new RegExp(complete.pattern).test('S01-1234567-1234567')).toBe(false);
  });
});
