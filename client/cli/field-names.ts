// The one place where the library's field names (plan.amountMinor, fromCycle, softDescriptor,
// merchantMetadata.merchantReferenceId, …) become what the person at the command line typed: the
// command's option (--amount, --from-cycle, --soft-descriptor, --reference), an argument of its
// usage line (<subscription-id>), or for `billing import` the CSV column. Every error the CLI
// prints goes through describeError (cli/errors.ts), which renders problems with these names.
import type { StartKey } from './start-input.js';

/** Library field (a dotted path) → the name shown, per command. */
export type CliFieldNames = Readonly<Record<string, string>>;

/** `billing import`: the CSV column of each `billing start` option. */
export const COLUMN_OF: Readonly<Record<StartKey, string>> = {
  id: 'id',
  'charge-permission': 'charge_permission_id',
  amount: 'amount',
  'amount-minor': 'amount_minor',
  currency: 'currency',
  interval: 'interval',
  anchor: 'anchor',
  zone: 'zone',
  trial: 'trial',
  'end-after-cycles': 'end_after_cycles',
  'end-at': 'end_at',
  'first-charge': 'first_charge_id',
  'soft-descriptor': 'soft_descriptor',
  reference: 'reference',
};

/** What a subscription start is refused on, by the `billing start` option (StartKey) it came from. */
const START_KEY_OF: Readonly<Record<string, StartKey>> = {
  id: 'id',
  chargePermissionId: 'charge-permission',
  'plan.amountMinor': 'amount',
  'plan.currency': 'currency',
  'plan.interval': 'interval',
  anchor: 'anchor',
  'anchor.localDateTime': 'anchor',
  'anchor.zone': 'zone',
  zone: 'zone',
  trial: 'trial',
  'end.afterCycles': 'end-after-cycles',
  'end.at': 'end-at',
  firstChargeId: 'first-charge',
  softDescriptor: 'soft-descriptor',
  'merchantMetadata.merchantReferenceId': 'reference',
};

/** The count of an interval has no option of its own: it is part of the interval's text. */
const countOf = (name: string): string => `the count of ${name}`;

function startNames(shown: (key: StartKey) => string): CliFieldNames {
  const names: Record<string, string> = Object.fromEntries(Object.entries(START_KEY_OF).map(([field, key]) => [field, shown(key)]));
  names['plan.interval.count'] = countOf(shown('interval'));
  names['trial.count'] = countOf(shown('trial'));
  return names;
}

const SUBSCRIPTION_ID = { subscriptionId: '<subscription-id>' };
const REASON = { reason: '--reason' };
const INTERVAL = { interval: '--interval', 'interval.count': countOf('--interval') };

/** Every command that calls the library, with the library fields it can be refused on. */
export const CLI_FIELD_NAMES: Readonly<Record<string, CliFieldNames>> = {
  start: { ...startNames((key) => `--${key}`), checkoutSessionId: '--checkout-session' },
  import: startNames((key) => COLUMN_OF[key]),
  preview: {
    anchor: '--anchor',
    'anchor.localDateTime': '--anchor',
    'anchor.zone': '--zone',
    ...INTERVAL,
    trial: '--trial',
    'trial.count': countOf('--trial'),
    count: '--count',
    fromCycle: '--from-cycle',
  },
  list: { status: '--status', chargePermissionId: '--charge-permission', dueBefore: '--due-before', limit: '--limit', cursor: '--cursor' },
  show: SUBSCRIPTION_ID,
  pause: { ...SUBSCRIPTION_ID, ...REASON },
  resume: { ...SUBSCRIPTION_ID, ...REASON },
  stop: { ...SUBSCRIPTION_ID, ...REASON },
  'change-plan': { ...SUBSCRIPTION_ID, amountMinor: '--amount', ...INTERVAL, change: 'billing change-plan' },
  refund: { chargeId: '<ChargeId>', amountMinor: '--amount', ...REASON },
  repair: { ...SUBSCRIPTION_ID, unansweredCharge: '--unanswered-charge' },
  'api-keys': { name: '--name', id: '<key id>' },
  webhooks: { url: '<url>', eventTypes: '--events', description: '--description', id: '<endpoint id>', grace: '--grace', limit: '--limit' },
  events: {
    after: '--after',
    subscription: '--subscription',
    type: '--type',
    limit: '--limit',
    eventId: '<event id>',
    endpoint: '--endpoint',
    since: '--since',
    forwardTo: '--forward-to',
    eventTypes: '--events',
  },
};

/**
 * `field` as the person using `command` typed it: the table entry of the field or of its longest
 * listed parent (anchor.localDateTime → --anchor); else, for a field the command's own parsing
 * named by its option key (from-cycle), that option (--from-cycle); else the field as it is (an
 * argument such as `file`).
 */
export function cliFieldName(command: { name: string; options: object } | undefined, field: string): string {
  const names = command === undefined ? undefined : CLI_FIELD_NAMES[command.name];
  for (let prefix = field; names !== undefined && prefix !== ''; prefix = prefix.includes('.') ? prefix.slice(0, prefix.lastIndexOf('.')) : '') {
    const name = names[prefix];
    if (name !== undefined) return name;
  }
  if (command !== undefined && Object.hasOwn(command.options, field)) return `--${field}`;
  return field;
}
