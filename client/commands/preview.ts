import { intOption, str, type Command } from '../cli/command.js';
import { showInstant, table, toJson } from '../cli/format.js';
import { parseIntervalText } from '../cli/values.js';
import { amazonPayTarget } from '../connect.js';
import { InvalidInputError } from '../errors.js';
import { previewSchedule } from '../subscriptions/preview.js';
import { anchorAt } from '../subscriptions/start.js';

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
  help: `Usage: billing preview --interval <interval> [--anchor <YYYY-MM-DDTHH:mm>] [--zone <IANA zone>] [--trial <interval>] [--count n] [--json]

Needs no running services: the dates come from billing/schedule.ts, the function the workflow
uses. Month ends are clamped (Jan 31 → Feb 28 → Mar 31), DST gaps move forward.

Examples:
  billing preview --interval month --anchor 2025-01-31T09:00 --zone America/New_York --count 4
  billing preview --interval "2 weeks" --trial "1 month" --count 6
`,
  // No ctx.connect(): nothing here reads a settings file, a database or a key. Only the Amazon Pay
  // environment matters (sandbox-only intervals), and it is read from AMAZON_PAY_* alone.
  async run(ctx, values) {
    const { environment } = amazonPayTarget(ctx.io.env);
    const zone = str(values, 'zone') ?? 'UTC';
    const interval = str(values, 'interval');
    if (interval === undefined) throw InvalidInputError.of('interval', 'is required (e.g. --interval month)');
    const trial = str(values, 'trial');
    const anchorText = str(values, 'anchor');
    const cycles = previewSchedule(environment, {
      anchor: anchorText === undefined ? anchorAt(new Date(), zone) : { localDateTime: anchorText, zone },
      interval: parseIntervalText(interval),
      ...(trial === undefined ? {} : { trial: parseIntervalText(trial, 'trial') }),
      count: intOption(values, 'count', 1, 100) ?? 12,
      fromCycle: intOption(values, 'from-cycle', 0, 1_000_000) ?? 0,
    });
    ctx.io.out(ctx.json ? toJson(cycles) : table(['cycle', 'due (local and UTC)'], cycles.map((c) => [String(c.cycle), showInstant(c.dueAt, c.zone)])));
    return 0;
  },
};
