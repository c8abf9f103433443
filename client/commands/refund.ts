import { str, type Command } from '../cli/command.js';
import { showMoney, toJson } from '../cli/format.js';
import { amountMinorFrom } from '../cli/values.js';
import { findChargeByChargeId } from '../../db/queries/refunds.js';
import { collectProblems } from '../cli/problems.js';
import { MAX_REASON_LENGTH } from '../subscriptions/lifecycle.js';
import { checkRefundInput } from '../subscriptions/refund.js';

export const refundCommand: Command = {
  name: 'refund',
  summary: 'refund a charge in full or in part (Create Refund, never more than was captured)',
  positionals: [1, 1],
  options: { amount: { type: 'string' }, 'amount-minor': { type: 'string' }, reason: { type: 'string' } },
  help: `Usage: billing refund <ChargeId> [--amount <major> | --amount-minor <n>] [--reason <text>] [--json]

Without an amount, refunds everything not refunded yet. The refund is recorded before Amazon Pay
is asked, with an idempotency key derived from the ChargeId and the refund's number, so running
the command again after a timeout re-sends the same request instead of refunding twice. More than
the captured amount minus earlier refunds is refused here, before Amazon Pay is called.

Options:
  --amount <decimal>           part of the charge, in the charge's currency (e.g. 4.00)
  --amount-minor <n>           the same in minor units (e.g. 400)
  --reason <text>              why (at most ${MAX_REASON_LENGTH} characters)

Examples:
  billing refund S01-1234567-1234567-C000001
  billing refund S01-1234567-1234567-C000001 --amount 4.00 --reason "partial month"
`,
  async run(ctx, values, [chargeId]) {
    const { client, deps } = await ctx.connect();
    // A bad amount, ChargeId and reason are named together.
    const c = collectProblems();
    let amountMinor: string | undefined;
    if (str(values, 'amount') !== undefined || str(values, 'amount-minor') !== undefined) {
      // The currency is the charge's: read it from the ledger so "4.00" means 4.00 of that currency.
      const currency = (await findChargeByChargeId(deps.db, chargeId ?? ''))?.currency;
      amountMinor = c.attempt(() => amountMinorFrom({ amount: str(values, 'amount'), amountMinor: str(values, 'amount-minor'), currency: currency ?? 'USD' }));
    }
    const input = { chargeId: chargeId ?? '', ...(amountMinor === undefined ? {} : { amountMinor }), ...(str(values, 'reason') === undefined ? {} : { reason: str(values, 'reason') }) };
    c.attemptRest(() => checkRefundInput(input));
    c.throwIfAny();
    const result = await client.refund(input);
    const r = result.refund;
    ctx.io.out(
      ctx.json
        ? toJson(result)
        : `${result.resent ? 'Re-sent' : 'Refund'} #${r.seq} of ${showMoney(r.amountMinor, r.currency)} on ${r.chargeId} (subscription ${result.subscriptionId}): ${r.state}${r.refundId ? ` as ${r.refundId}` : ''}; still refundable ${showMoney(result.remainingMinor, r.currency)}\n`,
    );
    return 0;
  },
};
