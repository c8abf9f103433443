// API keys of the HTTP API (api/): created, listed and revoked by an operator (`billing api-keys`),
// checked by the API on every request. A key is 32 random bytes (256 bits, base64url) behind a
// "bk_" marker; it is returned once by createApiKey and stored only as its SHA-256, so a database
// dump cannot be replayed as credentials. A plain hash (no salt, no slow KDF) is enough for a
// random key of this length: there is nothing to guess from a dictionary.
import { createHash, randomBytes } from 'node:crypto';
import { findApiKeyByHash, insertApiKey, listApiKeyRows, revokeApiKeyRow, touchApiKey } from '../db/queries/api-keys.js';
import type { ApiKeyRow } from '../db/schema/index.js';
import type { BillingClientDeps } from './deps.js';
import { InvalidInputError, NotFoundError } from './errors.js';

export const API_KEY_SCOPES = ['read_write', 'read_only'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const KEY_MARKER = 'bk_';
/** Characters of the key kept for recognition: the marker and 7 random characters (42 bits, useless to an attacker). */
const PREFIX_LENGTH = KEY_MARKER.length + 7;
/** Longest key name. */
export const MAX_NAME_LENGTH = 100;

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scope: ApiKeyScope;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyView {
  /** The whole key: shown once, never stored, never retrievable again. */
  secret: string;
}

type KeyDeps = Pick<BillingClientDeps, 'db' | 'now'>;

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function view(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scope: row.scope as ApiKeyScope,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** A new key named `name` (1-100 printable characters); `readOnly` keys may only GET. */
export async function createApiKey(deps: KeyDeps, input: { name: string; readOnly?: boolean }): Promise<CreatedApiKey> {
  const name = (input.name ?? '').trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || /[\p{Cc}]/u.test(name)) {
    throw InvalidInputError.of('name', `must be 1-${MAX_NAME_LENGTH} printable characters (e.g. "magento-prod"), got ${JSON.stringify(input.name)}`);
  }
  const secret = `${KEY_MARKER}${randomBytes(32).toString('base64url')}`;
  const row = await insertApiKey(deps.db, {
    id: `key_${randomBytes(8).toString('hex')}`,
    name,
    prefix: secret.slice(0, PREFIX_LENGTH),
    hash: hashApiKey(secret),
    scope: input.readOnly ? 'read_only' : 'read_write',
    createdAt: deps.now(),
  });
  return { ...view(row), secret };
}

export async function listApiKeys(deps: KeyDeps): Promise<ApiKeyView[]> {
  return (await listApiKeyRows(deps.db)).map(view);
}

/** Revokes the key with this id (`key_…`); it stops working at once, on every replica. */
export async function revokeApiKey(deps: KeyDeps, id: string): Promise<ApiKeyView> {
  if (!/^key_[0-9a-f]{16}$/.test(id ?? ''))
    throw InvalidInputError.of('id', `must be a key id as shown by \`billing api-keys list\` (key_ and 16 hex digits), got ${JSON.stringify(id)}`);
  const row = await revokeApiKeyRow(deps.db, id, deps.now());
  if (!row) throw new NotFoundError('api_key', id);
  return view(row);
}

/**
 * The key a request presented, or why it is refused: 'unknown' (never issued, or malformed) or
 * 'revoked'. A valid key's last use is recorded (at most once a minute).
 */
export async function verifyApiKey(deps: KeyDeps, secret: string): Promise<{ ok: true; key: ApiKeyView } | { ok: false; reason: 'unknown' | 'revoked' }> {
  if (!secret.startsWith(KEY_MARKER) || secret.length > 200) return { ok: false, reason: 'unknown' };
  const row = await findApiKeyByHash(deps.db, hashApiKey(secret));
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  await touchApiKey(deps.db, row.id, deps.now());
  return { ok: true, key: view(row) };
}
