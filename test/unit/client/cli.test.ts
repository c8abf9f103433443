import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../../client/cli.js';
import { fakeIo as fakeIoWith } from './support/fake-io.js';

const fakeIo = (env: NodeJS.ProcessEnv = {}): ReturnType<typeof fakeIoWith> => fakeIoWith({ env });

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
    expect(io.stderr).toBe(
      'error: billing: unknown command "frobnicate"; commands: start, show, list, pause, resume, change-plan, stop, preview, refund, repair, import, export, demo, api-keys, webhooks, events\n',
    );
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
    expect(io.stderr).toMatch(/^error: --interval "minute" intervals are sandbox-only .*\n$/);
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

describe('billing start names every bad option in one run', () => {
  it('with no options: every required option, one line, exit 2, before connecting to anything', async () => {
    const io = fakeIo();
    expect(await runCli(['start'], io)).toBe(2);
    expect(io.stderr).toBe(
      'error: --id is required (e.g. --id sub-1001); --charge-permission is required (e.g. --charge-permission S01-1234567-1234567); ' +
        '--currency is required (e.g. --currency USD); --amount is required (e.g. --amount 14.00 for 14.00 USD); --interval is required (e.g. --interval month)\n',
    );
  });

  it('bad values and missing options together, including the plan rules of the parts that parsed', async () => {
    const io = fakeIo();
    const args = [
      'start',
      '--id',
      'bad id!',
      '--charge-permission',
      'S01-123',
      '--currency',
      'jpy',
      '--amount',
      '14.00',
      '--interval',
      'fortnight',
      '--zone',
      'Mars/Olympus',
      '--end-after-cycles',
      'ten',
    ];
    expect(await runCli(args, io)).toBe(2);
    const problems = io.stderr
      .replace(/^error: /, '')
      .trim()
      .split('; ');
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['--amount', '--interval', '--end-after-cycles', '--id', '--charge-permission', '--zone']);
    expect(problems[0]).toBe(
      '--amount must be a positive amount in JPY such as "1400" (no sign, no thousands separators, at most the currency\'s decimals), got "14.00"',
    );
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an unknown currency is named once, and the amount is not judged in it', async () => {
    const io = fakeIo();
    expect(
      await runCli(
        ['start', '--id', 'sub-1', '--charge-permission', 'S01-1234567-1234567', '--currency', 'XYZ', '--amount', '14.00', '--interval', 'month'],
        io,
      ),
    ).toBe(2);
    expect(io.stderr).toMatch(/^error: --currency must be one of USD, .*got "XYZ"\n$/);
  });
});
