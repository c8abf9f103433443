// `billing events redeliver` and `billing events listen`: recovery and local development around
// webhook delivery (webhooks/redeliver.ts, webhooks/listen.ts). `events list` (the event log
// itself) lives beside them in the event log's own command file.
import { parseDuration } from '../../config/durations.js';
import { endpointIdProblem, validateEventTypes, validateWebhookUrl } from '../../webhooks/endpoint-input.js';
import { listenToEvents } from '../../webhooks/listen.js';
import { eventIdProblem, redeliverEvent, redeliverSince, type RedeliveryResult } from '../../webhooks/redeliver.js';
import { newWebhookSecret } from '../../webhooks/secrets.js';
import { InvalidInputError } from '../errors.js';
import { str, type CommandContext } from '../cli/command.js';
import { UsageError } from '../cli/errors.js';
import { collectProblems } from '../cli/problems.js';
import { toJson } from '../cli/format.js';
import type { EventAction } from './events.js';
import { eventTypesOption } from './webhooks.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

const SINCE_ACCEPTED = 'a time in the past with its offset such as 2026-11-30T04:00:00Z, or a duration ago above zero such as 2h or 3d';

/**
 * --since: an ISO 8601 time with its offset (2026-11-30T04:00:00Z), or a duration meaning that long
 * ago (2h). Refused (InvalidInputError on `since`): anything else, and what is not before `now` —
 * a duration of 0 or a time to come would select no event, which would read as "nothing to redeliver".
 */
export function sinceOption(text: string, now: Date): Date {
  const ago = parseDuration(text);
  const at = ago !== null ? new Date(now.getTime() - ago) : ISO_INSTANT.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw InvalidInputError.of('since', `must be ${SINCE_ACCEPTED}, got ${JSON.stringify(text)}`);
  if (at.getTime() >= now.getTime())
    throw InvalidInputError.of('since', `must be ${SINCE_ACCEPTED}, got ${JSON.stringify(text)}, which is ${ago === null ? 'not in the past' : 'now'}`);
  return at;
}

