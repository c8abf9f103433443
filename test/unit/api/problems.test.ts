import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { ApiProblem, clientErrorResponse, problemFor } from '../../../api/problems.js';
import { CancelBody, StartSubscriptionBody } from '../../../api/schemas/requests.js';
import { UpdateWebhookEndpointBody } from '../../../api/schemas/webhooks.js';
import { houseMessage } from '../../../api/zod-messages.js';
import { EMPTY_EVENT_TYPE_ITEM } from '../../../billing/event-types.js';
import { exitCodeFor, describeError } from '../../../client/cli/errors.js';
import {
  ChargePermissionNotChargeableError,
  CheckoutRequiredError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  UpstreamError,
} from '../../../client/errors.js';

const limits = { maxBodyBytes: 65_536, maxParamLength: 200, maxHeaderBytes: 16_384 };
const statusOf = (error: unknown) => problemFor(error, '/v1/x', limits);

describe('api/problems.ts: one mapping from failures to RFC 9457 documents', () => {
  it('maps each typed library error to its status and stable type', () => {
    const cases: Array<[unknown, number, string]> = [
      [InvalidInputError.of('plan.price.amount', 'must be positive'), 422, 'invalid-input'],
      [new NotFoundError('subscription', 'sub-1'), 404, 'not-found'],
      [new ConflictError('already finished'), 409, 'conflict'],
      [new ChargePermissionNotChargeableError('S01-1234567-1234567', 'Closed', [], 'it is Closed'), 422, 'charge-permission-not-chargeable'],
      [new UpstreamError('Amazon Pay throttled', true), 503, 'service-unavailable'],
      [new UpstreamError('Amazon Pay refused', false), 502, 'upstream-refused'],
      [new ApiProblem('forbidden', 'read-only'), 403, 'forbidden'],
      [new CheckoutRequiredError('sub-1', 'S01-1234567-1234567', ['HigherAmount'], 'PSD2: check out again'), 409, 'plan-change-needs-checkout'],
    ];
    for (const [error, status, type] of cases) {
      const { problem } = statusOf(error);
      expect(problem.status, type).toBe(status);
      expect(problem.type).toBe(`urn:amazon-pay-billing:problem:${type}`);
      expect(problem.instance).toBe('/v1/x');
    }
    expect(statusOf(InvalidInputError.of('amount', 'too much')).problem.errors).toEqual([{ field: 'amount', message: 'too much' }]);
    expect(statusOf(new UpstreamError('down', true)).headers['retry-after']).toMatch(/^\d+$/);
  });

  it('a plan change that needs a new checkout (PSD2) is a 409 problem with the message as detail, and one CLI line with exit 1', () => {
    const refusal = new CheckoutRequiredError(
      'sub-1',
      'S01-1234567-1234567',
      ['FrequencyChange'],
      'The plan change of subscription sub-1 was refused: check out again',
    );
    expect(statusOf(refusal).problem).toMatchObject({ status: 409, title: 'The plan change needs the buyer to check out again', detail: refusal.message });
    expect(describeError(refusal)).toBe(refusal.message);
    expect(exitCodeFor(refusal)).toBe(1);
  });

  it('Temporal or PostgreSQL unreachable is 503 with Retry-After; anything else is a generic 500 without the message', () => {
    const temporal = statusOf(new ServiceError('Failed to query workflow', { cause: Object.assign(new Error('14 UNAVAILABLE'), { code: 14 }) }));
    expect(temporal.problem.status).toBe(503);
    expect(temporal.headers['retry-after']).toBeDefined();
    const pg = statusOf(new Error('Failed query: select …', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) }));
    expect(pg.problem.status).toBe(503);
    expect(pg.problem.detail).toMatch(/PostgreSQL/);
    const bug = statusOf(new TypeError("Cannot read properties of undefined (reading 'secret-internal')"));
    expect(bug.problem.status).toBe(500);
    expect(bug.unexpected).toBe(true);
    expect(JSON.stringify(bug.problem)).not.toMatch(/secret-internal|TypeError/);
  });

  it("Fastify's own errors: body limit 413, invalid JSON 400, media type 415", () => {
    const fst = (code: string, statusCode: number) => Object.assign(new Error(code), { code, statusCode });
    expect(statusOf(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413)).problem.status).toBe(413);
    expect(statusOf(fst('FST_ERR_CTP_INVALID_JSON_BODY', 400)).problem.type).toMatch(/invalid-json$/);
    expect(statusOf(fst('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).problem.status).toBe(415);
  });

  it('states the configured limits, not numbers parsed from a message', () => {
    const fst = (code: string, statusCode: number, message: string) => Object.assign(new Error(message), { code, statusCode });
    expect(statusOf(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large')).problem.detail).toBe(
      'The body is larger than this API accepts: at most 65536 bytes (api.maxBodyBytes)',
    );
    expect(problemFor(fst('FST_ERR_CTP_BODY_TOO_LARGE', 413, 'Request body is too large'), '/v1/x', { ...limits, maxBodyBytes: 2048 }).problem.detail).toMatch(
      /at most 2048 bytes/,
    );
    expect(statusOf(fst('FST_ERR_MAX_PARAM_LENGTH', 414, 'x')).problem).toMatchObject({
      status: 414,
      type: 'urn:amazon-pay-billing:problem:uri-too-long',
      detail: expect.stringMatching(/at most 200 characters/),
    });
    expect(statusOf(fst('FST_ERR_BAD_URL', 400, 'x')).problem.type).toMatch(/invalid-url$/);
  });

  it("renders what Node's HTTP parser refuses as a complete problem response that closes the connection", () => {
    const overflow = clientErrorResponse({ code: 'HPE_HEADER_OVERFLOW' }, limits)!;
    const [head, body] = overflow.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toMatch(/content-type: application\/problem\+json/);
    expect(head).toMatch(/connection: close/);
    expect(head).toContain(`content-length: ${Buffer.byteLength(body!)}`);
    expect(JSON.parse(body!)).toMatchObject({
      type: 'urn:amazon-pay-billing:problem:headers-too-large',
      status: 431,
      detail: expect.stringMatching(/16384 bytes/),
    });
    expect(clientErrorResponse({ code: 'ERR_HTTP_REQUEST_TIMEOUT' }, limits)).toMatch(/^HTTP\/1\.1 408 /);
    expect(clientErrorResponse({ code: 'HPE_INVALID_METHOD' }, limits)).toMatch(/^HTTP\/1\.1 400 [^]*malformed-request/);
    expect(clientErrorResponse({ code: 'ECONNRESET' }, limits)).toBeUndefined();
  });
});

describe('api/zod-messages.ts: schema refusals in the house wording', () => {
  /** What Fastify hands problemFor when a request schema refuses a body (the real compiler, the real schemas). */
  const refusal = (schema: unknown, body: unknown): Error => {
    const result = validatorCompiler({ schema: schema as never } as never)(body) as { error?: unknown };
    if (!result.error) throw new Error(`the schema accepted ${JSON.stringify(body)}`);
    return Object.assign(new Error('validation'), { validation: result.error, validationContext: 'body' });
  };
  const messages = (schema: unknown, body: unknown) => statusOf(refusal(schema, body)).problem.errors ?? [];
  const start = {
    id: 'sub-1',
    chargePermissionId: 'S01-1234567-1234567',
    plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month', count: 1 } },
  };

  it('says what is accepted, never zod’s own text, for every kind of refusal of the real request schemas', () => {
    const cases: Array<[unknown, unknown, string, RegExp]> = [
      [StartSubscriptionBody, { ...start, id: 'x'.repeat(70) }, 'id', /^is too long: at most 64 characters$/],
      [StartSubscriptionBody, { ...start, plan: { ...start.plan, interval: { unit: 'month', count: 1.5 } } }, 'plan.interval.count', /whole number/],
      [StartSubscriptionBody, { ...start, plan: 5 }, 'plan', /^must be a JSON object$/],
      [CancelBody, { mode: 'later' }, 'mode', /^must be one of: now, at_period_end$/],
      [StartSubscriptionBody, { ...start, softDescriptor: 7 }, 'softDescriptor', /^must be a string$/],
      // Left out: required, not "the wrong type".
      [StartSubscriptionBody, { chargePermissionId: start.chargePermissionId, plan: start.plan }, 'id', /^is required: a string$/],
      [StartSubscriptionBody, { id: start.id, chargePermissionId: start.chargePermissionId }, 'plan', /^is required: a JSON object$/],
    ];
    for (const [schema, body, field, expected] of cases) {
      const errors = messages(schema, body);
      const error = errors.find((e) => e.field === field);
      expect(error, `${field} in ${JSON.stringify(errors)}`).toBeDefined();
      expect(error!.message).toMatch(expected);
      for (const e of errors) expect(e.message, e.field).not.toMatch(/^(Too big|Too small|Invalid input|Invalid option|Invalid string)|expected .*, received/);
    }
  });

  it('names what was wrong inside a union the value had the shape of, not "matches none of the shapes"', () => {
    // eventTypes of PATCH /v1/webhook-endpoints: a list of event types, or "all".
    expect(messages(UpdateWebhookEndpointBody, { eventTypes: ['charge.succeeded', ''] })).toEqual([{ field: 'eventTypes.1', message: EMPTY_EVENT_TYPE_ITEM }]);
    expect(messages(UpdateWebhookEndpointBody, { eventTypes: ['charge.exploded'] })).toEqual([
      { field: 'eventTypes.0', message: expect.stringMatching(/^must be one of: subscription\.started, /) },
    ]);
    // Neither member's shape (not a list, not "all"): the union's own refusal.
    expect(messages(UpdateWebhookEndpointBody, { eventTypes: 'some' })).toEqual([
      { field: 'eventTypes', message: expect.stringMatching(/^matches none of the shapes/) },
    ]);
  });

  it('keeps a message a schema wrote itself', () => {
    expect(houseMessage({ keyword: 'custom', message: 'must be a decimal amount such as 14.00' })).toBe('must be a decimal amount such as 14.00');
    expect(houseMessage({ keyword: 'too_big', message: 'Too big: expected number to be <=5', params: { origin: 'number', maximum: 5 } })).toBe(
      'is too large: at most 5',
    );
  });
});
