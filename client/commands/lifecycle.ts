import { JSON_OPTION_HELP, str, type Command, type CommandContext } from '../cli/command.js';
import { periodEndStopNote, showInstant, showInterval, showMoney, toJson } from '../cli/format.js';
import { amountMinorFrom, parseIntervalText } from '../cli/values.js';
import { collectProblems } from '../cli/problems.js';
import { InvalidInputError } from '../errors.js';
import type { SubscriptionState } from '../../workflows/types.js';
import { MAX_REASON_LENGTH, type StopResult } from '../subscriptions/lifecycle.js';
import { nextChargeAt, periodEndsAt } from '../subscriptions/live-dates.js';

function stateLine(state: SubscriptionState): string {
  const ends = periodEndsAt(state);
  const when = ends ? `ends ${showInstant(ends, 'UTC')}` : `next billing ${showInstant(nextChargeAt(state), 'UTC')}`;
  return `status ${state.status}${state.paused ? ' (paused)' : ''}${state.cancelAtPeriodEnd ? ', cancels at period end' : ''}; cycle ${state.cycle}; ${when}`;
}

function reasonOption(): Command['options'] {
  return { reason: { type: 'string' } };
}

/** The --reason line of each lifecycle command's help (client/subscriptions/lifecycle.ts checks the length). */
const REASON_HELP = `  --reason <text>              why (at most ${MAX_REASON_LENGTH} characters)`;

async function respond(ctx: CommandContext, value: unknown, text: string): Promise<number> {
  ctx.io.out(ctx.json ? toJson(value) : text);
  return 0;
}

export const pauseCommand: Command = {
  name: 'pause',
  summary: 'stop charging until resumed (the schedule keeps its anchor)',
  positionals: [1, 1],
  options: reasonOption(),
  help: `Usage: billing pause <subscription-id> [--reason <text>] [--json]

No charge is made while paused; cycles that come due meanwhile are not billed later.

Options:
${REASON_HELP}
${JSON_OPTION_HELP}

Example:
  billing pause sub-1001 --reason "buyer asked for a break"
`,
  async run(ctx, values, [id]) {
    const { client } = await ctx.connect();
    const state = await client.pause(id ?? '', { reason: str(values, 'reason') });
    return respond(ctx, state, `Paused ${id}: ${stateLine(state)}\n`);
  },
};

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'resume a paused subscription (or one marked unpaid)',
  positionals: [1, 1],
  options: reasonOption(),
  help: `Usage: billing resume <subscription-id> [--reason <text>] [--json]

Options:
${REASON_HELP}
${JSON_OPTION_HELP}

Example:
  billing resume sub-1001
`,
  async run(ctx, values, [id]) {
    const { client } = await ctx.connect();
    const state = await client.resume(id ?? '', { reason: str(values, 'reason') });
    return respond(ctx, state, `Resumed ${id}: ${stateLine(state)}\n`);
  },
};

/** What a stop "now" did without a running workflow (StopResult.finishedWithoutWorkflow), as the rest of the line. */
function withoutWorkflowNote(finished: StopResult['finishedWithoutWorkflow']): string {
  if (!finished) return '';
  const workflow = `Its workflow was ${finished.workflowState.toLowerCase().replace('_', ' ')}, so the stop was recorded`;
  if (finished.status === null) return ` ${workflow} (billing repair will not restart it), but it is not finished yet: ${finished.why}`;
  return ` ${workflow} and the subscription finished from the database: status ${finished.status} (${finished.reason}).`;
}

