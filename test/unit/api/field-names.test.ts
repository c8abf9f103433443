// Every field a 422 or 409 names is a field the client of that route can send, as the served
// OpenAPI document describes it: for each route, every field the library refuses it on (produced
// by the library's own checks with values the request schema accepts) is rendered through
// api/fields.ts and looked up in the route's body schema, query parameters or path parameters.
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../../api/app.js';
import { API_FIELD_NAMES, apiFieldName } from '../../../api/fields.js';
import { problemFor } from '../../../api/problems.js';
import { validateSubscriptionId } from '../../../billing/plan-rules.js';
import { validateSubscriptionSpecWithSchedule, validateZone } from '../../../billing/schedule.js';
import type { Problem } from '../../../billing/types.js';
import { ConflictError, InvalidInputError, type TermDifference } from '../../../client/errors.js';
import { assertPlanWithinMonthlyCap } from '../../../client/subscriptions/amazon-checks.js';
import { assertNoBackBilling } from '../../../client/subscriptions/back-billing.js';
import { checkPlanChange, checkReason } from '../../../client/subscriptions/lifecycle.js';
import { previewSchedule } from '../../../client/subscriptions/preview.js';
import { checkListFilter } from '../../../client/subscriptions/read.js';
import { checkRefundInput } from '../../../client/subscriptions/refund.js';
import type { ChargePermission } from '../../../amazonpay/types.js';

type Json = Record<string, unknown>;

