// Replicas started together on a new database (a first deployment, or an upgrade that brings a
// migration) each apply the migrations at start-up. Without a lock they raced: the second saw no
// migration applied, ran the same CREATE TABLEs and failed ("already exists"), so that replica died.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { describe, expect, inject, it } from 'vitest';
import { migrateDatabase } from '../../db/migrate.js';

describe('migrations applied by several replicas at once', () => {
  it('all succeed, and each migration is recorded once', async () => {
    const adminUrl = inject('postgresAdminUrl');
    const name = `migrate_${randomBytes(5).toString('hex')}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const url = adminUrl.replace(/\/postgres$/, `/${name}`);
    try {
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => migrateDatabase(url)));
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const [row] = await sql<
          { total: string; distinct: string }[]
        >`select count(*) as total, count(distinct hash) as distinct from drizzle.__drizzle_migrations`;
        expect(Number(row!.total)).toBeGreaterThan(0);
        expect(row!.total).toBe(row!.distinct);
      } finally {
        await sql.end();
      }
    } finally {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });
});