export const stopCommand: Command = {
  name: 'stop',
  summary: 'cancel a subscription now, or at the end of the paid period',
  positionals: [1, 1],
  options: { ...reasonOption(), 'at-period-end': { type: 'boolean' } },
  help: `Usage: billing stop <subscription-id> [--at-period-end] [--reason <text>] [--json]

Without --at-period-end billing stops at once: no further charge is made. With it, the period
already paid runs out and nothing is billed after it. A subscription whose workflow is not
running (failed, terminated) is stopped too: the stop is recorded and the subscription finished
from the database (status canceled with the reason), so billing repair never restarts it. A stop
at period end is recorded in the database before the workflow is told: no cycle after the last
paid one is charged even if the workflow never hears of it, and for a subscription whose workflow
is not running the answer says so — billing is not running, and billing repair finishes it
(canceled with the reason once the period has ended, or restarted until then).

Options:
  --at-period-end              stop when the paid period ends instead of now
${REASON_HELP}
${JSON_OPTION_HELP}

Examples:
  billing stop sub-1001 --reason "buyer cancelled in the account page"
  billing stop sub-1001 --at-period-end
`,
  async run(ctx, values, [id]) {
    const { client } = await ctx.connect();
    const atPeriodEnd = values['at-period-end'] === true;
    const result = await client.stopSubscription(id ?? '', { atPeriodEnd, reason: str(values, 'reason') });
    const text =
      result.mode === 'now' ? `Stopped ${id}: no further charges.${withoutWorkflowNote(result.finishedWithoutWorkflow)}\n` : periodEndText(id ?? '', result);
    return respond(ctx, result, text);
  },
};

/** The answer to a stop at period end: what was recorded, and the workflow's state or why billing is not running. */
function periodEndText(id: string, result: StopResult): string {
  const stop = result.periodEnd;
  const note = stop ? `${periodEndStopNote(stop, 'UTC')}. ` : '';
  if (result.state) return `${id} will stop at the end of the current period: ${note}${stateLine(result.state)}\n`;
  const state = stop?.workflowState.toLowerCase() ?? 'not running';
  return `${id} will stop at the end of the current period: ${note}Its workflow is not running (${state}), so billing is not running: run billing repair ${id}, which cancels it with this reason once the period has ended (nothing is charged), or restarts it until then.\n`;
}

export const changePlanCommand: Command = {
  name: 'change-plan',
  summary: 'new amount and/or interval from the next cycle on',
  positionals: [1, 1],
  options: { amount: { type: 'string' }, 'amount-minor': { type: 'string' }, interval: { type: 'string' } },
  help: `Usage: billing change-plan <subscription-id> [--amount <major> | --amount-minor <n>] [--interval <interval>] [--json]

The amount is in the subscription's currency; give an amount, an interval, or both. The change
applies from the next cycle that has not started billing; the answer names that cycle. A bad
amount and a bad interval are named together.

Options:
  --amount <decimal>           new price per cycle in the subscription's currency, e.g. 19.00
  --amount-minor <n>           the same in minor units (e.g. 1900); not with --amount
  --interval <interval>        "month", "2 weeks", "year" (count 1-1000); "minute"/"second"/"hour" in the sandbox only
${JSON_OPTION_HELP}

Examples:
  billing change-plan sub-1001 --amount 19.00
  billing change-plan sub-1001 --interval year --amount 150.00
`,
  async run(ctx, values, [id]) {
    const hasAmount = str(values, 'amount') !== undefined || str(values, 'amount-minor') !== undefined;
    const intervalText = str(values, 'interval');
    if (!hasAmount && intervalText === undefined) throw InvalidInputError.of('change', 'needs --amount (or --amount-minor), --interval, or both');
    // A bad amount and a bad interval are named together (the amount needs the subscription's currency).
    const c = collectProblems();
    const interval = intervalText === undefined ? undefined : c.attempt(() => parseIntervalText(intervalText));
    const { client } = await ctx.connect();
    const details = await client.getSubscription(id ?? '');
    const currency = details.subscription.plan.currency;
    const amountMinor = hasAmount
      ? c.attempt(() => amountMinorFrom({ amount: str(values, 'amount'), amountMinor: str(values, 'amount-minor'), currency }))
      : undefined;
    c.throwIfAny();
    const result = await client.changePlan(id ?? '', {
      ...(amountMinor === undefined ? {} : { amountMinor }),
      ...(interval === undefined ? {} : { interval }),
    });
    const zone = details.subscription.anchor.zone;
    const after = await client.getSubscription(id ?? '');
    return respond(
      ctx,
      result,
      `Plan of ${id} from cycle ${result.fromCycle}: ${showMoney(result.amountMinor, currency)} ${showInterval(result.interval)}; next billing ${showInstant(after.workflow.live ? nextChargeAt(after.workflow.live) : null, zone)}\n`,
    );
  },
};
