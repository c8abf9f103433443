import { validateCheckoutSessionId } from '../../billing/plan-rules.js';
import { JSON_OPTION_HELP, str, type Command, type CommandContext } from '../cli/command.js';
import { UsageError } from '../cli/errors.js';
import { InvalidInputError } from '../errors.js';
import type { StartSubscriptionResult } from '../subscriptions/start.js';
import { OPTION_NAMES, startInputFrom } from '../cli/start-input.js';
import { amazonPayTarget } from '../connect.js';
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
    'checkout-session': { type: 'string' },
  },
  help: `Usage: billing start --id <id> --charge-permission <S01-…> --amount <major> --currency <ISO> --interval <interval> [options]
       billing start --checkout-session <amazonCheckoutSessionId>

Checks the Charge Permission with Amazon Pay (Chargeable, Recurring or PaymentMethodOnFile, same
currency), then starts the subscription's workflow. Running it again with the same id and terms
changes nothing and prints the same subscription. Every missing or bad option is named in one run,
before anything is connected to or written.

With --checkout-session, the subscription comes from a checkout created with POST
/v1/checkout-sessions (its id, plan and terms were given there): the Checkout Session is completed
with exactly its amount (Complete Checkout Session, idempotent) and the subscription starts on the
Charge Permission the buyer agreed to, cycle 0 being the checkout charge. Running it again prints
the same subscription. A OneTime permission (the buyer did not agree to save the payment method), an
expired or canceled session and an amount Amazon Pay refuses each end with one line saying what to do.

Options:
  --id <id>                    your subscription id (1-64 of A-Z a-z 0-9 _ . : -)
  --charge-permission <id>     Charge Permission from Complete Checkout Session
  --amount <decimal>           price per cycle in major units, e.g. 14.00
  --amount-minor <n>           the same in minor units, e.g. 1400 (not with --amount)
  --currency <code>            USD, EUR, GBP, JPY, … (any letter case)
  --interval <interval>        "month", "2 weeks", "year"; "minute"/"second"/"hour" in the sandbox only
  --anchor <YYYY-MM-DDTHH:mm>  first billing date as wall time in --zone (default: now); at most one
                               cycle in the past, since every past cycle is charged at once (to carry on
                               a subscription from another system, give its next billing date; to
                               repeat a start, leave --anchor out: the stored anchor is kept)
  --zone <IANA zone>           the buyer's time zone (default: UTC)
  --trial <interval>           free trial before the first charge
  --end-after-cycles <n>       bill n cycles in total (n ≥ 1)
  --end-at <ISO instant>       bill no cycle due at or after this instant (not with --end-after-cycles)
  --first-charge <ChargeId>    the first payment was captured at checkout: it is cycle 0
  --soft-descriptor <text>     statement descriptor (at most 16 bytes)
  --reference <text>           merchantReferenceId sent with every charge (at most 256 characters)
  --checkout-session <id>      start from a Checkout Session (the amazonCheckoutSessionId); no other option
${JSON_OPTION_HELP}

Examples:
  billing start --id sub-1001 --charge-permission S01-1234567-1234567 --amount 14.00 --currency USD --interval month --zone America/New_York
  billing start --id sub-1002 --charge-permission S01-1234567-7654321 --amount 9.99 --currency EUR --interval month --first-charge S01-1234567-7654321-C000001
  billing start --checkout-session bd504926-f659-4ad7-a1a9-9a747aaf5275
`,
  async run(ctx, values) {
    const checkoutSession = str(values, 'checkout-session');
    if (checkoutSession !== undefined) return startFromCheckout(ctx, values, checkoutSession);
    // Everything that can be checked offline is, before PostgreSQL, Temporal or Amazon Pay are reached.
    const input = startInputFrom(values, OPTION_NAMES, { environment: amazonPayTarget(ctx.io.env).environment, now: new Date() });
    const { client } = await ctx.connect();
    const started = await client.startSubscription(input);
    printStarted(ctx, started);
    return 0;
  },
};

/** `--checkout-session <id>`: the terms are the checkout's, so no other option is taken. */
async function startFromCheckout(ctx: CommandContext, values: Record<string, unknown>, checkoutSessionId: string): Promise<number> {
  const others = Object.keys(values).filter((name) => name !== 'checkout-session' && name !== 'json' && values[name] !== undefined);
  if (others.length > 0) {
    throw new UsageError(
      `billing start: --checkout-session takes no other option (got ${others.map((o) => `--${o}`).join(', ')}): the subscription's id, plan and terms were given when the checkout was created (POST /v1/checkout-sessions)`,
    );
  }
  // Checked before connecting; the library normalises the id (any letter case, surrounding spaces) as for the HTTP API.
  const problems = validateCheckoutSessionId(checkoutSessionId, 'checkoutSessionId');
  if (problems.length > 0) throw new InvalidInputError(problems);
  const { client } = await ctx.connect();
  const done = await client.completeCheckout(checkoutSessionId);
  if (ctx.json) {
    ctx.io.out(toJson(done));
    return 0;
  }
  // The first cycle not paid at checkout, known at once (the row's date waits for the workflow).
  const zone = done.subscription.anchor.zone;
  const next = done.nextBillingAt ? showInstant(done.nextBillingAt, zone) : "none: the subscription's end comes before another cycle";
  const { replaced } = done;
  const replacedLine = replaced
    ? `  replaces subscription ${replaced.subscriptionId}: ${replaced.status}${replaced.statusReason ? ` (${replaced.statusReason})` : ''}; Charge Permission ${replaced.chargePermissionId} ${replaced.chargePermissionClosed ? 'closed' : 'left open (another live subscription bills on it)'}\n`
    : '';
  printStarted(
    ctx,
    done,
    `  from Checkout Session ${done.checkoutSessionId}${done.chargeId ? '' : ' (no charge at checkout: the first cycle is billed when due)'}\n  next billing ${next}\n${replacedLine}`,
    null,
  );
  return 0;
}

/** `nextBillingAt`: the date to show (default: the one the subscription's row holds, null until its workflow planned a cycle; null: no line). */
function printStarted(ctx: CommandContext, started: StartSubscriptionResult, extra = '', nextBillingAt = started.subscription.nextBillingAt): void {
  if (ctx.json) {
    ctx.io.out(toJson(started));
    return;
  }
  const s = started.subscription;
  ctx.io.out(
    `${started.created ? 'Started' : 'Already started (unchanged)'}: subscription ${s.id} — ${showMoney(s.plan.amountMinor, s.plan.currency)} ${showInterval(s.plan.interval)} on ${s.chargePermissionId}\n` +
      `  workflow ${started.workflowId}; anchor ${s.anchor.localDateTime} ${s.anchor.zone}${s.firstChargeId ? `; cycle 0 paid at checkout by ${s.firstChargeId}` : ''}\n` +
      extra +
      (nextBillingAt ? `  next billing ${showInstant(nextBillingAt, s.anchor.zone)}\n` : ''),
  );
}
