import { fields, periodEndStopNote, showInstant, showInterval, showMoney, table, toJson } from '../cli/format.js';
import { JSON_OPTION_HELP, type Command } from '../cli/command.js';
import type { SubscriptionDetails } from '../subscriptions/read.js';
import { nextChargeAt } from '../subscriptions/live-dates.js';

export const showCommand: Command = {
  name: 'show',
  summary: 'a subscription: plan, live workflow state, charges, refunds, status history',
  positionals: [1, 1],
  options: {},
  help: `Usage: billing show <subscription-id> [--json]

Shows the database row, the live state of its workflow (when it still runs), every charge attempt
with its Amazon Pay ChargeId, refunds and the status history. Dates are in the subscription's time
zone and in UTC.

Options:
${JSON_OPTION_HELP}

Examples:
  billing show sub-1001
  billing show sub-1001 --json | jq .subscription.nextBillingAt
`,
  async run(ctx, _values, [id]) {
    const { client } = await ctx.connect();
    const details = await client.getSubscription(id ?? '');
    ctx.io.out(ctx.json ? toJson(details) : renderDetails(details));
    return 0;
  },
};

export function renderDetails(d: SubscriptionDetails): string {
  const s = d.subscription;
  const live = d.workflow.live;
  const zone = s.anchor.zone;
  const plan = live
    ? `${showMoney(live.amountMinor, live.currency)} ${showInterval(live.interval)}`
    : `${showMoney(s.plan.amountMinor, s.plan.currency)} ${showInterval(s.plan.interval)}`;
  const pairs: Array<[string, string]> = [
    [
      'status',
      `${live?.status ?? s.status}${(live?.statusReason ?? s.statusReason) ? ` (${live?.statusReason ?? s.statusReason})` : ''}${live?.paused ? ', paused' : ''}${live?.cancelAtPeriodEnd ? ', cancels at period end' : ''}`,
    ],
    ['plan', plan],
    ['charge permission', s.chargePermissionId],
    ['permission expires', s.permissionExpiresAt ? showInstant(s.permissionExpiresAt, zone) : 'none known (no expirationTimestamp)'],
    ['anchor', `${s.anchor.localDateTime} ${zone}`],
    ['cycle', String(live?.cycle ?? s.currentCycle)],
    ['next billing', showInstant(live ? nextChargeAt(live) : s.nextBillingAt, zone)],
  ];
  if (s.stopRequested) pairs.push(['stop requested', `at ${showInstant(s.stopRequested.at, zone)} (${s.stopRequested.reason})`]);
  // Recorded in PostgreSQL (also when the workflow does not run: billing repair finishes it); shown until the subscription has ended.
  if (s.stopAtPeriodEnd && !s.endedAt)
    pairs.push(['stop at period end', `${periodEndStopNote(s.stopAtPeriodEnd, zone)}; asked at ${showInstant(s.stopAtPeriodEnd.at, zone)}`]);
  if (live?.nextRetryAt) pairs.push(['next retry', showInstant(live.nextRetryAt, zone)]);
  if (live?.outstanding)
    pairs.push([
      'outstanding',
      `cycle ${live.outstanding.cycle} attempt ${live.outstanding.attempt}${live.outstanding.reasonCode ? ` (${live.outstanding.reasonCode})` : ''}`,
    ]);
  if ((live?.status ?? s.status) === 'payment_method_required') {
    pairs.push(['buyer fixes it at', d.paymentMethodUpdateUrl ?? "Amazon Pay's hosted Update page (no direct link in this region)"]);
  }
  if (s.end) pairs.push(['ends', 'afterCycles' in s.end ? `after ${s.end.afterCycles} cycles` : showInstant(s.end.at, zone)]);
  pairs.push(['workflow', `${d.workflow.workflowId} (${d.workflow.status?.toLowerCase() ?? 'unknown'})${d.workflow.note ? ` — ${d.workflow.note}` : ''}`]);
  pairs.push(['created', showInstant(s.createdAt, zone)]);
  if (s.endedAt) pairs.push(['ended', showInstant(s.endedAt, zone)]);

  let text = `Subscription ${s.id} (${s.environment})\n${fields(pairs)}`;
  text += `\nCharges (${d.charges.length})\n`;
  text +=
    d.charges.length === 0
      ? '  none yet\n'
      : table(
          ['cycle', 'attempt', 'amount', 'state', 'reason', 'charge id', 'at'],
          d.charges.map((c) => [
            String(c.cycle),
            String(c.attempt),
            showMoney(c.amountMinor, c.currency),
            c.state,
            c.reasonCode ?? '',
            c.chargeId ?? '',
            showInstant(c.completedAt ?? c.requestedAt, zone),
          ]),
        );
  if (d.refunds.length > 0) {
    text += `\nRefunds (${d.refunds.length})\n`;
    text += table(
      ['charge id', '#', 'amount', 'state', 'refund id', 'reason'],
      d.refunds.map((r) => [r.chargeId, String(r.seq), showMoney(r.amountMinor, r.currency), r.state, r.refundId ?? '', r.reason ?? '']),
    );
  }
  text += `\nStatus history\n`;
  text += table(
    ['at', 'from', 'to', 'reason', 'cycle'],
    d.history.map((e) => [showInstant(e.at, zone), e.fromStatus ?? '', e.toStatus, e.reasonCode ?? '', e.cycle === null ? '' : String(e.cycle)]),
  );
  return text;
}
