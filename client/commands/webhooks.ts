// `billing webhooks`: the webhook endpoints events are delivered to (webhooks/endpoints.ts).
import { parseDuration } from '../../config/durations.js';
import { EVENT_TYPES, splitEventTypes } from '../../billing/event-types.js';
import { endpointIdProblem } from '../../webhooks/endpoint-input.js';
import {
  addWebhookEndpoint,
  checkNewWebhookEndpoint,
  listWebhookAttempts,
  listWebhookEndpoints,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookEndpointView,
} from '../../webhooks/endpoints.js';
import { InvalidInputError } from '../errors.js';
import { intOption, JSON_OPTION_HELP, str, type Command, type CommandContext } from '../cli/command.js';
import { UsageError } from '../cli/errors.js';
import { fields, table, toJson } from '../cli/format.js';

const ACTIONS = ['add', 'list', 'disable', 'enable', 'rotate-secret', 'deliveries'] as const;
/** Attempts `deliveries` shows without --limit. */
const DEFAULT_ATTEMPTS = 20;
/** Characters of a response body in the human table (--json has the stored 1,024). */
const BODY_PREVIEW = 60;

/** An --events option's items (splitEventTypes: empty ones kept); the library says which are empty or unknown. */
export function eventTypesOption(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : splitEventTypes(text);
}

function endpointLines(e: WebhookEndpointView): Array<[string, string]> {
  return [
    ['id', e.id],
    ['url', e.url],
    ['events', e.eventTypes?.join(', ') ?? 'all'],
    ['description', e.description ?? '—'],
    ['status', e.status === 'enabled' ? 'enabled' : `disabled (${e.disabledReason ?? 'operator'}) at ${e.disabledAt}`],
    ...(e.previousSecretExpiresAt ? [['old secret signs until', e.previousSecretExpiresAt] as [string, string]] : []),
    ['created', e.createdAt],
  ];
}

function showSecret(ctx: CommandContext, what: string, endpoint: WebhookEndpointView & { secret: string }, note = ''): void {
  if (ctx.json) return ctx.io.out(toJson(endpoint));
  ctx.io.out(
    `${what} webhook endpoint ${endpoint.id}:\n${fields(endpointLines(endpoint))}\nSigning secret (shown only now; verify webhooks with it, e.g. with the standardwebhooks library):\n\n  ${endpoint.secret}\n${note}`,
  );
}

