// `billing demo`: a guided tour in the sandbox. Creates buyers in the Amazon Pay simulator and
// minute-long subscriptions that show every path of the product, then plays the buyers' part
// (closing a permission, fixing a payment method) while the daemon bills.
import { intOption, JSON_OPTION_HELP, type Command, type CommandContext } from '../cli/command.js';
import { UsageError } from '../cli/errors.js';
import { collectProblems } from '../cli/problems.js';
import { table, toJson } from '../cli/format.js';
import { listCharges } from '../../db/queries/charges.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { createSimulatorControl, type SimulatorControl } from '../../simulator/control-client.js';
import type { ConnectedBillingClient } from '../connect.js';
import { anchorAt } from '../subscriptions/start.js';
import type { BillingPolicy } from '../../workflows/types.js';

interface DemoSubscription {
  id: string;
  story: string;
  chargePermissionId: string;
}

/** Demo waits are seconds, not the production policy's days, so the whole story fits in minutes. */
const DEMO_POLICY: Partial<BillingPolicy> = {
  dunningRetryDelaysMs: [20_000, 20_000, 20_000],
  paymentMethodCheckIntervalMs: 20_000,
  paymentMethodGraceMs: 15 * 60_000,
};

export const demoCommand: Command = {
  name: 'demo',
  summary: 'sandbox only: create demo buyers and minute-long subscriptions to watch in the Web UI',
  positionals: [0, 0],
  options: { 'no-wait': { type: 'boolean' }, 'wait-minutes': { type: 'string' }, cycles: { type: 'string' } },
  help: `Usage: billing demo [--cycles n] [--wait-minutes n] [--no-wait] [--json]

Needs the dev stack (\`npm run dev\`) with the Amazon Pay simulator; refuses with live credentials.
Creates four buyers (Charge Permissions in the simulator) and one subscription each, billed every
minute for --cycles cycles (3-60, default 8):
  clean        bills every minute without trouble
  soft         the first two charges soft-decline; dunning retries 20 s later and recovers
  closes       the buyer closes the Charge Permission after two paid cycles: billing stops
  hard         the first charge hard-declines: payment_method_required until the buyer fixes
               the payment method (about a minute later), then billing continues
The command then stays (up to --wait-minutes, 1-30, default 5) to play the buyers: it closes the third
permission after its second charge and fixes the fourth buyer's payment method. --no-wait only
creates them (the "closes" and "hard" stories then stop at their first step).

Options:
  --cycles <n>                 cycles each subscription bills, 3-60 (default 8)
  --wait-minutes <n>           how long to play the buyers, 1-30 (default 5)
  --no-wait                    only create the subscriptions
${JSON_OPTION_HELP}

Example:
  npm run dev            # in another terminal
  npx billing demo
`,
  async run(ctx, values) {
    // Both numbers are checked before anything is created (a bad --wait-minutes used to be found
    // only after the four subscriptions had started).
    const c = collectProblems();
    const cycles = c.attempt(() => intOption(values, 'cycles', 3, 60)) ?? 8;
    const minutes = c.attempt(() => intOption(values, 'wait-minutes', 1, 30)) ?? 5;
    c.throwIfAny();
    const connected = await ctx.connect();
    const { client, endpoints, deps } = connected;
    if (deps.environment !== 'sandbox' || !/^http:\/\//.test(endpoints.amazonPay)) {
      throw new UsageError(
        'billing demo runs only against the sandbox simulator; AMAZON_PAY_* points at a real Amazon Pay account (unset it, or set AMAZON_PAY_ENVIRONMENT=sandbox with AMAZON_PAY_ENDPOINT of a simulator)',
      );
    }
    const control = createSimulatorControl(endpoints.amazonPay);
    try {
      await control.health();
    } catch {
      throw new UsageError(`billing demo needs the Amazon Pay simulator at ${endpoints.amazonPay}/__sim; start the dev stack with \`npm run dev\``);
    }
    const prefix = `demo-${new Date().toISOString().slice(11, 19).replace(/:/g, '')}`;
    const stories: Array<{ key: string; story: string; script?: string[] }> = [
      { key: 'clean', story: 'bills every minute' },
      { key: 'soft', story: 'soft-declines twice, dunning recovers', script: ['SoftDeclined', 'SoftDeclined'] },
      { key: 'closes', story: 'buyer closes the Charge Permission after 2 cycles' },
      { key: 'hard', story: 'hard decline, buyer fixes the payment method', script: ['HardDeclined'] },
    ];
    const created: DemoSubscription[] = [];
    for (const s of stories) {
      const { chargePermission } = await control.createChargePermission({ type: 'Recurring', currency: 'USD' });
      const cp = chargePermission.chargePermissionId;
      if (s.script) await control.setScript(cp, { next: s.script, mode: null });
      const id = `${prefix}-${s.key}`;
      await client.startSubscription({
        id,
        chargePermissionId: cp,
        plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'minute', count: 1 } },
        anchor: anchorAt(new Date(Date.now() + 5_000), 'America/New_York'),
        end: { afterCycles: cycles },
        softDescriptor: 'DEMO SUB',
        policy: DEMO_POLICY,
      });
      created.push({ id, story: s.story, chargePermissionId: cp });
    }
    const ui = webUi(connected);
    if (ctx.json) ctx.io.out(toJson({ subscriptions: created, webUi: ui }));
    else {
      ctx.io.out(`Created ${created.length} demo subscriptions (14.00 USD every minute, ${cycles} cycles):\n`);
      ctx.io.out(
        table(
          ['subscription', 'charge permission', 'story'],
          created.map((c) => [c.id, c.chargePermissionId, c.story]),
        ),
      );
      if (ui) {
        const links: Array<[string, string]> = [
          ['all demo workflows', ui.list(`WorkflowId STARTS_WITH "subscription-${prefix}"`)],
          ['in dunning', ui.list('BillingStatus="past_due"')],
          ['waiting for buyer', ui.list('BillingStatus="payment_method_required"')],
          ...created.map((c): [string, string] => [c.id, ui.workflow(`subscription-${c.id}`)]),
        ];
        const width = Math.max(...links.map(([label]) => label.length));
        ctx.io.out(`\nWatch them in the Temporal Web UI:\n${links.map(([label, url]) => `  ${label.padEnd(width)}  ${url}`).join('\n')}\n`);
      }
      ctx.io.out(`\nOr here: npx billing list; npx billing show ${created[0]?.id ?? ''}\n`);
    }
    if (values['no-wait'] === true) return 0;
    await playBuyers(ctx, connected, control, created, minutes);
    return 0;
  },
};

