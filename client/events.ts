// Reading the event log (docs/events.md) for the admin library, `billing events list` and
// GET /v1/events: a page of events after a cursor, optionally of one subscription and some types.
import { EMPTY_EVENT_TYPE_ITEM, EVENT_TYPES, isEventType } from '../billing/event-types.js';
import type { Problem } from '../billing/types.js';
import { validateSubscriptionId } from '../billing/plan-rules.js';
import type { DatabaseOrTransaction } from '../db/client.js';
import { decodeEventCursor, encodeEventCursor, isIssuedEventCursor, listEventsAfter, START_OF_EVENTS, type EventCursor } from '../db/queries/events.js';
import type { EventRow } from '../db/schema/index.js';
import { InvalidInputError } from './errors.js';

export const DEFAULT_EVENT_PAGE = 100;
export const MAX_EVENT_PAGE = 1000;

export interface ListEventsInput {
  /** next_cursor of an earlier page; absent: from the first event. */
  after?: string;
  subscriptionId?: string;
  /** Only these types (EVENT_TYPES); absent or an empty list: every type; an empty item ("") is refused. */
  types?: readonly string[];
  /** 1-MAX_EVENT_PAGE, default DEFAULT_EVENT_PAGE. */
  limit?: number;
}

/** An event as the API, the CLI's --json and webhook deliveries show it (api/schemas/events.ts EventSchema). */
export interface EventView {
  id: string;
  type: string;
  subscription_id: string;
  sequence: number;
  account: string | null;
  occurred_at: string;
  data: Record<string, unknown>;
}

export interface EventPage {
  /** Oldest first (commit order, see db/queries/events.ts listEventsAfter). */
  data: EventView[];
  /** Pass as `after` next time; the same cursor comes back while nothing new is readable. */
  next_cursor: string;
}

/** Why a cursor is refused, malformed or forged alike: what is accepted instead. */
export const CURSOR_REFUSED =
  'is not a cursor the event log gave out: pass the next_cursor of an earlier page (`billing events list` prints it after --after), or leave it out to start at the first event';

/**
 * The query checked: every bad field named at once (InvalidInputError), the cursor decoded.
 * `cursorIssued` is isIssuedEventCursor's answer for `input.after` when the caller asked the
 * database (false: refused like a malformed cursor); without it only the cursor's shape is checked.
 */
export function checkEventsQuery(input: ListEventsInput, cursorIssued = true): { after: EventCursor; subscriptionId?: string; types: string[]; limit: number } {
  const problems: Problem[] = [];
  const decoded = input.after === undefined ? START_OF_EVENTS : decodeEventCursor(input.after);
  const after = cursorIssued ? decoded : null;
  if (after === null) problems.push({ field: 'after', message: CURSOR_REFUSED });
  if (input.subscriptionId !== undefined) problems.push(...validateSubscriptionId(input.subscriptionId, 'subscription'));
  const types = [...new Set(input.types ?? [])];
  const unknown = types.filter((t) => !isEventType(t));
  if (types.some((t) => t.trim() === '')) problems.push({ field: 'type', message: EMPTY_EVENT_TYPE_ITEM });
  else if (unknown.length > 0)
    problems.push({ field: 'type', message: `names no event type: ${unknown.map((t) => JSON.stringify(t)).join(', ')}; known: ${EVENT_TYPES.join(', ')}` });
  const limit = input.limit ?? DEFAULT_EVENT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENT_PAGE)
    problems.push({ field: 'limit', message: `must be a whole number from 1 to ${MAX_EVENT_PAGE}, got ${String(input.limit)}` });
  if (problems.length > 0 || after === null) throw new InvalidInputError(problems);
  return { after, ...(input.subscriptionId === undefined ? {} : { subscriptionId: input.subscriptionId }), types, limit };
}

/** A page of the event log after `input.after`. Throws InvalidInputError naming every bad field, a cursor the log never gave out included. */
export async function listEvents(deps: { db: DatabaseOrTransaction }, input: ListEventsInput = {}): Promise<EventPage> {
  // A cursor of the right shape must also name a readable event (a malformed one is named by the check itself).
  const decoded = input.after === undefined ? null : decodeEventCursor(input.after);
  const query = checkEventsQuery(input, decoded === null || (await isIssuedEventCursor(deps.db, decoded)));
  const page = await listEventsAfter(deps.db, query);
  return { data: page.events.map(eventView), next_cursor: encodeEventCursor(page.next) };
}

/** A stored event as it is shown and sent. */
export function eventView(row: EventRow): EventView {
  return {
    id: row.id,
    type: row.type,
    subscription_id: row.subscriptionId,
    sequence: row.sequence,
    account: row.account,
    occurred_at: row.occurredAt.toISOString(),
    data: row.data as Record<string, unknown>,
  };
}
