// Webhook endpoints for operators (`billing webhooks`, /v1/webhook-endpoints): add, list, show,
// change, disable/enable, rotate the secret, and the attempts made to an endpoint. A secret is
// returned only by add and rotateSecret, never by a listing, an error or a log line.
import { randomBytes } from 'node:crypto';
import type { BillingClientDeps } from '../client/deps.js';
import { InvalidInputError, NotFoundError } from '../client/errors.js';
import type { Problem } from '../billing/types.js';
import type { EventType } from '../billing/event-types.js';
import { listEndpointAttempts, type AttemptView } from '../db/queries/webhook-deliveries.js';
import {
  disableWebhookEndpointRow,
  enableWebhookEndpointRow,
  getWebhookEndpointRow,
  insertWebhookEndpoint,
  listWebhookEndpointRows,
  rotateWebhookSecretRow,
  updateWebhookEndpointRow,
} from '../db/queries/webhook-endpoints.js';
import type { WebhookEndpointRow } from '../db/schema/index.js';
import { endpointIdProblem, validateDescription, validateEventTypes, validateWebhookUrl } from './endpoint-input.js';
import { newWebhookSecret } from './secrets.js';

export type WebhookDeps = Pick<BillingClientDeps, 'db' | 'now'>;

export interface WebhookEndpointView {
  id: string;
  url: string;
  /** null: every event type. */
  eventTypes: string[] | null;
  description: string | null;
  status: 'enabled' | 'disabled';
  /** operator · gone (it answered 410) · failing (no success for the whole retry window). */
  disabledReason: string | null;
  disabledAt: string | null;
  /** Until when the secret before the last rotation also signs; null: no second signature. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
}

export interface WebhookEndpointWithSecret extends WebhookEndpointView {
  /** "whsec_…": shown here only. */
  secret: string;
}

export interface AttemptListing {
  endpoint: WebhookEndpointView;
  attempts: Array<Omit<AttemptView, 'at'> & { at: string }>;
}

/** Longest secret grace period rotateSecret accepts: 30 days. */
export const MAX_SECRET_GRACE_MS = 30 * 86_400_000;

export function endpointView(row: WebhookEndpointRow, now?: Date): WebhookEndpointView {
  const expires = row.previousSecretExpiresAt;
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.eventTypes ?? null,
    description: row.description,
    status: row.status as 'enabled' | 'disabled',
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    previousSecretExpiresAt: expires && row.previousSecret && (!now || expires > now) ? expires.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
  };
}

function refuseIfAny(problems: Array<Problem | null | undefined>): void {
  const found = problems.filter((p): p is Problem => !!p);
  if (found.length > 0) throw new InvalidInputError(found);
}

function problemOf<T extends object>(result: T | { problem: Problem }): Problem | undefined {
  return 'problem' in result ? result.problem : undefined;
}

async function existing(deps: WebhookDeps, id: string): Promise<WebhookEndpointRow> {
  refuseIfAny([endpointIdProblem(id)]);
  const row = await getWebhookEndpointRow(deps.db, id);
  if (!row) throw new NotFoundError('webhook_endpoint', id);
  return row;
}

/** A new endpoint's fields checked (no database needed): InvalidInputError names each bad one. */
export function checkNewWebhookEndpoint(input: { url: unknown; eventTypes?: unknown; description?: unknown }): {
  url: string;
  eventTypes: EventType[] | null;
  description: string | null;
} {
  const url = validateWebhookUrl(input.url);
  const types = validateEventTypes(input.eventTypes);
  const description = validateDescription(input.description);
  if ('problem' in url || 'problem' in types || 'problem' in description)
    throw new InvalidInputError([url, types, description].flatMap((r) => ('problem' in r ? [r.problem] : [])));
  return { url: url.url, eventTypes: types.eventTypes, description: description.description };
}

/**
 * A new endpoint receiving `eventTypes` (undefined/null: every type) from the next event on,
 * with a new secret. InvalidInputError names each bad field (checkNewWebhookEndpoint).
 */
