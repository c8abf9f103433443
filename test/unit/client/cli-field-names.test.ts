// Every error the CLI prints names what the person typed: an option of the command (--from-cycle,
// --soft-descriptor, --reference), an argument of its usage line, or for `billing import` a CSV
// column; never a field of the library (fromCycle, softDescriptor, merchantMetadata.merchantReferenceId).
// Each command's table (client/cli/field-names.ts) is checked against every field the library
// refuses it on (test/support/library-refusals.ts) and against what its --help shows.
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../../client/cli.js';
import { COMMON_OPTIONS, type Command } from '../../../client/cli/command.js';
import { describeError } from '../../../client/cli/errors.js';
import { CLI_FIELD_NAMES, cliFieldName } from '../../../client/cli/field-names.js';
import { IMPORT_COLUMNS } from '../../../client/cli/import-rows.js';
import type { Problem } from '../../../billing/types.js';
import { ConflictError, InvalidInputError, type TermDifference } from '../../../client/errors.js';
import * as refusals from '../../support/library-refusals.js';
import { fakeIo } from './support/fake-io.js';

const byId = refusals.subscriptionIdRefusals();
const reason = refusals.reasonRefusals();
const start = refusals.startRefusals({ merchantReferenceId: '' });

/** Library fields each command can be refused on. */
const LIBRARY_FIELDS: Record<string, Array<Problem | TermDifference>> = {
  start: [...start, ...refusals.completeCheckoutRefusals()],
  import: start,
  preview: refusals.previewRefusals(),
  list: refusals.listRefusals(),
  show: byId,
  pause: [...byId, ...reason],
  resume: [...byId, ...reason],
  stop: [...byId, ...reason],
  'change-plan': [...byId, ...refusals.planChangeRefusals(), { field: 'change', message: 'needs --amount (or --amount-minor), --interval, or both' }],
  refund: refusals.refundRefusals(),
  repair: byId,
  'api-keys': [
    { field: 'name', message: 'client/api-keys.ts' },
    { field: 'id', message: 'client/api-keys.ts' },
  ],
  webhooks: [
    ...refusals.webhookEndpointRefusals(),
    ...refusals.webhookEndpointIdRefusals(),
    { field: 'grace', message: 'rotateWebhookSecret' },
    { field: 'limit', message: 'listWebhookAttempts' },
  ],
  events: [
    ...refusals.eventsQueryRefusals(),
    { field: 'eventId', message: 'redeliverEvent' },
    { field: 'endpoint', message: 'redeliverEvent' },
    { field: 'since', message: 'redeliverSince' },
    { field: 'forwardTo', message: 'billing events listen' },
    { field: 'eventTypes', message: 'billing events listen' },
  ],
};

const commandNamed = (name: string): Command => COMMANDS.find((c) => c.name === name)!;

/** Whether `shown` is something a person types for `command`: its option, an argument of its usage, its column. */
function typedFor(command: Command, shown: string): boolean {
  if (command.name === 'import') return (IMPORT_COLUMNS as readonly string[]).includes(shown.replace(/^the count of /, ''));
  const option = /^(?:the count of )?--([\w-]+)$/.exec(shown)?.[1];
  if (option !== undefined) return Object.hasOwn({ ...COMMON_OPTIONS, ...command.options }, option);
  if (/^<[^>]+>$/.test(shown)) return command.help.split('\n\n')[0]!.includes(shown);
  return shown === `billing ${command.name}`;
}

describe('client/cli/field-names.ts: every field in an error is named as typed', () => {
  it('has a table for every command that calls the library, and the test knows what each is refused on', () => {
    expect(Object.keys(CLI_FIELD_NAMES).sort()).toEqual(Object.keys(LIBRARY_FIELDS).sort());
    for (const name of Object.keys(CLI_FIELD_NAMES)) expect(COMMANDS.map((c) => c.name)).toContain(name);
  });

  it.each(Object.entries(LIBRARY_FIELDS))('%s: each library field is shown as an option, argument or column', (name, found) => {
    const command = commandNamed(name);
    for (const { field } of found) expect(typedFor(command, cliFieldName(command, field)), `${field} → ${cliFieldName(command, field)}`).toBe(true);
  });

  it('every target of each table is something its command takes', () => {
    for (const [name, names] of Object.entries(CLI_FIELD_NAMES))
      for (const shown of Object.values(names)) expect(typedFor(commandNamed(name), shown), `${name}: ${shown}`).toBe(true);
  });

  it('describeError renders invalid input and conflicting terms under the command names', () => {
    const start = commandNamed('start');
    const invalid = new InvalidInputError([
      { field: 'softDescriptor', message: 'must be at most 16 bytes' },
      { field: 'merchantMetadata.merchantReferenceId', message: 'is empty' },
      { field: 'plan.interval.count', message: 'must be 1-1000' },
    ]);
    expect(describeError(invalid, start)).toBe('--soft-descriptor must be at most 16 bytes; --reference is empty; the count of --interval must be 1-1000');
    expect(describeError(invalid, commandNamed('import'))).toBe(
      'soft_descriptor must be at most 16 bytes; reference is empty; the count of interval must be 1-1000',
    );
    const conflict = new ConflictError('Subscription s already exists with different terms', [
      { field: 'plan.amountMinor', stored: '14.00 USD', requested: '15.00 USD' },
      { field: 'chargePermissionId', stored: 'S01-1', requested: 'S01-2' },
    ]);
    expect(describeError(conflict, start)).toBe(
      'Subscription s already exists with different terms: --amount 14.00 USD ≠ 15.00 USD; --charge-permission S01-1 ≠ S01-2',
    );
  });
});