/** Plays the buyers of the "closes" and "hard" stories until both happened or time runs out. */
async function playBuyers(
  ctx: CommandContext,
  connected: ConnectedBillingClient,
  control: SimulatorControl,
  created: DemoSubscription[],
  minutes: number,
): Promise<void> {
  const say = (line: string): void => ctx.io.err(`[demo ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const closes = created.find((c) => c.id.endsWith('-closes'));
  const hard = created.find((c) => c.id.endsWith('-hard'));
  const db = connected.deps.db;
  let closed = false;
  let declinedAt: number | undefined;
  let fixed = false;
  const deadline = Date.now() + minutes * 60_000;
  say(`playing the buyers for up to ${minutes} min (Ctrl-C leaves the subscriptions running)`);
  while (Date.now() < deadline && !(closed && fixed)) {
    if (closes && !closed) {
      const paid = (await listCharges(db, closes.id)).filter((c) => c.state === 'Captured').length;
      if (paid >= 2) {
        await control.closeChargePermission(closes.chargePermissionId, 'buyer');
        closed = true;
        say(`${closes.id}: the buyer closed Charge Permission ${closes.chargePermissionId} after ${paid} paid cycles; the next cycle is not billed`);
      }
    }
    if (hard && !fixed) {
      const row = await getSubscription(db, hard.id);
      if (declinedAt === undefined && row?.status === 'payment_method_required') {
        declinedAt = Date.now();
        await control.makeNonChargeable(hard.chargePermissionId, 'PaymentMethodExpired');
        say(`${hard.id}: hard decline; the buyer's card has expired (permission NonChargeable) — status payment_method_required`);
      } else if (declinedAt !== undefined && Date.now() - declinedAt > 45_000) {
        await control.makeChargeable(hard.chargePermissionId);
        fixed = true;
        say(`${hard.id}: the buyer updated the payment method; billing resumes at the next permission check`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
  say(closed && fixed ? 'both buyers acted; the daemon keeps billing the rest' : 'stopped waiting; run `npx billing show <id>` to follow up');
}

function webUi(connected: ConnectedBillingClient): { list(query: string): string; workflow(id: string): string } | undefined {
  const { config, endpoints } = connected;
  const dev = config.temporal.devServer;
  if (config.temporal.connection.address !== null && config.temporal.connection.address !== `${dev.ip}:${dev.port}`) return undefined;
  if (dev.uiPort === null) return undefined;
  const base = `http://${dev.ip}:${dev.uiPort}/namespaces/${encodeURIComponent(endpoints.namespace)}`;
  return {
    list: (query) => `${base}/workflows?query=${encodeURIComponent(query)}`,
    workflow: (id) => `${base}/workflows/${encodeURIComponent(id)}`,
  };
}
