// Idempotency-Key on POST (as Stripe and Chargebee have it), stored in PostgreSQL so that a replay
// works after a restart and on another replica, scoped per API key (another API key's request with
// the same header value is another request):
// - the first request with a key claims it (an insert; the primary key decides between concurrent
//   requests), runs, and stores its response (status and body) before the response is sent;
// - the same key with the same request (method, path, canonical JSON body) gets that response
//   again, with `Idempotent-Replayed: true`, for 24 hours (billing.yaml api.idempotencyRetention;
//   housekeeping's prune job deletes older keys);
// - the same key with another request: 422 idempotency-key-reused;
// - while the first request still runs, a duplicate gets 409 idempotency-key-in-progress with
//   Retry-After (it does not wait); a claim whose process died is taken over after the lease.
// Responses with status 5xx (including 503), and 409s that clear by themselves (with Retry-After,
// bindsIdempotencyKey), are not stored: the claim is released (the row stays
// with its fingerprint), so a retry of the same request runs again and another request with the
// key is still refused. A refund binds the key to the refund it recorded (client/subscriptions/refund.ts),
// so that retry continues the refund instead of recording a second one.
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../db/client.js';
import { claimIdempotencyKey, completeIdempotencyKey, getIdempotencyKey, releaseIdempotencyKey, type IdempotencyKeyRef } from '../db/queries/idempotency.js';
import { ApiProblem, IDEMPOTENCY_KEY_FIELD } from './problems.js';
import { IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_KEY_RULE } from './schemas/common.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Idempotency-Key this request claimed, scoped to its API key. */
    idempotencyKey?: IdempotencyKeyRef;
  }
}

/** Default replay window of a stored response (billing.yaml api.idempotencyRetention, at least 24 h). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60_000;
/** An in_progress claim older than this belongs to a process that died: a retry takes it over. */
export const IDEMPOTENCY_LEASE_MS = 60_000;

/** JSON with object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method}\n${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

/**
 * Whether a response is the lasting answer to its request, stored and replayed for its
 * Idempotency-Key: every status below 500 except one that says when to retry (Retry-After: a
 * conflict that clears by itself, such as another refund of the charge still unconfirmed). A 5xx
 * or a Retry-After answer releases the key, so the same request runs again when retried.
 */
export function bindsIdempotencyKey(reply: { statusCode: number; getHeader(name: string): unknown }): boolean {
  return reply.statusCode < 500 && reply.getHeader('retry-after') === undefined;
}

/**
 * onRequest: an Idempotency-Key header sent more than once is refused as such (Node would join the
 * values with ", ", which then reads as a key with a space).
 */
export async function refuseRepeatedIdempotencyKey(request: FastifyRequest): Promise<void> {
  const raw = request.raw.rawHeaders;
  let times = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'idempotency-key') times++;
  if (times > 1) {
    const message = `is given ${times} times; send it once (one key per request)`;
    throw new ApiProblem('invalid-idempotency-key', `Idempotency-Key ${message}`, { errors: [{ field: IDEMPOTENCY_KEY_FIELD, message }] });
  }
}

export function idempotency(options: { db: Database; now: () => Date; retentionMs?: number }) {
  const { db, now } = options;
  const retentionMs = options.retentionMs ?? IDEMPOTENCY_RETENTION_MS;
  /** preHandler: runs after authentication and validation, so refused requests never claim a key. */
  const preHandler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const raw = request.headers['idempotency-key'];
    if (raw === undefined) return undefined;
    const key = Array.isArray(raw) ? raw.join(',') : raw;
    // The route's header schema refuses a malformed key first; this holds for any POST without one.
    if (!IDEMPOTENCY_KEY_PATTERN.test(key))
      throw new ApiProblem('invalid-idempotency-key', `Idempotency-Key ${IDEMPOTENCY_KEY_RULE}`, {
        errors: [{ field: IDEMPOTENCY_KEY_FIELD, message: IDEMPOTENCY_KEY_RULE }],
      });
    const path = request.url.split('?')[0] ?? request.url;
    const requestHash = requestFingerprint(request.method, path, request.body);
    // Authentication ran first (onRequest), so every POST has its API key; keys are scoped to it.
    const apiKeyId = request.apiKey?.id;
    if (apiKeyId === undefined) throw new Error('an Idempotency-Key reached the idempotency check without an authenticated API key');
    const ref: IdempotencyKeyRef = { apiKeyId, key };
    const claimed = await claimIdempotencyKey(
      db,
      { ...ref, requestHash, method: request.method, path, at: now() },
      { leaseMs: IDEMPOTENCY_LEASE_MS, retentionMs },
    );
    if (claimed) {
      request.idempotencyKey = ref;
      return undefined;
    }
    const row = await getIdempotencyKey(db, ref);
    if (!row)
      throw new ApiProblem('idempotency-key-in-progress', 'The claim of this Idempotency-Key just expired; send the request again', { retryAfterSeconds: 1 });
    if (row.requestHash !== requestHash) {
      throw new ApiProblem(
        'idempotency-key-reused',
        `Idempotency-Key ${JSON.stringify(key)} was first used for another request (${row.method} ${row.path} with a different body); use a new key for a new request`,
      );
    }
    if (row.state !== 'completed' || row.responseStatus === null) {
      throw new ApiProblem(
        'idempotency-key-in-progress',
        `The first request with Idempotency-Key ${JSON.stringify(key)} is still running; retry after it finished to get its response`,
        { retryAfterSeconds: 1 },
      );
    }
    return reply
      .code(row.responseStatus)
      .header('idempotent-replayed', 'true')
      .type(row.responseContentType ?? 'application/json')
      .send(row.responseBody ?? '');
  };

  /** onSend: stores the owner's response before it leaves, so a replay can never miss it. */
  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const ref = request.idempotencyKey;
    if (ref === undefined) return payload;
    request.idempotencyKey = undefined;
    if (!bindsIdempotencyKey(reply) || typeof payload !== 'string') {
      await releaseIdempotencyKey(db, ref);
      return payload;
    }
    const contentType = String(reply.getHeader('content-type') ?? 'application/json').split(';')[0] ?? 'application/json';
    await completeIdempotencyKey(db, ref, { status: reply.statusCode, contentType, body: payload, at: now() });
    return payload;
  };
  return { preHandler, onSend };
}