const problemsOf = (check: () => unknown): Problem[] => {
  try {
    check();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('the check passed: it was meant to refuse');
};

const permission = { chargePermissionId: 'S01-1234567-1234567', chargePermissionType: 'Recurring', presentmentCurrency: 'USD', limits: { amountLimit: { amount: '10.00', currencyCode: 'USD' } } } as unknown as ChargePermission;
const monthly = { amountMinor: '5000', currency: 'USD', interval: { unit: 'month' as const, count: 1 } };
const badInterval = { unit: 'month' as const, count: 5000 };
const reasonProblems = problemsOf(() => checkReason('x'.repeat(501), 'fallback'));
const idProblems = validateSubscriptionId('bad id!', 'subscriptionId');

/** Library fields each route can be refused on, from the library's checks (values its schema lets through). */
const LIBRARY_FIELDS: Record<string, Array<Problem | TermDifference>> = {
  'POST /v1/subscriptions': [
    ...validateSubscriptionId('bad id!', 'id'),
    ...validateZone('Mars/Olympus', 'zone'),
    ...validateSubscriptionSpecWithSchedule(
      {
        id: 'bad id!',
        chargePermissionId: 'S01-1',
        plan: { amountMinor: '1'.repeat(20), currency: 'XXX', interval: badInterval },
        anchor: { localDateTime: '2025-02-30T09:00', zone: 'Mars/Olympus' },
        trial: badInterval,
        end: { afterCycles: 0 },
        firstChargeId: 'C1',
        softDescriptor: 'x'.repeat(17),
        merchantMetadata: { merchantReferenceId: '', merchantStoreName: '', noteToBuyer: '', customInformation: '' },
      },
      { environment: 'live' },
    ),
    ...validateSubscriptionSpecWithSchedule(
      { id: 'a', chargePermissionId: 'S01-1234567-1234567', plan: { amountMinor: '1', currency: 'USD', interval: { unit: 'minute', count: 1 } }, anchor: { localDateTime: '2025-01-01T00:00', zone: 'UTC' }, end: { at: '2024-01-01T00:00:00Z' } },
      { environment: 'live' },
    ),
    ...problemsOf(() => assertNoBackBilling({ plan: monthly, anchor: { localDateTime: '2020-01-01T00:00', zone: 'UTC' } }, new Date('2026-01-01T00:00:00Z'))),
    ...problemsOf(() => assertPlanWithinMonthlyCap(permission, monthly, 'plan.amountMinor')),
    { field: 'firstChargeId', message: 'from assertFirstChargeMatches' },
    { field: 'account', message: 'the route refuses it itself' },
    // 409: the terms a repeated start must repeat (client/launch.ts assertSameSubscription).
    ...['chargePermissionId', 'plan.amountMinor', 'plan.currency', 'plan.interval', 'anchor'].map((field) => ({ field, stored: 'a', requested: 'b' })),
  ],
  'GET /v1/subscriptions': problemsOf(() => checkListFilter({ status: 'x', chargePermissionId: 'x', dueBefore: 'x', limit: 0, cursor: 'x' })),
  'GET /v1/subscriptions/:id': idProblems,
  'POST /v1/subscriptions/:id/pause': [...idProblems, ...reasonProblems],
  'POST /v1/subscriptions/:id/resume': [...idProblems, ...reasonProblems],
  'POST /v1/subscriptions/:id/cancel': [...idProblems, ...reasonProblems],
  'POST /v1/subscriptions/:id/plan': [
    ...idProblems,
    ...problemsOf(() => checkPlanChange({ amountMinor: 'x', interval: badInterval }, 'live')),
    ...problemsOf(() => checkPlanChange({}, 'live')),
    ...problemsOf(() => checkPlanChange({ interval: { unit: 'second', count: 1 } }, 'live')),
    ...problemsOf(() => assertPlanWithinMonthlyCap(permission, monthly, 'amountMinor')),
    ...problemsOf(() => assertPlanWithinMonthlyCap(permission, { ...monthly, amountMinor: '500', interval: { unit: 'week', count: 1 } }, 'interval')),
  ],
  'GET /v1/charges/:chargeId': problemsOf(() => checkRefundInput({ chargeId: 'x' })),
  'POST /v1/charges/:chargeId/refunds': [...problemsOf(() => checkRefundInput({ chargeId: 'x', amountMinor: 'y', reason: '\u0000' })), { field: 'amountMinor', message: 'exceeds what is refundable' }],
  'GET /v1/schedule-preview': [
    ...problemsOf(() => previewSchedule('live', { anchor: { localDateTime: 'x', zone: 'Mars/Olympus' }, interval: { unit: 'second', count: 1 }, trial: { unit: 'second', count: 1 }, count: 0, fromCycle: -1 })),
    ...problemsOf(() => previewSchedule('live', { anchor: { localDateTime: '2025-01-01T00:00', zone: 'UTC' }, interval: badInterval, trial: badInterval })),
    ...problemsOf(() => previewSchedule('live', { anchor: { localDateTime: '2025-01-01T00:00', zone: 'UTC' }, interval: { unit: 'year', count: 1 }, fromCycle: 1_000_000 })),
    ...problemsOf(() => previewSchedule('live', { anchor: { localDateTime: '2025-01-01T00:00', zone: 'UTC' }, interval: { unit: 'year', count: 1 }, trial: { unit: 'year', count: 1_000_000 } })),
    { field: 'trialCount', message: 'the route refuses it itself' },
  ],
};

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
  if (where === 'querystring' || where === 'params') return parameters.some((p) => p.in === (where === 'params' ? 'path' : 'query') && p.name === name.join('.'));
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
    expect(found.length).toBeGreaterThan(0);
    for (const { field } of found) {
      const shown = apiFieldName(route, field);
      expect(sentByClient(route, shown), `${field} → ${shown}`).toBe(true);
    }
  });

  it('every target of the table is a field of its route', () => {
    for (const [route, names] of Object.entries(API_FIELD_NAMES)) for (const target of Object.values(names)) expect(sentByClient(route, target), `${route} ${target}`).toBe(true);
  });

  it('problemFor renders 422 errors and detail, and 409 differences, under the API names', () => {
    const limits = { maxBodyBytes: 1, maxParamLength: 1, maxHeaderBytes: 1 };
    const invalid = problemFor(new InvalidInputError([{ field: 'fromCycle', message: 'must be at most 273734' }, { field: 'anchor.zone', message: 'is unknown' }]), '/v1/schedule-preview', limits, 'GET /v1/schedule-preview').problem;
    expect(invalid.errors).toEqual([{ field: 'querystring.fromCycle', message: 'must be at most 273734' }, { field: 'querystring.zone', message: 'is unknown' }]);
    expect(invalid.detail).toBe('querystring.fromCycle must be at most 273734; querystring.zone is unknown');
    const conflict = problemFor(new ConflictError('Subscription s already exists with different terms', [{ field: 'plan.amountMinor', stored: '14.00 USD', requested: '15.00 USD' }]), '/v1/subscriptions', limits, 'POST /v1/subscriptions').problem;
    expect(conflict.status).toBe(409);
    expect(conflict.detail).toBe('Subscription s already exists with different terms: plan.price.amount 14.00 USD ≠ 15.00 USD');
    expect(conflict.errors).toEqual([{ field: 'plan.price.amount', message: 'is 14.00 USD in the existing subscription, got 15.00 USD' }]);
  });
});

