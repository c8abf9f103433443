import { parseIntervalText, amountMinorFrom } from '../cli/values.js';
import { str, type Command } from '../cli/command.js';
import { InvalidInputError } from '../errors.js';
import type { StartSubscriptionInput } from '../subscriptions/start.js';
import { showInstant, showInterval, showMoney, toJson } from '../cli/format.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'start billing a Charge Permission (after Complete Checkout Session)',
  positionals: [0, 0],
  options: {
    id: { type: 'string' },
    'charge-permission': { type: 'string' },
    amount: { type: 'string' },
    'amount-minor': { type: 'string' },
    currency: { type: 'string' },
    interval: { type: 'string' },
    anchor: { type: 'string' },
    zone: { type: 'string' },
    trial: { type: 'string' },
    'end-after-cycles': { type: 'string' },
    'end-at': { type: 'string' },
    'first-charge': { type: 'string' },
    'soft-descriptor': { type: 'string' },
    reference: { type: 'string' },
  },
  help: `Usage: billing start --id <id> --charge-permission <S01-…> --amount <major> --currency <ISO> --interval <interval> [options]

Checks the Charge Permission with Amazon Pay (Chargeable, Recurring or PaymentMethodOnFile, same
currency), then starts the subscription's workflow. Running it again with the same id and terms
changes nothing and prints the same subscription.

Options:
  --id <id>                    your subscription id (1-64 of A-Z a-z 0-9 _ . : -)
  --charge-permission <id>     Charge Permission from Complete Checkout Session
  --amount <decimal>           price per cycle in major units, e.g. 14.00 (or --amount-minor 1400)
  --currency <code>            USD, EUR, GBP, JPY, …
  --interval <interval>        "month", "2 weeks", "year"; "minute"/"second"/"hour" in the sandbox only
  --anchor <YYYY-MM-DDTHH:mm>  first billing date as wall time in --zone (default: now)
  --zone <IANA zone>           the buyer's time zone (default: UTC)
  --trial <interval>           free trial before the first charge
  --end-after-cycles <n>       bill n cycles in total
  --end-at <ISO instant>       bill no cycle due at or after this instant
  --first-charge <ChargeId>    the first payment was captured at checkout: it is cycle 0
  --soft-descriptor <text>     statement descriptor (16 bytes)
  --reference <text>           merchantReferenceId sent with every charge
  --json                       machine-readable output

Examples:
  billing start --id sub-1001 --charge-permission S01-1234567-1234567 --amount 14.00 --currency USD --interval month --zone America/New_York
  billing start --id sub-1002 --charge-permission S01-1234567-7654321 --amount 9.99 --currency EUR --interval month --first-charge S01-1234567-7654321-C000001
`,
  async run(ctx, values) {
    const input = startInputFromOptions(values);
    const { client } = await ctx.connect();
    const started = await client.startSubscription(input);
    if (ctx.json) {
      ctx.io.out(toJson(started));
      return 0;
    }
    const s = started.subscription;
    ctx.io.out(
      `${started.created ? 'Started' : 'Already started (unchanged)'}: subscription ${s.id} — ${showMoney(s.plan.amountMinor, s.plan.currency)} ${showInterval(s.plan.interval)} on ${s.chargePermissionId}\n` +
        `  workflow ${started.workflowId}; anchor ${s.anchor.localDateTime} ${s.anchor.zone}${s.firstChargeId ? `; cycle 0 paid at checkout by ${s.firstChargeId}` : ''}\n` +
        (s.nextBillingAt ? `  next billing ${showInstant(s.nextBillingAt, s.anchor.zone)}\n` : ''),
    );
    return 0;
  },
};

/** Command-line options → library input; the library validates the rest (one message per field). */
export function startInputFromOptions(values: Record<string, unknown>): StartSubscriptionInput {
  const required = (key: string, example: string): string => {
    const v = str(values, key);
    if (v === undefined || v.trim() === '') throw InvalidInputError.of(key, `is required (e.g. --${key} ${example})`);
    return v.trim();
  };
  const currency = required('currency', 'USD').toUpperCase();
  const amountMinor = amountMinorFrom({ amount: str(values, 'amount'), amountMinor: str(values, 'amount-minor'), currency, }, 'amount');
  const zone = str(values, 'zone') ?? 'UTC';
  const anchorText = str(values, 'anchor');
  const endAfter = str(values, 'end-after-cycles');
  const endAt = str(values, 'end-at');
  if (endAfter !== undefined && endAt !== undefined) throw InvalidInputError.of('end', 'give --end-after-cycles or --end-at, not both');
  if (endAfter !== undefined && !/^\d+$/.test(endAfter)) throw InvalidInputError.of('end-after-cycles', `must be a whole number ≥ 1, got ${JSON.stringify(endAfter)}`);
  const trial = str(values, 'trial');
  const firstCharge = str(values, 'first-charge');
  const softDescriptor = str(values, 'soft-descriptor');
  const reference = str(values, 'reference');
  return {
    id: required('id', 'sub-1001'),
    chargePermissionId: required('charge-permission', 'S01-1234567-1234567'),
    plan: { amountMinor, currency, interval: parseIntervalText(required('interval', 'month')) },
    ...(anchorText === undefined ? { zone } : { anchor: { localDateTime: anchorText, zone } }),
    ...(trial === undefined ? {} : { trial: parseIntervalText(trial, 'trial') }),
    ...(endAfter === undefined ? {} : { end: { afterCycles: Number(endAfter) } }),
    ...(endAt === undefined ? {} : { end: { at: endAt } }),
    ...(firstCharge === undefined ? {} : { firstChargeId: firstCharge }),
    ...(softDescriptor === undefined ? {} : { softDescriptor }),
    ...(reference === undefined ? {} : { merchantMetadata: { merchantReferenceId: reference } }),
  };
}
