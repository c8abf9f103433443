import { JSON_OPTION_HELP, type Command } from '../cli/command.js';
import { toJson } from '../cli/format.js';
import { createProgress } from '../cli/progress.js';
import { UsageError } from '../cli/errors.js';
import { showInterval, showMoney } from '../cli/format.js';
import type { DriftRepairSummary, RepairResult } from '../index.js';

/** What `billing repair` prints for one subscription's result (exported for its unit test). */
export function resultLine(result: RepairResult): string {
  return `${actionLine(result)}${ledgerLine(result)}${planLine(result)}`;
}

/** The plan changes put back from the workflow's history, as one line (none: empty). */
function planLine(result: RepairResult): string {
  const changes = result.planChangesRestored;
  if (!changes || changes.length === 0) return '';
  const list = changes
    .map(
      (c) =>
        `from cycle ${c.fromCycle}: ${[c.amountMinor ? showMoney(c.amountMinor, c.currency) : '', c.interval ? showInterval(c.interval) : ''].filter(Boolean).join(' ')}`,
    )
    .join('; ');
  return `${result.subscriptionId}: ${changes.length} plan change${changes.length === 1 ? '' : 's'} restored from its workflow's Temporal history (${list})\n`;
}

/** The ledger rows restored from the workflow's history, as one line (none: empty). */
function ledgerLine(result: RepairResult): string {
  const rows = result.ledgerRowsRestored;
  if (!rows || rows.length === 0) return '';
  const list = rows.map((r) => `cycle ${r.cycle} attempt ${r.attempt} ${r.state}${r.chargeId ? ` ${r.chargeId}` : ''}`).join(', ');
  return `${result.subscriptionId}: ${rows.length} ledger row${rows.length === 1 ? '' : 's'} restored from its workflow's Temporal history (${list})\n`;
}

function actionLine(result: RepairResult): string {
  if (result.action === 'restored') {
    const r = result.restored!;
    const next = r.nextBillingAt ? `, next billing ${r.nextBillingAt}` : '';
    const first = r.firstRunKept ? 'its first run' : 'its oldest run Temporal keeps';
    return `Restored ${result.subscriptionId} from Temporal (its workflow ran without a row): status ${r.status}${r.statusReason ? ` (${r.statusReason})` : ''}, cycle ${r.cycle}${next}; created ${r.createdAt} (${first})\n`;
  }
  if (result.action === 'running')
    return result.ledgerRowsRestored || result.planChangesRestored ? '' : `${result.subscriptionId}: its workflow is running; nothing to repair\n`;
  if (result.action === 'finished') return '';
  const stop = result.stopRequested;
  if (result.action === 'stop-resent' && !stop)
    return `Stop at period end re-sent to ${result.subscriptionId} (${result.cancelAtPeriodEnd?.reason ?? ''}): it was recorded but its running workflow never received it\n`;
  if (result.action === 'stop-resent')
    return `Stop re-sent to ${result.subscriptionId}: a stop was requested at ${stop!.at} (${stop!.reason}) but its running workflow never received it\n`;
  if (result.action === 'canceled' || result.action === 'ended') {
    const { reason, from } = result.finished!;
    const why =
      from === 'run_result'
        ? `its run completed as ${result.action}`
        : from === 'run_cancelled'
          ? 'it was cancelled'
          : from === 'stop_at_period_end'
            ? 'it was asked to stop at period end and that period has ended (nothing was billed)'
            : `a stop was requested at ${stop!.at} (${stop!.reason})`;
    const name = result.action === 'ended' ? 'Ended' : 'Canceled';
    return `${name} ${result.subscriptionId} (workflow was ${result.workflowState.toLowerCase()}): ${why}, so it was not restarted; status ${result.action} (${reason})\n`;
  }
  const r = result.resume!;
  const how = r.fresh
    ? 'started again from the beginning (nothing was billed yet)'
    : r.wait
      ? `waits in ${r.wait.status} as before (${r.wait.reason}) at cycle ${r.cycle}: ${r.wait.status === 'unpaid' ? 'nothing is charged until an admin resumes' : `nothing is charged until the buyer fixes the payment method; its grace period runs from the first hard decline${r.wait.graceStartedAt ? ` (${r.wait.graceStartedAt})` : ''}`}, then attempt ${r.attempt}`
      : `resumes at cycle ${r.cycle}, attempt ${r.attempt}${r.attemptReason === 'same-key' ? ' (same idempotency key: that attempt’s outcome is unknown)' : ''}`;
  const paused = !r.fresh && r.status === 'paused' ? 'stays paused (nothing is charged until it is resumed), then ' : '';
  const cancel = result.cancelAtPeriodEnd ? `; cancel at period end kept (${result.cancelAtPeriodEnd.reason}): nothing is billed after the current period` : '';
  return `Repaired ${result.subscriptionId} (workflow was ${result.workflowState.toLowerCase()}): ${paused}${how}${cancel}; terms from the ${result.termsFrom === 'workflow-history' ? "old workflow's history" : 'database and billing.yaml'}\n`;
}

function ledgerRows(summary: DriftRepairSummary): number {
  return summary.ledgerRowsRestored.reduce((n, s) => n + s.rows.length, 0);
}

