// `billing events <action>`: the event log (docs/events.md). Each action is an entry of
// EVENT_ACTIONS with its own options and help, so more (redeliver, listen) are added beside `list`.
import { intOption, JSON_OPTION_HELP, str, type Command, type CommandContext, type OptionSpec } from '../cli/command.js';
import { UsageError } from '../cli/errors.js';
import { table, toJson } from '../cli/format.js';
import { collectProblems } from '../cli/problems.js';
import { checkEventsQuery, DEFAULT_EVENT_PAGE, MAX_EVENT_PAGE, type EventView, type ListEventsInput } from '../events.js';
import { EVENT_TYPES, splitEventTypes } from '../../billing/event-types.js';
import { listenAction, redeliverAction } from './events-delivery.js';

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

/** One action of `billing events`: its options (beside --json and --help), its usage lines and help, and what it does. */
export interface EventAction {
  name: string;
  options: OptionSpec;
  usage: string;
  /** What it does (paragraphs). */
  help: string;
  /** Its lines of the Options section. */
  optionsHelp: string;
  run(ctx: CommandContext, values: Values, args: string[]): Promise<number>;
}

const listAction: EventAction = {
  name: 'list',
  options: { after: { type: 'string' }, subscription: { type: 'string' }, type: { type: 'string' }, limit: { type: 'string' } },
  usage: 'billing events list [--after <cursor>] [--subscription <id>] [--type <type>[,<type>…]] [--limit n] [--json]',
  help: `list: events after a cursor, oldest first (the order a cursor reads them in). The last line
names the --after cursor to continue with; it is printed even when nothing is new, so a script
can poll with it. A cursor never skips an event that commits late (docs/events.md).`,
  optionsHelp: `  --after <cursor>             list: continue after the page that printed it (default: the first event)
  --subscription <id>          list: only this subscription's events
  --type <type>[,<type>…]      list: only these types: ${EVENT_TYPES.join(', ')}
  --limit <n>                  list: page size, 1-${MAX_EVENT_PAGE} (default ${DEFAULT_EVENT_PAGE})`,
  async run(ctx, values, args) {
    if (args.length > 0) throw new UsageError(`billing events list: takes no argument, got ${JSON.stringify(args[0])}`);
    const c = collectProblems();
    const limit = c.attempt(() => intOption(values, 'limit', 1, MAX_EVENT_PAGE));
    const type = str(values, 'type');
    const input: ListEventsInput = {
      ...(str(values, 'after') === undefined ? {} : { after: str(values, 'after') }),
      ...(str(values, 'subscription') === undefined ? {} : { subscriptionId: str(values, 'subscription') }),
      ...(type === undefined ? {} : { types: splitEventTypes(type) }),
      ...(limit === undefined ? {} : { limit }),
    };
    // Checked before connecting: bad options are named without a database.
    c.attemptRest(() => checkEventsQuery(input));
    c.throwIfAny();
    const { client } = await ctx.connect();
    const page = await client.listEvents(input);
    if (ctx.json) {
      ctx.io.out(toJson(page));
      return 0;
    }
    if (page.data.length === 0) ctx.io.out('No events after this cursor.\n');
    else ctx.io.out(table(['occurred at', 'type', 'subscription', 'seq', 'id', 'summary'], page.data.map(eventRow)));
    ctx.io.out(`Next: billing events list --after ${page.next_cursor}\n`);
    return 0;
  },
};

/** The actions of `billing events`, in the order --help lists them. */
export const EVENT_ACTIONS: readonly EventAction[] = [listAction, redeliverAction, listenAction];

/** A one-line summary of an event's data for the table: its money, reason or status. */
function eventRow(event: EventView): string[] {
  const d = event.data;
  const parts = [
    typeof d.amount === 'string' && typeof d.currency === 'string' ? `${d.amount} ${d.currency}` : null,
    typeof d.cycle === 'number' ? `cycle ${d.cycle}` : null,
    typeof d.reason_code === 'string' ? d.reason_code : typeof d.reason === 'string' ? d.reason : null,
    typeof d.next_retry_at === 'string' ? `retry ${d.next_retry_at}` : null,
  ].filter((p): p is string => p !== null);
  return [event.occurred_at, event.type, event.subscription_id, String(event.sequence), event.id, parts.join(', ')];
}

export const eventsCommand: Command = {
  name: 'events',
  summary: 'the event log (docs/events.md): list it, redeliver events to webhook endpoints, listen as they happen',
  positionals: [1, 8],
  actions: EVENT_ACTIONS.map((a) => a.name),
  options: Object.assign({}, ...EVENT_ACTIONS.map((a) => a.options)) as OptionSpec,
  help: `Usage: ${EVENT_ACTIONS.map((a) => a.usage).join('\n       ')}

${EVENT_ACTIONS.map((a) => a.help).join('\n\n')}

Options:
${EVENT_ACTIONS.map((a) => a.optionsHelp).join('\n')}
${JSON_OPTION_HELP}

Examples:
  billing events list --subscription sub_123
  billing events list --type charge.failed,subscription.past_due --limit 20
  billing events list --after <cursor printed by the previous run> --json
  billing events redeliver evt_0f8a2c4e6b8d0f1a3c5e7a9b1d3f5a7c
  billing events redeliver --since 6h --endpoint we_0123456789abcdef01234567
  billing events listen --forward-to http://localhost:3000/hooks
`,
  async run(ctx, values, [name, ...args]) {
    const action = EVENT_ACTIONS.find((a) => a.name === name);
    if (!action) throw new UsageError(`billing events: unknown action ${JSON.stringify(name)}; use ${EVENT_ACTIONS.map((a) => a.name).join(', ')}`);
    const foreign = Object.keys(values).filter((key) => values[key] !== undefined && key !== 'json' && key !== 'help' && !Object.hasOwn(action.options, key));
    if (foreign.length > 0)
      throw new UsageError(
        `billing events ${action.name}: ${foreign.map((k) => `--${k}`).join(', ')} belongs to another action (see \`billing events --help\`)`,
      );
    return action.run(ctx, values, args);
  },
};
