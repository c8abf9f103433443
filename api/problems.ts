// The one place where the HTTP API turns failures into RFC 9457 problem documents
// (application/problem+json). Every answer other than a success goes through problemFor():
// the library's typed errors (client/errors.ts), Fastify's own errors (body limit, invalid
// JSON, media type, schema validation, and its router's: a URL that cannot be decoded, a path
// parameter over its length), authentication and idempotency; clientErrorResponse() renders what
// Node's HTTP parser refuses before Fastify sees a request (oversized headers, timeouts). The `type` URIs are
// stable (docs/api.md lists them); `detail` is for people; `errors` names each bad field.
// Never a stack trace, never an internal message for an unexpected error.
import { STATUS_CODES } from 'node:http';
import { ServiceError } from '@temporalio/client';
import type { FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { houseMessage, unionMemberIssues, type LocatedSchemaIssue } from './zod-messages.js';
import {
  BillingClientError,
  CheckoutCompletedByAnotherSessionError,
  type CheckoutRefusal,
  type CheckoutSessionError,
  type ConflictError,
  type InvalidInputError,
} from '../client/errors.js';
import { apiFieldName } from './fields.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'urn:amazon-pay-billing:problem:';

/** Every problem type the API answers with, its status and title. */
export const PROBLEM_TYPES = {
  'invalid-request': { status: 400, title: 'The request does not have the documented shape' },
  'invalid-json': { status: 400, title: 'The body is not valid JSON' },
  'invalid-idempotency-key': { status: 400, title: 'The Idempotency-Key header is malformed' },
  'invalid-url': { status: 400, title: 'The URL cannot be decoded' },
  'malformed-request': { status: 400, title: 'The request is not valid HTTP/1.1' },
  unauthorized: { status: 401, title: 'A valid API key is required' },
  forbidden: { status: 403, title: 'This API key may not do that' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'request-timeout': { status: 408, title: 'The request did not arrive in time' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'idempotency-key-in-progress': { status: 409, title: 'A request with this Idempotency-Key is still running' },
  'body-too-large': { status: 413, title: 'The body is too large' },
  'uri-too-long': { status: 414, title: 'The URL is too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'invalid-input': { status: 422, title: 'The input was refused' },
  'charge-permission-not-chargeable': { status: 422, title: 'Amazon Pay cannot bill this Charge Permission' },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used for a different request' },
  'checkout-amount-mismatch': { status: 409, title: "Amazon Pay refused the Checkout Session's amount" },
  'checkout-session-not-completable': { status: 409, title: 'The Checkout Session cannot be completed now' },
  'checkout-session-canceled': { status: 409, title: 'The Checkout Session was canceled' },
  'checkout-completed-by-another-session': { status: 409, title: 'Another Checkout Session completes this checkout' },
  'checkout-session-expired': { status: 410, title: 'The Checkout Session expired' },
  'one-time-charge-permission': { status: 422, title: 'The buyer did not agree to save the payment method' },
  'plan-change-needs-checkout': { status: 409, title: 'The plan change needs the buyer to check out again' },
  'headers-too-large': { status: 431, title: 'The request line and headers are too large' },
  'not-configured': { status: 501, title: 'This daemon is not configured for that' },
  'upstream-refused': { status: 502, title: 'Amazon Pay or Temporal refused the request' },
  'service-unavailable': { status: 503, title: 'A service the daemon needs is unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemType = keyof typeof PROBLEM_TYPES;

/** The field that names the Idempotency-Key header in `errors`, as schema validation names headers. */
export const IDEMPOTENCY_KEY_FIELD = 'headers.idempotency-key';

/** Limits the API runs with, stated in the problems that enforce them (never parsed from a message). */
export interface ApiLimits {
  /** billing.yaml api.maxBodyBytes */
  maxBodyBytes: number;
  /** Longest path parameter (Fastify's maxParamLength); longer is 414. */
  maxParamLength: number;
  /** Request line and headers together (Node's maxHeaderSize); more is 431. */
  maxHeaderBytes: number;
}

/** Statuses any request can get before its route runs (URL, headers, timeout): every operation documents them. */
export const FRAMEWORK_STATUSES = [400, 408, 414, 431] as const;

export const FieldErrorSchema = z.strictObject({
  field: z
    .string()
    .describe(
      'Dotted path of the field as sent, e.g. plan.price.amount; query parameters, path parameters and headers are prefixed querystring., params. and headers. (querystring.fromCycle, params.id, headers.idempotency-key)',
    ),
  message: z.string().describe('What was wrong and what is accepted'),
});

export const ProblemSchema = z
  .object({
    type: z.string().describe(`Stable identifier of the kind of problem: ${TYPE_BASE}<name>`),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('What happened, for a person'),
    instance: z.string().optional().describe('The request path'),
    errors: z
      .array(FieldErrorSchema)
      .optional()
      .describe('Per-field errors of a 400 invalid-request or 422 invalid-input; on a 409 conflict, each term that differs from the existing subscription'),
    retryAfterSeconds: z.number().int().optional().describe('Also in the Retry-After header'),
    subscriptionId: z
      .string()
      .optional()
      .describe("On checkout-completed-by-another-session: the checkout's subscription, started (or being started) by the other session"),
    checkoutSession: z
      .strictObject({
        checkoutSessionId: z.string(),
        state: z.string().describe("The session's state at Amazon Pay: Open, Completed or Canceled"),
        reasonCode: z.string().nullable().describe('Why it was canceled: Expired, BuyerCanceled, Declined, AmazonCanceled'),
        chargePermissionId: z.string().nullable().describe('The Charge Permission the checkout created (a OneTime one for one-time-charge-permission)'),
        chargeId: z.string().nullable().describe('The charge made at checkout, if any'),
      })
      .optional()
      .describe('On the checkout-* and one-time-charge-permission problems: the Checkout Session as Amazon Pay has it'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export type FieldError = z.infer<typeof FieldErrorSchema>;
export type Problem = z.infer<typeof ProblemSchema>;

/** A problem the API raises itself (auth, idempotency, a check at the edge); the error handler renders it. */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly problemType: ProblemType,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

export function problem(
  type: ProblemType,
  detail: string,
  extra: { errors?: FieldError[]; retryAfterSeconds?: number; instance?: string; checkoutSession?: Problem['checkoutSession']; subscriptionId?: string } = {},
): Problem {
  const { status, title } = PROBLEM_TYPES[type];
  return {
    type: `${TYPE_BASE}${type}`,
    title,
    status,
    detail,
    ...(extra.instance === undefined ? {} : { instance: extra.instance }),
    ...(extra.errors === undefined ? {} : { errors: extra.errors }),
    ...(extra.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: extra.retryAfterSeconds }),
    ...(extra.checkoutSession === undefined ? {} : { checkoutSession: extra.checkoutSession }),
    ...(extra.subscriptionId === undefined ? {} : { subscriptionId: extra.subscriptionId }),
  };
}

/** Each refusal of a Checkout Session (client/errors.ts CheckoutRefusal) and its problem type. */
const CHECKOUT_PROBLEMS: Readonly<Record<CheckoutRefusal, ProblemType>> = {
  AmountMismatch: 'checkout-amount-mismatch',
  InvalidCheckoutSessionStatus: 'checkout-session-not-completable',
  Canceled: 'checkout-session-canceled',
  Expired: 'checkout-session-expired',
  OneTime: 'one-time-charge-permission',
};

/** Retry-After for a service that is down or throttling: long enough not to hammer it. */
const RETRY_AFTER_SECONDS = 5;

/** Codes of the PostgreSQL driver (postgres.js) and the OS when the database cannot be reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  '57P01',
  '57P03',
  '53300',
]);

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 6; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

interface Rendered {
  problem: Problem;
  headers: Record<string, string>;
  /** True for failures of our own making: logged as errors with the cause (never sent). */
  unexpected: boolean;
}

/**
 * Maps anything thrown while answering a request to its problem document. `route` ("POST
 * /v1/subscriptions") picks how the library's field names are shown (api/fields.ts).
 */
export function problemFor(error: unknown, instance: string, limits: ApiLimits, route?: string): Rendered {
  const at = { instance };
  const plain = (p: Problem, headers: Record<string, string> = {}): Rendered => ({ problem: p, headers, unexpected: false });
  if (error instanceof ApiProblem) {
    const retry = error.extra.retryAfterSeconds;
    return plain(
      problem(error.problemType, error.detail, {
        ...at,
        ...(error.extra.errors ? { errors: error.extra.errors } : {}),
        ...(retry === undefined ? {} : { retryAfterSeconds: retry }),
      }),
      {
        ...(retry === undefined ? {} : { 'retry-after': String(retry) }),
        ...error.extra.headers,
      },
    );
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as { validationContext?: string }).validationContext ?? 'body';
    // A union's refusal as the refusals inside the member the value had the shape of (zod-messages.ts).
    const issues = error.validation.flatMap((found) => unionMemberIssues(found as LocatedSchemaIssue));
    const errors = issues.flatMap((issue) => {
      const path = issue.instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
      const fieldAt = (p: string): string => (where === 'body' ? p || 'body' : `${where}${p ? `.${p}` : ''}`);
      // An unknown key is named as sent (plan.price.foo), one error each, not as its parent with zod's text.
      const unknown = issue.keyword === 'unrecognized_keys' ? ((issue.params as { keys?: unknown }).keys as string[] | undefined) : undefined;
      if (unknown && unknown.length > 0) {
        return unknown.map((key) => ({
          field: fieldAt(path ? `${path}.${key}` : key),
          message: `is not a field of ${path ? fieldAt(path) : `the ${where}`}; see the OpenAPI document for the fields it accepts`,
        }));
      }
      return [{ field: fieldAt(path), message: houseMessage(issue) }];
    });
    if (errors.length > 0 && errors.every((e) => e.field === IDEMPOTENCY_KEY_FIELD)) {
      return plain(problem('invalid-idempotency-key', `Idempotency-Key ${errors[0]?.message ?? 'is malformed'}`, { ...at, errors }));
    }
    return plain(
      problem(
        'invalid-request',
        `${errors.length} field${errors.length === 1 ? '' : 's'} of the ${where} ${errors.length === 1 ? 'is' : 'are'} invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`.slice(
          0,
          2000,
        ),
        { ...at, errors },
      ),
    );
  }
  if (error instanceof BillingClientError) {
    const rendered = fromLibrary(error, instance, route);
    return plain(rendered, rendered.retryAfterSeconds === undefined ? {} : { 'retry-after': String(rendered.retryAfterSeconds) });
  }
  const fastifyCode = (error as { code?: unknown })?.code;
  if (typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_')) {
    const fromFastify = fastifyProblem(fastifyCode, error as Error, instance, limits);
    if (fromFastify) return plain(fromFastify);
  }
  const chain = causeChain(error);
  const temporalDown = chain.some((e) => e instanceof ServiceError || (e as { code?: unknown })?.code === 14);
  const databaseDown = chain.some((e) => UNREACHABLE_CODES.has(String((e as { code?: unknown })?.code ?? '')));
  if (temporalDown || databaseDown) {
    const what = temporalDown ? 'Temporal' : 'PostgreSQL';
    return {
      problem: problem('service-unavailable', `${what} did not answer; nothing was changed by this request. Try again later.`, {
        ...at,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      }),
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      unexpected: true,
    };
  }
  return {
    problem: problem('internal', 'The daemon failed to answer this request; it is logged with the request id. Try again, and report it if it persists.', at),
    headers: {},
    unexpected: true,
  };
}

function fromLibrary(error: BillingClientError, instance: string, route: string | undefined): Problem {
  const at = { instance };
  const named = (field: string): string => apiFieldName(route, field);
  switch (error.code) {
    case 'invalid_input': {
      const errors = (error as InvalidInputError).problems.map((p) => ({ field: named(p.field), message: p.message }));
      return problem('invalid-input', errors.map((e) => `${e.field} ${e.message}`).join('; '), { ...at, errors });
    }
    case 'not_found':
      return problem('not-found', error.message, at);
    case 'conflict': {
      if (error instanceof CheckoutCompletedByAnotherSessionError)
        return problem('checkout-completed-by-another-session', error.message, { ...at, subscriptionId: error.subscriptionId });
      const { summary, differences, retryAfterSeconds } = error as ConflictError;
      // A conflict that clears by itself says when to retry (and is never stored against an Idempotency-Key).
      if (differences.length === 0) return problem('conflict', error.message, { ...at, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
      const errors = differences.map((d) => ({ field: named(d.field), message: `is ${d.stored} in the existing subscription, got ${d.requested}` }));
      return problem('conflict', `${summary}: ${differences.map((d) => `${named(d.field)} ${d.stored} ≠ ${d.requested}`).join('; ')}`, { ...at, errors });
    }
    case 'charge_permission_not_chargeable':
      return problem('charge-permission-not-chargeable', error.message, at);
    case 'checkout_session': {
      const { refusal, session } = error as CheckoutSessionError;
      return problem(CHECKOUT_PROBLEMS[refusal], error.message, { ...at, checkoutSession: session });
    }
    case 'not_configured':
      return problem('not-configured', error.message, at);
    case 'checkout_required':
      return problem('plan-change-needs-checkout', error.message, at);
    case 'upstream': {
      const retryable = (error as BillingClientError & { retryable: boolean }).retryable;
      return retryable
        ? problem('service-unavailable', error.message, { ...at, retryAfterSeconds: RETRY_AFTER_SECONDS })
        : problem('upstream-refused', error.message, at);
    }
  }
}

function fastifyProblem(code: string, error: Error, instance: string, limits: ApiLimits): Problem | undefined {
  const at = { instance };
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('body-too-large', `The body is larger than this API accepts: at most ${limits.maxBodyBytes} bytes (api.maxBodyBytes)`, at);
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(
        'invalid-json',
        code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'Content-Type is application/json but the body is empty: send {} or no Content-Type'
          : 'The body is not valid JSON (RFC 8259)',
        at,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem('unsupported-media-type', 'Send request bodies as application/json', at);
    case 'FST_ERR_BAD_URL':
      return problem(
        'invalid-url',
        'The path has a malformed percent-encoding (each % must start a UTF-8 byte such as %C3%A9); encode ids with encodeURIComponent or its equivalent',
        at,
      );
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem('uri-too-long', uriTooLongDetail(limits), at);
    default:
      if ((error as { statusCode?: number }).statusCode === 400) return problem('invalid-request', 'The request is malformed', at);
      return undefined;
  }
}

/** The detail of a 414: a path segment longer than any id (the router's maxParamLength). */
export function uriTooLongDetail(limits: ApiLimits): string {
  return `A path segment of this URL is longer than this API accepts: ids are at most ${limits.maxParamLength} characters (64 for subscription and charge ids)`;
}

/** Node's HTTP parser errors (server 'clientError') with the problem each gets. */
const CLIENT_ERRORS: Readonly<Record<string, (limits: ApiLimits) => [ProblemType, string]>> = {
  HPE_HEADER_OVERFLOW: (l) => [
    'headers-too-large',
    `The request line and headers are larger than this API accepts: at most ${l.maxHeaderBytes} bytes together (a long query string counts)`,
  ],
  ERR_HTTP_REQUEST_TIMEOUT: () => ['request-timeout', 'The request did not arrive in time; send it again'],
};

/**
 * The raw HTTP/1.1 answer to a request Node's parser refused before Fastify saw it (its
 * 'clientError' event), as a problem document that closes the connection; undefined when there
 * is no one to answer (the client reset the connection). Without a parsed request there is no
 * instance.
 */
export function clientErrorResponse(error: { code?: string }, limits: ApiLimits): string | undefined {
  if (error.code === 'ECONNRESET') return undefined;
  const [type, detail] = CLIENT_ERRORS[error.code ?? '']?.(limits) ?? ['malformed-request', 'The request is not valid HTTP/1.1 and was not read'];
  const body = JSON.stringify(problem(type, detail));
  const status = PROBLEM_TYPES[type].status;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/** 405 for a path the API serves with other methods; `allow` goes into the Allow header too. */
export function methodNotAllowed(method: string, path: string, allow: string[]): ApiProblem {
  return new ApiProblem('method-not-allowed', `${path} does not take ${method}; it takes ${allow.join(', ')}`, { headers: { allow: allow.join(', ') } });
}

/** Sends a rendered problem; the body is a string, so no response schema can turn it into a 500. */
export function sendProblem(reply: FastifyReply, rendered: Pick<Rendered, 'problem' | 'headers'>): FastifyReply {
  return reply.code(rendered.problem.status).headers(rendered.headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(rendered.problem));
}

/** The problem responses a route documents in OpenAPI, by status. */
export function problemResponses(...statuses: number[]): Record<number, { description: string; content: Record<string, { schema: typeof ProblemSchema }> }> {
  const out: Record<number, { description: string; content: Record<string, { schema: typeof ProblemSchema }> }> = {};
  // 500 on every operation: a bug of the daemon is still answered with a problem document.
  for (const status of [...new Set([...statuses, ...FRAMEWORK_STATUSES, 500])].sort()) {
    const types = Object.entries(PROBLEM_TYPES)
      .filter(([, t]) => t.status === status)
      .map(([name]) => name);
    out[status] = { description: `Problem: ${types.join(', ')}`, content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } } };
  }
  return out;
}