export const webhooksCommand: Command = {
  name: 'webhooks',
  summary: 'add, list, disable, enable webhook endpoints, rotate their secrets, show delivery attempts',
  positionals: [1, 2],
  actions: ACTIONS,
  options: { events: { type: 'string' }, description: { type: 'string' }, grace: { type: 'string' }, limit: { type: 'string' } },
  help: `Usage: billing webhooks add <url> [--events <type,type,…>] [--description <text>] [--json]
       billing webhooks list [--json]
       billing webhooks disable <endpoint id> [--json]
       billing webhooks enable <endpoint id> [--json]
       billing webhooks rotate-secret <endpoint id> [--grace <duration>] [--json]
       billing webhooks deliveries <endpoint id> [--limit <n>] [--json]

Every replica of the daemon delivers events to enabled endpoints as Standard Webhooks: a POST
with webhook-id (the event id, the same on every retry), webhook-timestamp and webhook-signature
headers, signed with the endpoint's secret; a failed delivery is retried on billing.yaml
webhooks.retrySchedule (3 days and more). An endpoint answering 410 Gone, or failing for the
whole schedule, is disabled. README "Webhooks" says how to verify a webhook.

  add            a new endpoint receiving events from now on; prints its secret (whsec_…) once
  disable        no more deliveries; its pending deliveries are failed
  enable         delivers events from now on (those missed: \`billing events redeliver --since\`)
  rotate-secret  a new secret; the old one keeps signing (a second signature) for --grace
  deliveries     the latest attempts: time, event, status code, latency, start of the answer

Options:
  --events <types>             add: comma-separated event types (default: all), from:
                               ${EVENT_TYPES.join(', ')}
  --description <text>         add: a note for people, at most 200 characters
  --grace <duration>           rotate-secret: how long the old secret also signs (default
                               billing.yaml webhooks.secretGracePeriod, 24h; 0s: stop at once)
  --limit <n>                  deliveries: attempts shown, 1-1000 (default ${DEFAULT_ATTEMPTS})
${JSON_OPTION_HELP}

Examples:
  billing webhooks add https://shop.example.com/hooks/billing --events charge.succeeded,subscription.canceled
  billing webhooks deliveries we_0123456789abcdef01234567 --limit 50
  billing webhooks rotate-secret we_0123456789abcdef01234567 --grace 48h
`,
  async run(ctx, values, [action, argument]) {
    if (!(ACTIONS as readonly string[]).includes(action ?? ''))
      throw new UsageError(`billing webhooks: unknown action ${JSON.stringify(action)}; use ${ACTIONS.join(', ')}`);
    const belongs: Record<string, string> = { events: 'add', description: 'add', grace: 'rotate-secret', limit: 'deliveries' };
    for (const [option, owner] of Object.entries(belongs))
      if (values[option] !== undefined && owner !== action) throw new UsageError(`billing webhooks ${action}: --${option} belongs to ${owner}`);
    if (action === 'list' ? argument !== undefined : argument === undefined)
      throw new UsageError(
        action === 'list'
          ? 'billing webhooks list: takes no argument'
          : `billing webhooks ${action}: name the ${action === 'add' ? 'URL' : 'endpoint id (see `billing webhooks list`)'}`,
      );
    const limit = intOption(values, 'limit', 1, 1000) ?? DEFAULT_ATTEMPTS;
    const grace = str(values, 'grace');
    const graceMs = grace === undefined ? undefined : parseDuration(grace);
    if (graceMs === null) throw InvalidInputError.of('grace', `must be a duration such as "0s", "30m", "24h" or "7d", got ${JSON.stringify(grace)}`);
    // Checked before connecting: bad input is named without a database (the library checks again).
    if (action === 'add')
      checkNewWebhookEndpoint({ url: argument, eventTypes: eventTypesOption(str(values, 'events')), description: str(values, 'description') });
    const idProblem = action === 'add' || action === 'list' ? null : endpointIdProblem(argument);
    if (idProblem) throw new InvalidInputError([idProblem]);
    const { deps, config } = await ctx.connect();
    const id = argument!;
    switch (action) {
      case 'add': {
        const endpoint = await addWebhookEndpoint(deps, {
          url: argument,
          eventTypes: eventTypesOption(str(values, 'events')),
          description: str(values, 'description'),
        });
        showSecret(ctx, 'Added', endpoint);
        return 0;
      }
      case 'list': {
        const endpoints = await listWebhookEndpoints(deps);
        if (ctx.json) ctx.io.out(toJson(endpoints));
        else if (endpoints.length === 0) ctx.io.out('No webhook endpoints. Add one with `billing webhooks add <url>`.\n');
        else
          ctx.io.out(
            table(
              ['id', 'url', 'events', 'status', 'description', 'created'],
              endpoints.map((e) => [
                e.id,
                e.url,
                e.eventTypes?.join(',') ?? 'all',
                e.status === 'enabled' ? 'enabled' : `disabled (${e.disabledReason ?? 'operator'})`,
                e.description ?? '',
                e.createdAt,
              ]),
            ),
          );
        return 0;
      }
      case 'disable':
      case 'enable': {
        const endpoint = await updateWebhookEndpoint(deps, id, { enabled: action === 'enable' });
        ctx.io.out(ctx.json ? toJson(endpoint) : `Webhook endpoint ${endpoint.id} is ${endpoint.status}.\n${fields(endpointLines(endpoint))}`);
        return 0;
      }
      case 'rotate-secret': {
        const endpoint = await rotateWebhookSecret(deps, id, { graceMs: graceMs ?? config.billing.webhooks.secretGracePeriod });
        const note = endpoint.previousSecretExpiresAt
          ? `\nThe old secret also signs until ${endpoint.previousSecretExpiresAt} (webhook-signature carries both signatures).\n`
          : '\nThe old secret no longer signs.\n';
        showSecret(ctx, 'Rotated the secret of', endpoint, note);
        return 0;
      }
      case 'deliveries': {
        const listing = await listWebhookAttempts(deps, id, limit);
        if (ctx.json) ctx.io.out(toJson(listing));
        else if (listing.attempts.length === 0) ctx.io.out(`No delivery attempts to ${listing.endpoint.id} (${listing.endpoint.url}) yet.\n`);
        else
          ctx.io.out(
            `Latest ${listing.attempts.length} attempts to ${listing.endpoint.id} (${listing.endpoint.url}), newest first:\n` +
              table(
                ['at', 'event', 'type', 'attempt', 'status', 'latency', 'delivery', 'answer'],
                listing.attempts.map((a) => [
                  a.at,
                  a.eventId,
                  a.eventType,
                  String(a.attempt),
                  a.statusCode === null ? 'none' : String(a.statusCode),
                  `${a.latencyMs} ms`,
                  a.deliveryStatus,
                  (a.error ?? a.responseBody ?? '').replace(/\s+/g, ' ').slice(0, BODY_PREVIEW),
                ]),
              ),
          );
        return 0;
      }
    }
    return 0;
  },
};
