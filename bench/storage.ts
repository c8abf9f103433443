// What the stores hold, in bytes: the daemon's database and Temporal's (the dev server's SQLite
// file, or the cluster's persistence and visibility databases), read before and after a phase so
// that a scenario can say how many bytes a sleeping subscription costs in each.
import { statSync } from 'node:fs';
import type { BenchStack } from './stack.js';

export interface StorageBytes {
  /** pg_database_size of the run's daemon database. */
  daemonDb: number;
  /** The cluster's persistence database (histories, mutable state, timers); null on the dev server. */
  temporalPersistenceDb: number | null;
  /** The cluster's visibility database (the workflow list, search attributes); null on the dev server. */
  temporalVisibilityDb: number | null;
  /** The dev server's SQLite file with its WAL; null in memory and on the cluster. */
  temporalSqlite: number | null;
}

/** SQLite file plus its write-ahead log: what the dev server has on disk. */
export function sqliteBytes(file: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(file + suffix).size;
    } catch {
      // absent
    }
  }
  return total;
}

export async function storageBytes(stack: BenchStack, daemonDatabase: string): Promise<StorageBytes> {
  const t = stack.temporalDatabases;
  const sqlite = t === null ? sqliteBytes(stack.temporalDbFile) : 0;
  return {
    daemonDb: await stack.databaseBytes(daemonDatabase),
    temporalPersistenceDb: t ? await stack.databaseBytes(t.persistence) : null,
    temporalVisibilityDb: t ? await stack.databaseBytes(t.visibility) : null,
    // An in-memory dev server has no file.
    temporalSqlite: t === null && sqlite > 0 ? sqlite : null,
  };
}

/** (after − before) / n for each store, rounded to whole bytes; null where the store is absent. */
export function bytesPerSubscription(before: StorageBytes, after: StorageBytes, n: number): StorageBytes {
  const per = (a: number | null, b: number | null): number | null => (a === null || b === null || n <= 0 ? null : Math.round((b - a) / n));
  return {
    daemonDb: per(before.daemonDb, after.daemonDb) ?? 0,
    temporalPersistenceDb: per(before.temporalPersistenceDb, after.temporalPersistenceDb),
    temporalVisibilityDb: per(before.temporalVisibilityDb, after.temporalVisibilityDb),
    temporalSqlite: per(before.temporalSqlite, after.temporalSqlite),
  };
}
