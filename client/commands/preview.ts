import { intOption, JSON_OPTION_HELP, str, type Command } from '../cli/command.js';
import { showInstant, table, toJson } from '../cli/format.js';
import { parseIntervalText } from '../cli/values.js';
import { amazonPayTarget } from '../connect.js';
import { collectProblems } from '../cli/problems.js';
import { MAX_PREVIEW, previewSchedule } from '../subscriptions/preview.js';
import { anchorAt } from '../subscriptions/start.js';

/** The highest --from-cycle accepted. */
const MAX_FROM_CYCLE = 1_000_000;

export const previewCommand: Command = {
  name: 'preview',
  summary: 'the next billing dates of a plan (the schedule the daemon bills by)',
  positionals: [0, 0],
  options: {
    interval: { type: 'string' },
    anchor: { type: 'string' },
    zone: { type: 'string' },
    trial: { type: 'string' },
    count: { type: 'string' },
    'from-cycle': { type: 'string' },
  },
  help: `Usage: billing preview --interval <interval> [--anchor <YYYY-MM-DDTHH:mm>] [--zone <IANA zone>] [--trial <interval>] [--count n] [--from-cycle n] [--json]

Needs no running services: the dates come from billing/schedule.ts, the function the workflow
uses. Month ends are clamped (Jan 31 → Feb 28 → Mar 31), DST gaps move forward.

Options:
  --interval <interval>        required: "month", "2 weeks", "year"; "minute"/"second"/"hour" in the sandbox only
  --anchor <YYYY-MM-DDTHH:mm>  first billing date as wall time in --zone (default: now)
  --zone <IANA zone>           the buyer's time zone (default: UTC)
  --trial <interval>           free trial before the first charge
  --count <n>                  how many dates, 1-${MAX_PREVIEW} (default 12)
  --from-cycle <n>             first cycle shown, 0-${MAX_FROM_CYCLE} (default 0), and no later than the
                               plan's dates reach: they end in the year 275760, so a yearly plan's
                               last cycle is near 273000, a 10-yearly one's near 27300 (the error
                               names the exact limit of the plan)
${JSON_OPTION_HELP}

Every bad option is named in one run.

Examples:
  billing preview --interval month --anchor 2025-01-31T09:00 --zone America/New_York --count 4
  billing preview --interval "2 weeks" --trial "1 month" --count 6
`,
  // No ctx.connect(): nothing here reads a settings file, a database or a key. Only the Amazon Pay
  // environment matters (sandbox-only intervals), and it is read from AMAZON_PAY_* alone.
  async run(ctx, values) {
    const { environment } = amazonPayTarget(ctx.io.env);
    const c = collectProblems();
    const zone = str(values, 'zone') ?? 'UTC';
    const intervalText = str(values, 'interval');
    if (intervalText === undefined) c.add('interval', 'is required (e.g. --interval month)');
    const interval = intervalText === undefined ? undefined : c.attempt(() => parseIntervalText(intervalText));
    const trialText = str(values, 'trial');
    const trial = trialText === undefined ? undefined : c.attempt(() => parseIntervalText(trialText, 'trial'));
    const anchorText = str(values, 'anchor');
    const anchor = anchorText === undefined ? c.attempt(() => anchorAt(new Date(), zone)) : { localDateTime: anchorText, zone };
    const count = c.attempt(() => intOption(values, 'count', 1, MAX_PREVIEW));
    const fromCycle = c.attempt(() => intOption(values, 'from-cycle', 0, MAX_FROM_CYCLE));
    // The schedule's own checks (anchor, zone, sandbox-only units) over what parsed; stand-ins for the rest.
    const cycles = c.attemptRest(() =>
      previewSchedule(environment, {
        anchor: anchor ?? { localDateTime: '2000-01-01T00:00', zone },
        interval: interval ?? { unit: 'month', count: 1 },
        ...(trial === undefined ? {} : { trial }),
        count: count ?? 12,
        fromCycle: fromCycle ?? 0,
      }),
    );
    c.throwIfAny();
    ctx.io.out(
      ctx.json
        ? toJson(cycles)
        : table(
            ['cycle', 'due (local and UTC)'],
            (cycles ?? []).map((x) => [String(x.cycle), showInstant(x.dueAt, x.zone)]),
          ),
    );
    return 0;
  },
};
