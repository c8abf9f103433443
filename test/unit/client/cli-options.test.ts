// What each command's --help promises matches what it accepts and requires, and every command
// that takes several validated options names all bad ones in one run (like start and change-plan),
// before it connects to anything (the fake environment points at no database or Temporal).
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../../client/cli.js';
import { REQUIRED_COLUMNS } from '../../../client/cli/import-rows.js';
import { fakeIo } from './support/fake-io.js';

const helpOf = async (name: string): Promise<string> => {
  const io = fakeIo();
  await runCli([name, '--help'], io);
  return io.stdout;
};

/** The problems of a one-line error, split at "; ". */
const problemsOf = (stderr: string): string[] => {
  expect(stderr.trim().split('\n')).toHaveLength(1);
  return stderr
    .replace(/^error: /, '')
    .trim()
    .split('; ');
};

describe('--help says what each command accepts and requires', () => {
  it.each(COMMANDS.map((c) => [c.name, c]))('%s --help names every option it accepts', async (name, command) => {
    const help = await helpOf(name);
    for (const option of Object.keys(command.options)) expect(help, `--${option}`).toContain(`--${option}`);
  });

  it('import --help names every required column as required, the anchor included', async () => {
    const help = await helpOf('import');
    const requiredLine = help.split('\n').find((line) => line.trim().startsWith('required'));
    expect(requiredLine).toBeDefined();
    for (const column of [...REQUIRED_COLUMNS, 'amount or amount_minor']) expect(requiredLine).toContain(column);
    expect(REQUIRED_COLUMNS).toContain('anchor');
  });

  it.each([
    ['preview', 'count', ['--interval', 'month']],
    ['preview', 'from-cycle', ['--interval', 'month']],
    ['list', 'limit', []],
    ['import', 'concurrency', ['missing.csv']],
    ['demo', 'cycles', []],
    ['demo', 'wait-minutes', []],
  ])('%s --help states the range of --%s that the command enforces', async (name, option, args) => {
    const io = fakeIo();
    expect(await runCli([name, ...args, `--${option}`, 'many'], io)).toBe(2);
    const range = /must be a whole number from (\d+) to (\d+)/.exec(problemsOf(io.stderr).find((p) => p.startsWith(`--${option} `)) ?? '');
    expect(range).not.toBeNull();
    expect(await helpOf(name)).toContain(`${range![1]}-${range![2]}`);
  });
});

describe('every bad option named in one run, before connecting', () => {
  it('preview: a missing interval, a bad trial, zone, count and from-cycle', async () => {
    const io = fakeIo();
    expect(await runCli(['preview', '--trial', 'fortnight', '--zone', 'Mars/Olympus', '--count', '0', '--from-cycle', 'x'], io)).toBe(2);
    expect(problemsOf(io.stderr).map((p) => p.split(' ')[0])).toEqual(['--interval', '--trial', '--zone', '--count', '--from-cycle']);
  });

  it('preview: a bad interval together with the schedule rules of what parsed (a bad anchor), each once', async () => {
    const io = fakeIo();
    expect(await runCli(['preview', '--interval', 'fortnight', '--anchor', '2025-02-30T09:00', '--zone', 'Mars/Olympus'], io)).toBe(2);
    const fields = problemsOf(io.stderr).map((p) => p.split(' ')[0]);
    expect(fields[0]).toBe('--interval');
    expect(fields).toContain('--zone');
    expect(new Set(fields).size).toBe(fields.length);
  });

  it('list: status, Charge Permission, due date, limit and cursor', async () => {
    const io = fakeIo();
    const args = ['list', '--status', 'late', '--charge-permission', 'S01-1', '--due-before', 'tomorrow', '--limit', '0', '--cursor', 'nope'];
    expect(await runCli(args, io)).toBe(2);
    expect(problemsOf(io.stderr).map((p) => p.split(' ')[0])).toEqual(['--limit', '--status', '--charge-permission', '--due-before', '--cursor']);
  });

  it('export: what to export, the format and an output that cannot be written', async () => {
    const io = fakeIo();
    expect(await runCli(['export', 'customers', '--format', 'xml', '--output', '/nonexistent-dir/out.csv'], io)).toBe(2);
    expect(problemsOf(io.stderr)).toEqual([
      'export must name "subscriptions" or "ledger", got "customers"',
      '--format must be csv or json, got "xml"',
      '--output /nonexistent-dir/out.csv cannot be written: its directory does not exist',
    ]);
  });

  it('import: a file that cannot be read and a bad concurrency', async () => {
    const io = fakeIo();
    expect(await runCli(['import', 'no-such-file.csv', '--concurrency', '99'], io)).toBe(2);
    expect(problemsOf(io.stderr).map((p) => p.split(' ')[0])).toEqual(['--concurrency', 'file']);
  });

  it('demo: both numbers, before any demo subscription is created', async () => {
    const io = fakeIo();
    expect(await runCli(['demo', '--cycles', '1', '--wait-minutes', '99'], io)).toBe(2);
    expect(problemsOf(io.stderr)).toEqual([
      '--cycles must be a whole number from 3 to 60, got "1"',
      '--wait-minutes must be a whole number from 1 to 30, got "99"',
    ]);
  });
});

describe('an option value that starts with "-"', () => {
  it('is explained with the way to pass it, not as an "ambiguous argument"', async () => {
    const io = fakeIo();
    await runCli(['pause', 'sub-1', '--reason', '-2+3 refund'], io);
    expect(io.stderr.trim()).toBe(
      'error: billing pause: the value of --reason starts with "-"; write it joined with "=", as --reason=<value> (see `billing pause --help`)',
    );
  });
});
