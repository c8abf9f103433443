import { parseIntervalText, amountMinorFrom } from '../cli/values.js';
import { str, type Command } from '../cli/command.js';
import { normaliseCurrency } from '../../billing/plan-rules.js';
import { validateSubscriptionSpecWithSchedule } from '../../billing/schedule.js';
import { collectProblems } from '../cli/problems.js';
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
  --currency <code>            USD, EUR, GBP, JPY, … (any letter case)
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

/** Spec fields the placeholder anchor stands for when --anchor is not given (the library uses now). */
const ANY_ANCHOR_TIME = '2000-01-01T00:00';

/**
 * Command-line options → library input. Every missing or malformed option is named in one error;
 * when there is any, the parts that did parse are also checked against the plan rules, so one run
 * lists everything (the library checks again, with the real environment, before anything starts).
 */
export function startInputFromOptions(values: Record<string, unknown>): StartSubscriptionInput {
  const c = collectProblems();
  /** Spec fields already reported by option parsing; the plan-rule check skips them. */
  const reported = new Set<string>();
  const option = (key: string): string | undefined => {
    const v = str(values, key)?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const report = (specField: string, key: string, message: string): void => {
    c.add(key, message);
    reported.add(specField);
  };
  const required = (key: string, example: string, specField: string): string | undefined => {
    const v = option(key);
    if (v === undefined) report(specField, key, `is required (e.g. --${key} ${example})`);
    return v;
  };
  const parsed = <T>(specFields: string[], parse: () => T): T | undefined => {
    const before = c.problems.length;
    const result = c.attempt(parse);
    if (c.problems.length > before) specFields.forEach((f) => reported.add(f));
    return result;
  };

  const id = required('id', 'sub-1001', 'id');
  const chargePermissionId = required('charge-permission', 'S01-1234567-1234567', 'chargePermissionId');
  const currencyText = required('currency', 'USD', 'plan.currency');
  const currency = currencyText === undefined ? undefined : String(normaliseCurrency(currencyText));
  const amount = { amount: option('amount'), amountMinor: option('amount-minor') };
  const amountMinor =
    currency !== undefined
      ? parsed(['plan.currency', 'plan.amountMinor'], () => amountMinorFrom({ ...amount, currency }, 'amount'))
      : amount.amount === undefined && amount.amountMinor === undefined
        ? parsed(['plan.amountMinor'], () => amountMinorFrom({ currency: 'USD' }, 'amount'))
        : (reported.add('plan.amountMinor'), undefined);
  const intervalText = required('interval', 'month', 'plan.interval');
  const interval = intervalText === undefined ? undefined : parsed(['plan.interval'], () => parseIntervalText(intervalText));
  const trialText = option('trial');
  const trial = trialText === undefined ? undefined : parsed(['trial'], () => parseIntervalText(trialText, 'trial'));
  const zone = option('zone') ?? 'UTC';
  const anchorText = option('anchor');
  const endAfter = option('end-after-cycles');
  const endAt = option('end-at');
  if (endAfter !== undefined && endAt !== undefined) report('end', 'end', 'give --end-after-cycles or --end-at, not both');
  else if (endAfter !== undefined && !/^\d+$/.test(endAfter)) report('end', 'end-after-cycles', `must be a whole number ≥ 1, got ${JSON.stringify(endAfter)}`);
  const firstCharge = option('first-charge');
  const softDescriptor = str(values, 'soft-descriptor');
  const reference = str(values, 'reference');
  const input: StartSubscriptionInput = {
    id: id ?? '',
    chargePermissionId: chargePermissionId ?? '',
    plan: { amountMinor: amountMinor ?? '', currency: currency ?? '', interval: interval ?? { unit: 'month' as const, count: 1 } },
    ...(anchorText === undefined ? { zone } : { anchor: { localDateTime: anchorText, zone } }),
    ...(trial === undefined ? {} : { trial }),
    ...(endAfter === undefined || reported.has('end') ? {} : { end: { afterCycles: Number(endAfter) } }),
    ...(endAt === undefined || reported.has('end') ? {} : { end: { at: endAt } }),
    ...(firstCharge === undefined ? {} : { firstChargeId: firstCharge }),
    ...(softDescriptor === undefined ? {} : { softDescriptor }),
    ...(reference === undefined ? {} : { merchantMetadata: { merchantReferenceId: reference } }),
  };
  if (c.problems.length > 0) {
    const candidate = { ...input, anchor: input.anchor ?? { localDateTime: ANY_ANCHOR_TIME, zone } };
    const more = validateSubscriptionSpecWithSchedule(candidate, { environment: 'sandbox' }).filter(
      (p) => ![...reported].some((field) => p.field === field || p.field.startsWith(`${field}.`)),
    );
    c.throwIfAny(more);
  }
  return input;
}