describe('billing start checks everything it can offline: one line, exit 2, nothing connected to', () => {
  // fakeIo points PostgreSQL, Temporal and Amazon Pay at port 1: a connection attempt would fail with exit 1.
  const required = { '--id': 'sub-1', '--charge-permission': 'S01-1234567-1234567', '--amount': '14.00', '--currency': 'USD', '--interval': 'month' };

  it.each([
    [['--soft-descriptor', 'x'.repeat(17)], /^--soft-descriptor must be at most 16 bytes/],
    [['--reference', 'x'.repeat(257)], /^--reference must be at most 256 characters/],
    [['--first-charge', 'C1'], /^--first-charge must look like/],
    [['--end-at', '2001-01-01T00:00:00Z'], /^--end-at must be after the subscription start/],
    [['--end-after-cycles', '0'], /^--end-after-cycles must be a whole number of cycles from 1/],
    [['--interval', '5000 months'], /^the count of --interval must be a whole number from 1 to 1000/],
    [['--trial', '5000 days'], /^the count of --trial must be a whole number from 1 to 1000/],
    [['--amount-minor', '1400'], /^--amount is not taken together with --amount-minor/],
    [['--anchor', '2020-01-31T09:00'], /^--anchor 2020-01-31T09:00 UTC puts \d+ cycles in the past.*accepted: an anchor at most one cycle in the past/],
  ])('%j', async (extra, message) => {
    const io = fakeIo();
    // The extra options replace the required ones of the same name (a repeat would be refused as such).
    const options: Record<string, string> = { ...required, ...Object.fromEntries(extra.map((v, i) => [v, extra[i + 1]]).filter((_, i) => i % 2 === 0)) };
    expect(await runCli(['start', ...Object.entries(options).flat()], io), io.stderr).toBe(2);
    expect(io.stderr.trim().split('\n')).toHaveLength(1);
    expect(io.stderr.replace(/^error: /, '')).toMatch(message);
  });
});

describe('an option given twice is refused, naming it (never silently the last)', () => {
  it.each(
    COMMANDS.flatMap((c) =>
      Object.entries({ ...COMMON_OPTIONS, ...c.options })
        .filter(([o]) => o !== 'help')
        .map(([option, spec]) => [c.name, option, spec.type] as const),
    ),
  )('%s --%s', async (name, option, type) => {
    const io = fakeIo();
    const twice = type === 'string' ? [`--${option}`, '1', `--${option}`, '2'] : [`--${option}`, `--${option}`];
    expect(await runCli([name, ...twice], io)).toBe(2);
    expect(io.stderr).toBe(
      `error: billing ${name}: --${option} is given 2 times${type === 'string' ? ' ("1", "2")' : ''}; give it once (see \`billing ${name} --help\`)\n`,
    );
  });
});

describe('--help lists every option in an Options section', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s', async (name, command) => {
    const io = fakeIo();
    await runCli([name, '--help'], io);
    const options = io.stdout.split(/\nOptions:\n/)[1]?.split('\n\n')[0];
    expect(options, 'an Options section').toBeDefined();
    const listed = [...options!.matchAll(/^ {2}(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1]);
    const usage = [...io.stdout.split('\n\n')[0]!.matchAll(/--([\w-]+)/g)].map((m) => m[1]);
    for (const option of new Set([...Object.keys(command.options), 'json', ...usage])) expect(listed, `--${option}`).toContain(option);
  });

  it('start says an anchor may be at most one cycle in the past, and preview states the real limit of --from-cycle', async () => {
    const help = async (name: string) => {
      const io = fakeIo();
      await runCli([name, '--help'], io);
      return io.stdout.replace(/\s+/g, ' ');
    };
    expect(await help('start')).toMatch(/--anchor .* at most one cycle in the past/);
    expect(await help('preview')).toMatch(/--from-cycle .*a yearly plan's last cycle is near 273000/);
  });
});
