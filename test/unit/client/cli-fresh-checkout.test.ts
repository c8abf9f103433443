// A fresh checkout: no .data directory (so no sandbox key from `npm run dev`), no AMAZON_PAY_*,
// no DATABASE_URL. Commands that need neither Amazon Pay nor a database must run; commands that
// need only the database must not ask for Amazon Pay's configuration.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../../client/cli.js';
import type { CliIo } from '../../../client/cli/command.js';

const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');
let scratch: string;

function freshIo(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    // Nothing from `npm run dev` exists yet; the database port answers nobody.
    env: { BILLING_DATA_DIR: join(scratch, '.data'), BILLING_PG_PORT: '1', ...env },
    cwd: PROJECT_ROOT,
  };
  return io;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'billing-fresh-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('billing on a fresh checkout', () => {
  it('preview runs without a sandbox key, database or Amazon Pay settings (sandbox intervals allowed), and creates nothing', async () => {
    const io = freshIo();
    expect(await runCli(['preview', '--interval', '1 minute', '--anchor', '2025-01-31T09:00', '--count', '2'], io)).toBe(0);
    expect(io.stderr).toBe('');
    expect(io.stdout).toContain('2025-01-31 09:01:00 UTC');
    expect(existsSync(join(scratch, '.data'))).toBe(false);
  });

  it('preview reads only the environment from AMAZON_PAY_*, never the private key', async () => {
    const io = freshIo({
      AMAZON_PAY_PUBLIC_KEY_ID: 'LIVE-ABCDEFGHIJKLMNOPQRSTUVWX',
      AMAZON_PAY_PRIVATE_KEY_PATH: join(scratch, 'no-such-key.pem'),
      AMAZON_PAY_REGION: 'eu',
    });
    expect(await runCli(['preview', '--interval', 'month', '--anchor', '2025-01-31T09:00', '--count', '2'], io)).toBe(0);
    const live = freshIo({ AMAZON_PAY_PUBLIC_KEY_ID: 'LIVE-ABCDEFGHIJKLMNOPQRSTUVWX', AMAZON_PAY_PRIVATE_KEY_PATH: join(scratch, 'no-such-key.pem') });
    expect(await runCli(['preview', '--interval', 'minute'], live)).toBe(2);
    expect(live.stderr).toMatch(/^error: --interval "minute" intervals are sandbox-only .*\n$/);
  });

  it.each(COMMANDS.map((c) => [c.name]))('%s --help needs no configuration', async (name) => {
    const io = freshIo();
    expect(await runCli([name, '--help'], io)).toBe(0);
    expect(io.stderr).toBe('');
  });

  it.each([['list'], ['show', 'sub-1'], ['export', 'ledger']])('%s needs the database only: the error names PostgreSQL, not a sandbox key', async (...args) => {
    const io = freshIo();
    expect(await runCli(args, io)).toBe(1);
    expect(io.stderr).toMatch(/^error: cannot connect to PostgreSQL/);
    expect(io.stderr).not.toMatch(/sandbox key|AMAZON_PAY/);
  });
});