export async function addWebhookEndpoint(
  deps: WebhookDeps,
  input: { url: unknown; eventTypes?: unknown; description?: unknown },
): Promise<WebhookEndpointWithSecret> {
  const checked = checkNewWebhookEndpoint(input);
  const secret = newWebhookSecret();
  const row = await deps.db.transaction((tx) =>
    insertWebhookEndpoint(tx, {
      id: `we_${randomBytes(12).toString('hex')}`,
      url: checked.url,
      eventTypes: checked.eventTypes,
      description: checked.description,
      secret,
      createdAt: deps.now(),
    }),
  );
  return { ...endpointView(row), secret };
}

export async function listWebhookEndpoints(deps: WebhookDeps): Promise<WebhookEndpointView[]> {
  const now = deps.now();
  return (await listWebhookEndpointRows(deps.db)).map((row) => endpointView(row, now));
}

export async function getWebhookEndpoint(deps: WebhookDeps, id: string): Promise<WebhookEndpointView> {
  return endpointView(await existing(deps, id), deps.now());
}

/**
 * Changes an endpoint: url, eventTypes (null: every type), description (null or "": none),
 * enabled. Disabling fails its pending deliveries; enabling delivers events from the next one on.
 */
export async function updateWebhookEndpoint(
  deps: WebhookDeps,
  id: string,
  change: { url?: unknown; eventTypes?: unknown; description?: unknown; enabled?: boolean },
): Promise<WebhookEndpointView> {
  await existing(deps, id);
  const url = change.url === undefined ? undefined : validateWebhookUrl(change.url);
  const types = change.eventTypes === undefined ? undefined : validateEventTypes(change.eventTypes);
  const description = change.description === undefined ? undefined : validateDescription(change.description);
  refuseIfAny([url && problemOf(url), types && problemOf(types), description && problemOf(description)]);
  const row = await deps.db.transaction(async (tx) => {
    await updateWebhookEndpointRow(tx, id, {
      ...(url && 'url' in url ? { url: url.url } : {}),
      ...(types && 'eventTypes' in types ? { eventTypes: types.eventTypes } : {}),
      ...(description && 'description' in description ? { description: description.description } : {}),
    });
    if (change.enabled === false) return (await disableWebhookEndpointRow(tx, id, 'operator', deps.now())).row;
    if (change.enabled === true) return (await enableWebhookEndpointRow(tx, id)).row;
    return getWebhookEndpointRow(tx, id);
  });
  if (!row) throw new NotFoundError('webhook_endpoint', id);
  return endpointView(row, deps.now());
}

/**
 * A new secret for the endpoint; the old one keeps signing (a second signature in
 * webhook-signature) for `graceMs` (default billing.yaml webhooks.secretGracePeriod; 0: stops at
 * once), so receivers can switch without dropping a webhook.
 */
export async function rotateWebhookSecret(deps: WebhookDeps, id: string, options: { graceMs: number }): Promise<WebhookEndpointWithSecret> {
  await existing(deps, id);
  if (!Number.isInteger(options.graceMs) || options.graceMs < 0 || options.graceMs > MAX_SECRET_GRACE_MS)
    throw InvalidInputError.of('grace', `must be a duration from 0s to 30d, got ${JSON.stringify(options.graceMs)} ms`);
  const secret = newWebhookSecret();
  const now = deps.now();
  const row = await rotateWebhookSecretRow(deps.db, id, secret, new Date(now.getTime() + options.graceMs));
  if (!row) throw new NotFoundError('webhook_endpoint', id);
  return { ...endpointView(row, now), secret };
}

/** The latest `limit` attempts to the endpoint (1-1000), newest first. */
export async function listWebhookAttempts(deps: WebhookDeps, id: string, limit: number): Promise<AttemptListing> {
  const row = await existing(deps, id);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw InvalidInputError.of('limit', `must be a whole number from 1 to 1000, got ${limit}`);
  const attempts = await listEndpointAttempts(deps.db, id, limit);
  return { endpoint: endpointView(row, deps.now()), attempts: attempts.map((a) => ({ ...a, at: a.at.toISOString() })) };
}
