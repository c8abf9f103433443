// Temporal task tokens never reach a log line. A task token lets its holder complete, fail or
// heartbeat that activity through the Temporal API, and it is long (a base64 blob of ~200-600
// characters: a throttled charge's WARN line was ~820 characters, mostly token). It can arrive by
// several roads, all of which pass through the logger: the SDK's activity log attributes
// (`taskToken`, on every activity's "Activity failed" and on Context.log), the worker's own lines
// (`taskToken` on "Got activity task", heartbeat and completion errors), sdk-core's forwarded
// lines (a `task_token` field, and "TaskToken(…)" inside Debug-formatted details), an activity
// Info object (`taskToken`, `base64TaskToken`) or an error carrying any of these — in a line's
// own fields, in a child logger's bound fields, or in its message (config/logger.ts applies this
// to all three). The same walk drops a failed SQL statement's values (config/query-parameters.ts).

import { QUERY_PARAMETERS_FIELD, withoutQueryParameters } from './query-parameters.js';

const TOKEN_KEY = /^(task_?token|base64_?task_?token)$/i;
/** sdk-core's Debug format of a task token. */
const TOKEN_TEXT = /TaskToken\([^)]*\)/g;
const MAX_DEPTH = 8;

/** `text` with every "TaskToken(…)" replaced by "TaskToken(omitted)". */
export function withoutTaskTokenText(text: string): string {
  return text.replace(TOKEN_TEXT, 'TaskToken(omitted)');
}

/** `text` as a log line may carry it: no task token, no failed SQL statement's values. */
export function logSafeText(text: string): string {
  return withoutQueryParameters(withoutTaskTokenText(text));
}

/**
 * A copy of a log line's object without task tokens: keys named taskToken / task_token /
 * base64TaskToken (any case, any depth up to 8) are dropped, "TaskToken(…)" in strings is
 * replaced, and errors become { type, message, stack, …own fields } copies of their class (the thrown
 * error itself is never modified). Cycles and deeper levels are cut as "[…]". Keys matching
 * `censored` (config/logger.ts: secrets), at any depth, keep their name and get `censor` as value.
 */
export function withoutTaskTokens<T>(value: T, censored?: RegExp, censor = '[redacted]'): T {
  return scrub(value, 0, new WeakSet(), censored, censor) as T;
}

function scrub(value: unknown, depth: number, seen: WeakSet<object>, censored: RegExp | undefined, censor: string): unknown {
  if (typeof value === 'string') return logSafeText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array || value instanceof Date) return value;
  if (seen.has(value) || depth >= MAX_DEPTH) return '[…]';
  seen.add(value);
  const inner = (item: unknown): unknown => scrub(item, depth + 1, seen, censored, censor);
  if (Array.isArray(value)) return value.map(inner);
  // An error's copy keeps its prototype, so pino's err serializer still names its type.
  const out = (value instanceof Error ? Object.create(Object.getPrototypeOf(value) as object) : {}) as Record<string, unknown>;
  if (value instanceof Error) {
    out.type = value.name;
    out.message = logSafeText(value.message);
    if (value.stack) out.stack = logSafeText(value.stack);
    if (value.cause !== undefined) out.cause = inner(value.cause);
  }
  for (const [key, item] of Object.entries(value)) {
    if (TOKEN_KEY.test(key) || (value instanceof Error && key === QUERY_PARAMETERS_FIELD)) continue;
    // An own `cause` field was copied above; walked again, the seen-set would turn it into "[…]".
    if (value instanceof Error && key === 'cause') continue;
    out[key] = censored?.test(key) && item !== undefined && item !== null ? censor : inner(item);
  }
  return out;
}
