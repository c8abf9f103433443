// What a webhook endpoint may be configured with, checked before anything is written: each
// refusal names the field, what was wrong and what is accepted (InvalidInputError).
import { controlCharacterProblem, urlWrittenWithHost } from '../billing/plan-rules.js';
import { EMPTY_EVENT_TYPE_ITEM, EVENT_TYPES, isEventType, type EventType } from '../billing/event-types.js';
import type { Problem } from '../billing/types.js';

export const MAX_URL_LENGTH = 2048;
export const MAX_DESCRIPTION_LENGTH = 200;
/** Public endpoint ids: "we_" and 24 hex digits. */
export const ENDPOINT_ID_PATTERN = /^we_[0-9a-f]{24}$/;
export const URL_ACCEPTED = `an http:// or https:// URL such as https://shop.example.com/hooks/billing (at most ${MAX_URL_LENGTH} characters, no user:password@)`;

/**
 * A webhook URL: http or https only (a webhook is an HTTP POST), a host, no credentials in it (they
 * would show in every listing), at most 2048 characters. Returns the URL as given (trimmed).
 */
export function validateWebhookUrl(value: unknown, field = 'url'): { url: string } | { problem: Problem } {
  const refuse = (why: string): { problem: Problem } => ({ problem: { field, message: `${why}; accepted: ${URL_ACCEPTED}` } });
  if (typeof value !== 'string' || value.trim() === '') return refuse(`must be given${typeof value === 'string' ? ', got ""' : ''}`);
  const text = value.trim();
  if (text.length > MAX_URL_LENGTH) return refuse(`is ${text.length} characters long`);
  const control = controlCharacterProblem(text);
  if (control !== null) return { problem: { field, message: control } };
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return refuse(`is not a URL, got ${JSON.stringify(text)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return refuse(`has the scheme "${parsed.protocol.replace(/:$/, '')}"`);
  if (parsed.hostname === '' || !urlWrittenWithHost(text)) return refuse(`has no host after the scheme's "//", got ${JSON.stringify(text)}`);
  if (parsed.username !== '' || parsed.password !== '') return refuse('contains a user name or password');
  return { url: text };
}

/**
 * Event types an endpoint receives: a non-empty list of EVENT_TYPES, duplicates dropped, in the
 * order given, no item empty (EMPTY_EVENT_TYPE_ITEM); null (not given) means every type, including types added later.
 */
export function validateEventTypes(value: unknown, field = 'eventTypes'): { eventTypes: EventType[] | null } | { problem: Problem } {
  if (value === undefined || value === null) return { eventTypes: null };
  const accepted = `accepted: ${EVENT_TYPES.join(', ')}`;
  if (!Array.isArray(value) || value.length === 0)
    return { problem: { field, message: `must list at least one event type (leave it out for every type); ${accepted}` } };
  if (value.some((t) => typeof t === 'string' && t.trim() === '')) return { problem: { field, message: EMPTY_EVENT_TYPE_ITEM } };
  const unknown = value.filter((t) => typeof t !== 'string' || !isEventType(t));
  if (unknown.length > 0) {
    return {
      problem: {
        field,
        message: `names unknown event type${unknown.length === 1 ? '' : 's'} ${unknown.map((t) => JSON.stringify(t)).join(', ')}; ${accepted}`,
      },
    };
  }
  return { eventTypes: [...new Set(value as EventType[])] };
}

/** A description: at most 200 printable characters on one line; "" clears it (null). */
export function validateDescription(value: unknown, field = 'description'): { description: string | null } | { problem: Problem } {
  if (value === undefined || value === null) return { description: null };
  if (typeof value !== 'string') return { problem: { field, message: `must be text of at most ${MAX_DESCRIPTION_LENGTH} characters` } };
  const text = value.trim();
  if (text.length > MAX_DESCRIPTION_LENGTH) return { problem: { field, message: `must be at most ${MAX_DESCRIPTION_LENGTH} characters, got ${text.length}` } };
  const control = controlCharacterProblem(text);
  if (control !== null) return { problem: { field, message: control } };
  return { description: text === '' ? null : text };
}

/** Refuses anything but an endpoint id, naming where ids come from. */
export function endpointIdProblem(id: unknown, field = 'id'): Problem | null {
  if (typeof id === 'string' && ENDPOINT_ID_PATTERN.test(id)) return null;
  return { field, message: `must be a webhook endpoint id as \`billing webhooks list\` shows it (we_ and 24 hex digits), got ${JSON.stringify(id)}` };
}
