import { intOption, str, type Command } from '../cli/command.js';
import { showInstant, showInterval, showMoney, table, toJson } from '../cli/format.js';

export const listCommand: Command = {
  name: 'list',
  summary: 'subscriptions, filtered by status, Charge Permission or due date; paginated',
  positionals: [0, 0],
  options: {
    status: { type: 'string' },
    'charge-permission': { type: 'string' },
    'due-before': { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  help: `Usage: billing list [--status <status>] [--charge-permission <id>] [--due-before <ISO instant>] [--limit n] [--cursor c] [--json]

Lists subscriptions in id order, 50 per page by default. When there are more, the last line names
the --cursor for the next page (in --json: nextCursor).

Statuses: active, trialing, paused, past_due, payment_method_required, unpaid, needs_attention, canceled, ended

Examples:
  billing list --status past_due
  billing list --due-before 2026-01-01T00:00:00Z --limit 100
  billing list --charge-permission S01-1234567-1234567 --json
`,
  async run(ctx, values) {
    const { client } = await ctx.connect();
    const limit = intOption(values, 'limit', 1, 500);
    const filter = {
      ...(str(values, 'status') === undefined ? {} : { status: str(values, 'status') }),
      ...(str(values, 'charge-permission') === undefined ? {} : { chargePermissionId: str(values, 'charge-permission') }),
      ...(str(values, 'due-before') === undefined ? {} : { dueBefore: str(values, 'due-before') }),
      ...(limit === undefined ? {} : { limit }),
      ...(str(values, 'cursor') === undefined ? {} : { cursor: str(values, 'cursor') }),
    };
    const page = await client.listSubscriptions(filter);
    if (ctx.json) {
      ctx.io.out(toJson(page));
      return 0;
    }
    if (page.items.length === 0) {
      ctx.io.out('No subscriptions match.\n');
      return 0;
    }
    ctx.io.out(
      table(
        ['id', 'status', 'plan', 'charge permission', 'cycle', 'next billing'],
        page.items.map((s) => [
          s.id,
          s.status,
          `${showMoney(s.plan.amountMinor, s.plan.currency)} ${showInterval(s.plan.interval)}`,
          s.chargePermissionId,
          String(s.currentCycle),
          showInstant(s.nextBillingAt, s.anchor.zone),
        ]),
      ),
    );
    if (page.nextCursor) ctx.io.out(`More: billing list --cursor ${page.nextCursor}${limit ? ` --limit ${limit}` : ''}\n`);
    return 0;
  },
};
