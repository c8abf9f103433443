import { generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../../client/cli.js';
import type { CliIo } from '../../../client/cli/command.js';

const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** Sandbox credentials pointing nowhere: commands that need no service (help, preview) must still work. */
function fakeIo(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {
      DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:1/none',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      AMAZON_PAY_PUBLIC_KEY_ID: 'SANDBOX-ABCDEFGHIJKLMNOPQRSTUVWX',
      AMAZON_PAY_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      AMAZON_PAY_REGION: 'na',
      AMAZON_PAY_ENDPOINT: 'http://127.0.0.1:1',
      ...env,
    },
    cwd: PROJECT_ROOT,
  };
  return io;
}

describe('billing CLI dispatch', () => {
  it.each(COMMANDS.map((c) => [c.name]))('%s --help prints usage and examples, exit 0', async (name) => {
    const io = fakeIo();
    expect(await runCli([name, '--help'], io)).toBe(0);
    expect(io.stdout).toMatch(new RegExp(`^Usage: billing ${name}`));
    expect(io.stdout).toMatch(/Examples?:/);
  });

  it('without a command prints the overview and exits 2; with --help exits 0', async () => {
    const io = fakeIo();
    expect(await runCli([], io)).toBe(2);
    expect(io.stdout).toContain('Commands:');
    expect(await runCli(['--help'], fakeIo())).toBe(0);
  });

  it('an unknown command or option is a one-line usage error, exit 2', async () => {
    const io = fakeIo();
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(io.stderr).toBe('error: billing: unknown command "frobnicate"; commands: start, show, list, pause, resume, change-plan, stop, preview, refund, import, export, demo, api-keys\n');
    const io2 = fakeIo();
    expect(await runCli(['list', '--bogus'], io2)).toBe(2);
    expect(io2.stderr.trim().split('\n')).toHaveLength(1);
    expect(io2.stderr).toContain("Unknown option '--bogus'");
    const io3 = fakeIo();
    expect(await runCli(['show'], io3)).toBe(2);
    expect(io3.stderr).toContain('expected 1 argument, got 0');
  });

  it('preview needs no running service and prints local and UTC dates', async () => {
    const io = fakeIo();
    expect(await runCli(['preview', '--interval', 'month', '--anchor', '2025-01-31T09:00', '--zone', 'America/New_York', '--count', '3'], io)).toBe(0);
    expect(io.stdout).toContain('2025-02-28 09:00:00 America/New_York (14:00:00 UTC)');
    expect(io.stdout).toContain('2025-03-31 09:00:00 America/New_York (13:00:00 UTC)');
    const json = fakeIo();
    expect(await runCli(['preview', '--interval', 'month', '--anchor', '2025-01-31T09:00', '--count', '2', '--json'], json)).toBe(0);
    expect(JSON.parse(json.stdout).map((c: { dueAt: string }) => c.dueAt)).toEqual(['2025-01-31T09:00:00.000Z', '2025-02-28T09:00:00.000Z']);
  });

  it('preview refuses a sandbox-only interval when the credentials are live', async () => {
    const io = fakeIo({ AMAZON_PAY_PUBLIC_KEY_ID: 'LIVE-ABCDEFGHIJKLMNOPQRSTUVWX' });
    expect(await runCli(['preview', '--interval', 'minute'], io)).toBe(2);
    expect(io.stderr).toMatch(/^error: interval\.unit "minute" intervals are sandbox-only .*\n$/);
  });

  it('a configuration problem is one line and exit 2', async () => {
    const io = fakeIo({ TEMPORAL_ADDRESS: 'not an address' });
    expect(await runCli(['list'], io)).toBe(2);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stderr).toContain('TEMPORAL_ADDRESS');
  });

  it('demo refuses with live credentials', async () => {
    const io = fakeIo({ AMAZON_PAY_PUBLIC_KEY_ID: 'LIVE-ABCDEFGHIJKLMNOPQRSTUVWX' });
    expect(await runCli(['demo'], io)).toBe(2);
    expect(io.stderr).toMatch(/demo runs only against the sandbox simulator/);
  });
});
