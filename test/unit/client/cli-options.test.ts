// What each command's --help promises matches what it accepts and requires, and every command
// that takes several validated options names all bad ones in one run (like start and change-plan),
// before it connects to anything (the fake environment points at no database or Temporal).
import { describe, expect, it } from 'vitest';
import { EMPTY_EVENT_TYPE_ITEM } from '../../../billing/event-types.js';
import { COMMANDS, runCli } from '../../../client/cli.js';
import { REQUIRED_COLUMNS } from '../../../client/cli/import-rows.js';
import { redeliveryLine } from '../../../client/commands/events-delivery.js';
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

describe('billing events, webhooks and api-keys: each combination of arguments gets the message that fits it, before connecting', () => {
  const EVENT = 'evt_0f8a2c4e6b8d0f1a3c5e7a9b1d3f5a7c';
  const ENDPOINT = 'we_0123456789abcdef01234567';
  const SINCE = '--since must be a time in the past with its offset such as 2026-11-30T04:00:00Z, or a duration ago above zero such as 2h or 3d, got';
  const cases: Array<[string[], string]> = [
    [['events'], 'billing events: needs an action: list, redeliver or listen (see `billing events --help`)'],
    [['events', 'frobnicate'], 'billing events: unknown action "frobnicate"; use list, redeliver or listen'],
    [['webhooks'], 'billing webhooks: needs an action: add, list, disable, enable, rotate-secret or deliveries (see `billing webhooks --help`)'],
    [['api-keys'], 'billing api-keys: needs an action: create, list or revoke (see `billing api-keys --help`)'],
    // It connected first, so a typo needed a database to be told apart.
    [['api-keys', 'frobnicate'], 'billing api-keys: unknown action "frobnicate"; use create, list or revoke'],
    [['events', 'redeliver'], 'billing events redeliver: needs an event id (evt_…) or --since <time>, e.g. --since 6h (see `billing events --help`)'],
    [
      ['events', 'redeliver', '--endpoint', ENDPOINT],
      'billing events redeliver: needs an event id (evt_…) or --since <time>, e.g. --since 6h (see `billing events --help`)',
    ],
    [['events', 'redeliver', EVENT, '--since', '1h'], 'billing events redeliver: give an event id or --since <time>, not both (see `billing events --help`)'],
    [['events', 'redeliver', EVENT, 'evt_other'], 'billing events redeliver: takes one event id, got 2 arguments'],
    [['events', 'redeliver', '--since', '0s'], `${SINCE} "0s", which is now`],
    [['events', 'redeliver', '--since', '0.0001s'], `${SINCE} "0.0001s", which is now`],
    [['events', 'redeliver', '--since', '2999-01-01T00:00:00Z'], `${SINCE} "2999-01-01T00:00:00Z", which is not in the past`],
    [['events', 'redeliver', '--since', 'yesterday'], `${SINCE} "yesterday"`],
    [
      ['events', 'redeliver', 'evt_nope', '--endpoint', 'we_nope'],
      '<event id> must be an event id (evt_ and 32 hex digits, as `billing events list` shows them), got "evt_nope"; --endpoint must be a webhook endpoint id as `billing webhooks list` shows it (we_ and 24 hex digits), got "we_nope"',
    ],
    [
      ['events', 'redeliver', '--since', '1h', '--type', 'charge.failed'],
      'billing events redeliver: --type belongs to another action (see `billing events --help`)',
    ],
    [['events', 'list', 'extra'], 'billing events list: takes no argument, got "extra"'],
    [['events', 'list', '--since', '1h'], 'billing events list: --since belongs to another action (see `billing events --help`)'],
    [['events', 'listen', 'extra'], 'billing events listen: takes no argument, only --forward-to and --events'],
    // An empty item in a list of event types: one message wherever the list is typed (never read as "every type").
    [['events', 'list', '--type', 'charge.succeeded,'], `--type ${EMPTY_EVENT_TYPE_ITEM}`],
    [['events', 'list', '--type', ''], `--type ${EMPTY_EVENT_TYPE_ITEM}`],
    [['events', 'listen', '--events', ',charge.failed'], `--events ${EMPTY_EVENT_TYPE_ITEM}`],
    [['webhooks', 'add', 'https://shop.example.com/hooks', '--events', 'charge.succeeded,,charge.failed'], `--events ${EMPTY_EVENT_TYPE_ITEM}`],
    [
      ['webhooks', 'disable', 'we_nope'],
      '<endpoint id> must be a webhook endpoint id as `billing webhooks list` shows it (we_ and 24 hex digits), got "we_nope"',
    ],
  ];
  it.each(cases)('billing %j', async (argv, message) => {
    const io = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.stderr).toBe(`error: ${message}\n`);
  });
});

describe('billing events redeliver: the line says what was scheduled, or why nothing was', () => {
  const since = new Date('2026-11-30T04:00:00Z');
  it.each([
    [{ events: 3, scheduled: 4 }, since, undefined, /^Scheduled 4 deliveries of 3 events \(same webhook-id as before\)/],
    [{ events: 1, scheduled: 1 }, undefined, undefined, /^Scheduled 1 delivery of 1 event /],
    // Before, every empty result said "no enabled endpoint takes these events", also when no event had happened.
    [{ events: 0, scheduled: 0 }, since, undefined, /^Nothing to redeliver: no event happened at or after 2026-11-30T04:00:00\.000Z\.\n$/],
    [
      { events: 2, scheduled: 0 },
      since,
      undefined,
      /^Nothing to redeliver: no enabled endpoint takes the 2 events since 2026-11-30T04:00:00\.000Z \(by event type/,
    ],
    [
      { events: 1, scheduled: 0 },
      undefined,
      'we_0123456789abcdef01234567',
      /^Nothing to redeliver: endpoint we_0123456789abcdef01234567 does not take this event /,
    ],
  ] as const)('%j since %s to %s', (result, from, endpoint, expected) => {
    expect(redeliveryLine(result, from, endpoint)).toMatch(expected);
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

  it('a negative number is the value, so the option answers with its range (import --max-backlog, forecast --days, list --limit)', async () => {
    for (const [argv, message] of [
      [['import', 'rows.csv', '--max-backlog', '-1'], '--max-backlog must be a whole number from 0 to'],
      [['forecast', '--days', '-2'], '--days must be a whole number from 1 to 31, got "-2"'],
      [['list', '--limit', '-5'], '--limit must be a whole number from 1 to'],
      [['replay', '--limit', '-1.5'], '--limit must be a whole number from 1 to 100000, got "-1.5"'],
    ] as const) {
      const io = fakeIo();
      expect(await runCli([...argv], io)).toBe(2);
      expect(io.stderr).toContain(message);
      expect(io.stderr).not.toContain('joined with');
      expect(io.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
