// Request bodies of the HTTP API: application/json as RFC 8259 has it (section 8.1: JSON exchanged
// between systems is UTF-8), read as bytes and refused when it is anything else instead of being
// decoded with replacement characters and stored:
// - a Content-Encoding (gzip, br, …): 415, the API takes bodies uncompressed (Accept-Encoding: identity);
// - a charset other than utf-8: 415;
// - bytes that are not UTF-8: 400 invalid-json;
// - a JSON value that is not an object (null, "x", 7, []): 400 invalid-request, not "no body";
// - a string or key holding a lone UTF-16 surrogate (a "\ud800" escape without its pair, which no
//   UTF-8 text can carry, so PostgreSQL would store U+FFFD instead): 400 invalid-request naming the field.
// JSON.parse makes "__proto__", "constructor" and "prototype" plain own keys (it never sets a
// prototype), so they reach validation and are refused like any unknown key.
import { errorCodes, type FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiProblem } from './problems.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** In a u-mode pattern a pair is one code point, so only a surrogate without its pair matches. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Replaces Fastify's JSON parser (which decodes invalid UTF-8 silently) with parseJsonBody.
 * Fastify validates a request without a body as null, so body schemas are nullish; a body that
 * is literally `null` never gets that far.
 */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request.headers, body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * The JSON object of a request body (the route's schema decides its shape). Throws ApiProblem (415, 400) or Fastify's empty/invalid JSON errors (400), which
 * api/problems.ts renders.
 */
export function parseJsonBody(headers: IncomingHttpHeaders, body: Buffer): unknown {
  const encoding = headers['content-encoding'];
  if (encoding !== undefined) {
    throw new ApiProblem(
      'unsupported-media-type',
      `Content-Encoding ${JSON.stringify(encoding)} is not accepted: send the body uncompressed, without Content-Encoding`,
      { headers: { 'accept-encoding': 'identity' } },
    );
  }
  const charset = charsetOf(headers['content-type'] ?? '');
  if (charset !== undefined && charset !== 'utf-8') {
    throw new ApiProblem(
      'unsupported-media-type',
      `charset ${JSON.stringify(charset)} is not accepted: send application/json in UTF-8 (charset=utf-8 or no charset)`,
    );
  }
  if (body.length === 0) throw new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY();
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new ApiProblem('invalid-json', 'The body is not valid UTF-8: JSON bodies must be UTF-8 (RFC 8259 section 8.1); no replacement characters are stored');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY();
  }
  // Every body of this API is an object; null, a string or an array is not "no body".
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const message = `must be a JSON object such as {}, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`;
    throw new ApiProblem('invalid-request', `The body ${message}`, { errors: [{ field: 'body', message }] });
  }
  // The deepest body of this API nests 3 levels (plan.price.amount); a deeper one is refused before
  // anything walks it (a walk 20,000 levels deep would overflow the stack and answer 500).
  if (nestedDeeperThan(value, MAX_BODY_DEPTH)) {
    const message = `nests objects or arrays more than ${MAX_BODY_DEPTH} levels deep; this API's bodies need at most 3`;
    throw new ApiProblem('invalid-request', `The body ${message}`, { errors: [{ field: 'body', message }] });
  }
  const field = loneSurrogateAt(value, '');
  if (field !== undefined) {
    const message =
      'holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair): strings must be valid Unicode, a character outside the BMP is a pair such as \\ud83d\\ude00';
    throw new ApiProblem('invalid-request', `${field} ${message}`, { errors: [{ field, message }] });
  }
  return value;
}

/** The charset parameter of a Content-Type, lower case without quotes; undefined when there is none. */
function charsetOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const [name, ...value] = parameter.split('=');
    if (name?.trim().toLowerCase() === 'charset')
      return value
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
  }
  return undefined;
}

/** How deep a JSON body may nest objects and arrays (the body itself is level 1). */
export const MAX_BODY_DEPTH = 32;

/** Whether `value` (parsed JSON) nests objects or arrays more than `limit` levels; iterative, so any depth is safe to ask about. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: { item: unknown; depth: number }[] = [{ item: value, depth: 1 }];
  while (stack.length > 0) {
    const { item, depth } = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) if (child !== null && typeof child === 'object') stack.push({ item: child, depth: depth + 1 });
  }
  return false;
}

/** Dotted path (as validation names fields; "body" for the whole) of the first string or key with a lone surrogate. */
function loneSurrogateAt(value: unknown, path: string): string | undefined {
  const here = path || 'body';
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? here : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const child = path ? `${path}.${key}` : key;
    if (LONE_SURROGATE.test(key)) return JSON.stringify(child).slice(1, -1);
    const found = loneSurrogateAt(item, child);
    if (found !== undefined) return found;
  }
  return undefined;
}
