import { JSON_OPTION_HELP, str, type Command } from '../cli/command.js';
import { showMoney, toJson } from '../cli/format.js';
import { amountMinorFrom } from '../cli/values.js';
import { findChargeByChargeId } from '../../db/queries/refunds.js';
import { collectProblems } from '../cli/problems.js';
import { MAX_REASON_LENGTH } from '../subscriptions/lifecycle.js';
import { checkRefundInput } from '../subscriptions/refund.js';

const hasAmount = (amount: { amount?: string; amountMinor?: string }): boolean => amount.amount !== undefined || amount.amountMinor !== undefined;

export const refundCommand: Command = {
  name: 'refund',
  summary: 'refund a charge in full or in part (Create Refund, never more than was captured)',
  positionals: [1, 1],
  options: { amount: { type: 'string' }, 'amount-minor': { type: 'string' }, reason: { type: 'string' } },
  help: `Usage: billing refund <ChargeId> [--amount <major> | --amount-minor <n>] [--reason <text>] [--json]

Without an amount, refunds everything not refunded yet. The refund is recorded before Amazon Pay
is asked, with an idempotency key derived from the ChargeId and the refund's number, so running
the command again after a timeout re-sends the same request instead of refunding twice. While
another request (the HTTP API, another shell) is still sending a refund of the same charge, the
command refuses (exit 1) rather than joining it: run it again once that one is answered.
A refund whose sender crashed is re-sent after 150 s. More than the captured amount minus earlier
refunds is refused here, before Amazon Pay is called.

Options:
  --amount <decimal>           part of the charge, in the charge's currency (e.g. 4.00)
  --amount-minor <n>           the same in minor units (e.g. 400)
  --reason <text>              why (at most ${MAX_REASON_LENGTH} characters)
${JSON_OPTION_HELP}

Examples:
  billing refund S01-1234567-1234567-C000001
  billing refund S01-1234567-1234567-C000001 --amount 4.00 --reason "partial month"
`,
  async run(ctx, values, [chargeId]) {
    const amount = { amount: str(values, 'amount'), amountMinor: str(values, 'amount-minor') };
    const reason = str(values, 'reason');
    const input = { chargeId: chargeId ?? '', ...(reason === undefined ? {} : { reason }) };
    // What needs no database is checked first: a bad ChargeId, --amount-minor or reason is named
    // (with --amount in USD terms, the currency of a charge that cannot exist) before connecting.
    const offline = collectProblems();
    offline.attempt(() => checkRefundInput(input));
    if (amount.amountMinor !== undefined || offline.problems.length > 0)
      offline.attempt(() => hasAmount(amount) && amountMinorFrom({ ...amount, currency: 'USD' }));
    offline.throwIfAny();
    const { client, deps } = await ctx.connect();
    // The currency is the charge's: read it from the ledger so "4.00" means 4.00 of that currency.
    const currency = hasAmount(amount) ? ((await findChargeByChargeId(deps.db, input.chargeId))?.currency ?? 'USD') : undefined;
    const amountMinor = currency === undefined ? undefined : amountMinorFrom({ ...amount, currency });
    const request = { ...input, ...(amountMinor === undefined ? {} : { amountMinor }) };
    const result = await client.refund(request);
    const r = result.refund;
    ctx.io.out(
      ctx.json
        ? toJson(result)
        : `${result.resent ? 'Re-sent' : 'Refund'} #${r.seq} of ${showMoney(r.amountMinor, r.currency)} on ${r.chargeId} (subscription ${result.subscriptionId}): ${r.state}${r.refundId ? ` as ${r.refundId}` : ''}; still refundable ${showMoney(result.remainingMinor, r.currency)}\n`,
    );
    return 0;
  },
};
