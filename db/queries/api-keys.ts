import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { DatabaseOrTransaction } from '../client.js';
import { apiKeys, type ApiKeyRow } from '../schema/index.js';

export async function insertApiKey(
  db: DatabaseOrTransaction,
  row: { id: string; name: string; prefix: string; hash: string; scope: string; createdAt: Date },
): Promise<ApiKeyRow> {
  const [stored] = await db.insert(apiKeys).values(row).returning();
  if (!stored) throw new Error(`api key ${row.id} vanished after insert`);
  return stored;
}

/** Every key, newest first, revoked ones included (they show when they were revoked). */
export async function listApiKeyRows(db: DatabaseOrTransaction): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt), apiKeys.id);
}

/** The key whose SHA-256 this is, revoked or not; undefined for a key never issued. */
export async function findApiKeyByHash(db: DatabaseOrTransaction, hash: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.hash, hash));
  return row;
}

/** Marks the key revoked (once: a second revoke keeps the first time). Undefined when no key has this id. */
export async function revokeApiKeyRow(db: DatabaseOrTransaction, id: string, at: Date): Promise<ApiKeyRow | undefined> {
  await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row;
}

/** Records a use; written at most once a minute per key so that busy keys do not write on every request. */
export async function touchApiKey(db: DatabaseOrTransaction, id: string, at: Date): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`${at.toISOString()}::timestamptz - interval '1 minute'`))));
}