export const repairCommand: Command = {
  name: 'repair',
  summary: 'restart a live subscription whose workflow is not running; rebuild rows and ledger rows a database restore lost',
  positionals: [0, 1],
  options: { 'all-drifted': { type: 'boolean' }, 'unanswered-charge': { type: 'string' } },
  help: `Usage: billing repair <subscription-id> [--unanswered-charge <ChargeId>|none] [--json]
       billing repair --all-drifted [--json]

A subscription the database says is live but whose Temporal workflow failed, was terminated or
is gone (what the drift job marks needs_attention / WorkflowNotRunning) gets a new workflow
under the same id. It resumes where the charge ledger says: a cycle already paid is never
charged again, and an attempt whose outcome is unknown is sent again with its own idempotency
key (Amazon Pay replays it) instead of a new one. One waiting in unpaid or
payment_method_required is restored into that wait (nothing is charged until an admin resumes
or the buyer fixes the payment method; the grace runs from the first hard decline), and a
pending cancel at period end is kept (recorded in the database by billing stop --at-period-end,
or read from the old workflow's history; if Temporal has the workflow but its history cannot be
read, nothing is restarted and it exits 1: try again); once that period has ended, it is not
restarted but finished: status canceled with the stop's reason, nothing billed. One
whose stop was requested (billing stop, the API's cancel, a closed Charge Permission) before its
workflow stopped is not restarted but finished: status canceled with the stop's reason. One whose
workflow completed or was cancelled but whose status was never written is finished as that run
ended (ended after its last cycle, or canceled). A subscription whose workflow runs is left
alone, unless a stop (now or at period end) was recorded that never reached it: the stop is sent again. One that has
ended in the database is refused.

After the database was restored from a backup older than Temporal's (docs/deploy.md "Backup and
restore"), repair rebuilds what the database lost from the workflows, which hold what they did:
- a subscription whose workflow runs without a row (the drift job's "orphans") gets its row back:
  same id, Charge Permission, plan going forward, anchor, end, status, cycle and next billing date
  (from the workflow's state), created at its first run's start, with a status event
  RestoredFromTemporal; its blocked charge then goes through. A trial's length is not in the
  workflow: the row has no trial, and its anchor is the first billing date.
- ledger rows of charges the workflow made (Create Charge, the checkout's charge) and the ledger
  lacks come back from its runs' Temporal histories, with their ChargeIds and states; a row that
  exists is never changed.
Webhook events of what happened after the backup point are not rebuilt or sent again.

A stopped subscription whose workflow is gone while a charge attempt may have reached Amazon Pay
with no answer recorded is not finished (sending the attempt again could charge after the stop,
and Amazon Pay cannot be asked by idempotency key): repair refuses, naming the attempt and its
merchant reference. Look the charge up in Amazon Pay (Seller Central) and repair again with what
you found: --unanswered-charge <ChargeId> (read from Amazon Pay and checked to be that attempt's:
same Charge Permission, amount and merchant reference; recorded in the ledger with its event), or
--unanswered-charge none (recorded as failed, NotReceivedByAmazonPay); the subscription is then
finished as canceled.

Options:
  --all-drifted                instead of one subscription: every live subscription and every
                               subscription workflow running without a row (both older than 5
                               minutes), with progress on stderr
  --unanswered-charge <id>     what Amazon Pay shows for the unanswered attempt of a stopped
                               subscription: its ChargeId, or none
${JSON_OPTION_HELP}

Examples:
  billing repair sub-1001
  billing repair sub-1001 --unanswered-charge S01-1234567-1234567-C000002
  billing repair --all-drifted
`,
  async run(ctx, values, [id]) {
    const all = values['all-drifted'] === true;
    if (all === (id !== undefined)) throw new UsageError('billing repair: give a subscription id or --all-drifted (not both)');
    const unansweredCharge = values['unanswered-charge'] as string | undefined;
    if (all && unansweredCharge !== undefined) throw new UsageError('billing repair: --unanswered-charge is for one subscription, not --all-drifted');
    const { client } = await ctx.connect();
    if (!all) {
      const result = await client.repair(id!, unansweredCharge === undefined ? {} : { unansweredCharge });
      ctx.io.out(ctx.json ? toJson(result) : resultLine(result));
      return 0;
    }
    const lines: string[] = [];
    let progress: ReturnType<typeof createProgress> | undefined;
    const summary = await client.repairDrifted((entry, total) => {
      if ('error' in entry) lines.push(`${entry.subscriptionId}: not repaired: ${entry.error}\n`);
      else if ((entry.action !== 'running' && entry.action !== 'finished') || entry.ledgerRowsRestored || entry.planChangesRestored)
        lines.push(resultLine(entry));
      progress ??= createProgress((text) => ctx.io.err(text), ctx.io.stderrIsTTY, total, 'checked');
      progress.tick(!('error' in entry));
    });
    progress?.done();
    if (ctx.json) ctx.io.out(toJson(summary));
    else
      ctx.io.out(
        `${lines.join('')}Checked ${summary.checked} live subscriptions and ${summary.orphans} workflows running without a row: ${summary.restarted.length} restarted, ${summary.canceled.length} canceled, ${summary.ended.length} ended, ${summary.stopsResent.length} stops re-sent, ${summary.restored.length} restored from Temporal, ${ledgerRows(summary)} ledger rows restored, ${summary.planChangesRestored.reduce((n, s) => n + s.changes.length, 0)} plan changes restored, ${summary.failed.length} not repaired.\n`,
      );
    return summary.failed.length > 0 ? 1 : 0;
  },
};