/** The line a redelivery prints: what was scheduled, or why nothing was (no event since then, or no endpoint that takes them). */
export function redeliveryLine(result: RedeliveryResult, since: Date | undefined, endpointId: string | undefined): string {
  if (result.scheduled > 0)
    return `Scheduled ${result.scheduled} deliver${result.scheduled === 1 ? 'y' : 'ies'} of ${plural(result.events, 'event')} (same webhook-id as before); \`billing webhooks deliveries <endpoint id>\` shows the attempts.\n`;
  if (result.events === 0) return `Nothing to redeliver: no event happened at or after ${since?.toISOString() ?? 'that time'}.\n`;
  const taker = endpointId === undefined ? 'no enabled endpoint takes' : `endpoint ${endpointId} does not take`;
  const what = since === undefined ? 'this event' : `the ${plural(result.events, 'event')} since ${since.toISOString()}`;
  return `Nothing to redeliver: ${taker} ${what} (by event type and account; see \`billing webhooks list\`), or ${since === undefined ? 'its delivery is' : 'their deliveries are'} being attempted right now.\n`;
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

async function redeliver(ctx: CommandContext, values: Record<string, unknown>, eventId: string | undefined): Promise<number> {
  const since = str(values, 'since');
  if (eventId === undefined && since === undefined)
    throw new UsageError('billing events redeliver: needs an event id (evt_…) or --since <time>, e.g. --since 6h (see `billing events --help`)');
  if (eventId !== undefined && since !== undefined)
    throw new UsageError('billing events redeliver: give an event id or --since <time>, not both (see `billing events --help`)');
  const endpointId = str(values, 'endpoint');
  // Checked before connecting: bad input is named without a database, every problem at once.
  const c = collectProblems();
  const from = since === undefined ? undefined : c.attempt(() => sinceOption(since, new Date()));
  for (const problem of [eventId === undefined ? null : eventIdProblem(eventId), endpointId === undefined ? null : endpointIdProblem(endpointId, 'endpoint')])
    if (problem) c.add(problem.field, problem.message);
  c.throwIfAny();
  const options = endpointId === undefined ? {} : { endpointId };
  const { deps } = await ctx.connect();
  const result = from === undefined ? await redeliverEvent(deps, eventId!, options) : await redeliverSince(deps, from, options);
  ctx.io.out(ctx.json ? toJson(result) : redeliveryLine(result, from, endpointId));
  return 0;
}

async function listen(ctx: CommandContext, values: Record<string, unknown>): Promise<number> {
  const forward = str(values, 'forward-to');
  const url = forward === undefined ? undefined : validateWebhookUrl(forward, 'forwardTo');
  const types = validateEventTypes(eventTypesOption(str(values, 'events')));
  const problems = [url && 'problem' in url ? url.problem : undefined, 'problem' in types ? types.problem : undefined].filter((p) => p !== undefined);
  if (problems.length > 0) throw new InvalidInputError(problems);
  const { deps, sql, config } = await ctx.connect();
  const secret = newWebhookSecret();
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await listenToEvents({
      db: deps.db,
      sql,
      ...('eventTypes' in types && types.eventTypes ? { types: types.eventTypes } : {}),
      ...(url && 'url' in url ? { forwardTo: url.url } : {}),
      secret,
      timeoutMs: config.billing.webhooks.requestTimeout,
      signal: stop.signal,
      onListening: () =>
        ctx.io.err(
          url && 'url' in url
            ? `Ready. Forwarding events to ${url.url}, signed with ${secret} (this session only; ^C to quit)\n`
            : 'Ready. Printing events as they happen (^C to quit)\n',
        ),
      onEvent(event, forwarded) {
        if (ctx.json) return ctx.io.out(JSON.stringify({ ...event, position: event.position.toString(), forwarded: forwarded ?? null }) + '\n');
        const answer = forwarded === undefined ? '' : ` → ${forwarded.statusCode ?? forwarded.error} (${forwarded.latencyMs} ms)`;
        ctx.io.out(`${event.occurredAt.toISOString()}  ${event.type}  ${event.id}  ${event.subscriptionId} #${event.sequence}${answer}\n`);
      },
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}

/** `billing events redeliver`: one of EVENT_ACTIONS (client/commands/events.ts). */
export const redeliverAction: EventAction = {
  name: 'redeliver',
  options: { endpoint: { type: 'string' }, since: { type: 'string' } },
  usage: `billing events redeliver <event id> [--endpoint <endpoint id>] [--json]
       billing events redeliver --since <time> [--endpoint <endpoint id>] [--json]`,
  help: `redeliver: sends events again with their own webhook-id and a fresh retry schedule, to every
enabled endpoint that takes their type (or only --endpoint): one event, or every event that
happened at or after --since. For recovery after a receiver lost data or an endpoint was
disabled (enable it first).`,
  optionsHelp: `  --endpoint <id>              redeliver: only to this endpoint (we_…)
  --since <time>               redeliver: events from this time on: 2026-11-30T04:00:00Z, or a duration ago (2h, 3d; not 0s)`,
  async run(ctx, values, args) {
    if (args.length > 1) throw new UsageError(`billing events redeliver: takes one event id, got ${args.length} arguments`);
    return redeliver(ctx, values, args[0]);
  },
};

/** `billing events listen`: one of EVENT_ACTIONS (client/commands/events.ts). */
export const listenAction: EventAction = {
  name: 'listen',
  options: { 'forward-to': { type: 'string' }, events: { type: 'string' } },
  usage: 'billing events listen [--forward-to <url>] [--events <type,type,…>] [--json]',
  help: `listen: prints events as they happen (from now on) and, with --forward-to, POSTs each to that
URL as a signed Standard Webhook (a secret for this session only, printed at the start), like
\`stripe listen\`. Nothing is recorded; endpoints are not involved. ^C stops.`,
  optionsHelp: `  --forward-to <url>           listen: http:// or https:// URL to POST each event to
  --events <types>             listen: comma-separated event types (default: all)`,
  async run(ctx, values, args) {
    if (args.length > 0) throw new UsageError('billing events listen: takes no argument, only --forward-to and --events');
    return listen(ctx, values);
  },
};
