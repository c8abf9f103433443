// `billing repair` restores a subscription that was waiting (found by a fresh review of issue
// 13): `unpaid` means billing stops until an admin resumes, and `payment_method_required` keeps
// waiting for the buyer's fix with the grace counted from the cycle's first hard decline. A
// repair used to turn both into `active` and charge at once. A pending cancel-at-period-end,
// which lives only in the workflow, is read from the old run's history and kept.
import { beforeAll, describe, expect, it } from 'vitest';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { cancelSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, type BillingHarness } from '../support/billing-harness.js';
import { useCliHarness, type CliHarness } from '../support/cli-harness.js';
import { ledger, newPermission, shortSpec, statusHistory, type SubscriptionHandle } from '../support/subscriptions.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('billing repair restores a waiting subscription', () => {
  const stack = useCliHarness();
  let h: BillingHarness;
  let cli: CliHarness;
  beforeAll(() => {
    ({ h, cli } = stack);
  });

  /** Repairs `id` with the CLI, checks its output names `restored`, and returns the new run. */
  async function repairSaying(handle: SubscriptionHandle, id: string, restored: string) {
    const run = await cli.run(['repair', id]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(restored);
    return h.temporal.client.workflow.getHandle(handle.workflowId);
  }

  it('unpaid stays unpaid: nothing is charged until an admin resumes', async () => {
    const id = 'repair-unpaid';
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined'] });
    const { handle } = await h.launch(shortSpec(id, cp, { cycles: 1 }), { dunningRetryDelaysMs: [], finalAction: 'mark_unpaid' });
    await eventually(() => handle.query(stateQuery), (s) => s.status === 'unpaid', { what: 'unpaid' });
    await handle.terminate('worker host lost');

    const repaired = await repairSaying(handle, id, 'waits in unpaid as before (DunningExhausted:SoftDeclined)');
    await sleep(3_000);
    expect(await ledger(h, id)).toHaveLength(1);
    expect(await getSubscription(h.database.db, id)).toMatchObject({ status: 'unpaid', statusReason: 'DunningExhausted:SoftDeclined' });
    expect(await repaired.query(stateQuery)).toMatchObject({ status: 'unpaid', cycle: 0 });

    await repaired.signal(resumeSignal, { reason: 'admin retry' });
    expect(await repaired.result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await ledger(h, id)).map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Refused'],
      [0, 2, 'Captured'],
    ]);
  }, 60_000);

  it('payment_method_required keeps waiting, its grace counted from the first hard decline', async () => {
    const id = 'repair-pmr';
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['HardDeclined'] });
    const graceMs = 20_000;
    const { handle } = await h.launch(shortSpec(id, cp, { cycles: 1 }), { paymentMethodGraceMs: graceMs, paymentMethodCheckIntervalMs: 60_000, finalAction: 'cancel' });
    await eventually(() => handle.query(stateQuery), (s) => s.status === 'payment_method_required', { what: 'payment_method_required' });
    const declinedAt = (await ledger(h, id))[0]!.completedAt!.getTime();
    await sleep(4_000);
    await handle.terminate('worker host lost');

    const repairedAt = Date.now();
    const repaired = await repairSaying(handle, id, 'waits in payment_method_required as before (HardDeclined)');
    await sleep(2_000);
    expect(await ledger(h, id)).toHaveLength(1);
    expect(await getSubscription(h.database.db, id)).toMatchObject({ status: 'payment_method_required', statusReason: 'HardDeclined' });

    // No fix: the grace that was left runs out, counted from the decline, not from the repair.
    expect(await repaired.result()).toMatchObject({ status: 'canceled', reason: 'PaymentMethodGraceExpired:HardDeclined' });
    const canceledAt = (await statusHistory(h, id)).at(-1)!.at.getTime();
    expect(canceledAt - declinedAt).toBeGreaterThanOrEqual(graceMs - 1_000);
    expect(canceledAt - repairedAt).toBeLessThan(graceMs - 2_000);
    expect(await ledger(h, id)).toHaveLength(1);
  }, 90_000);

  it('a pending cancel at period end is kept: the period runs out and nothing is billed after it', async () => {
    const id = 'repair-cancel-period-end';
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec(id, cp, { seconds: 4, cycles: 5 }));
    await eventually(() => handle.query(stateQuery), (s) => s.chargesMade === 1, { what: 'cycle 0 paid' });
    await handle.signal(cancelSignal, { mode: 'period_end', reason: 'BuyerLeaves' });
    await eventually(() => handle.query(stateQuery), (s) => s.cancelAtPeriodEnd, { what: 'cancel at period end noted' });
    await handle.terminate('worker host lost');

    const repaired = await repairSaying(handle, id, 'cancel at period end kept (BuyerLeaves)');
    expect(await repaired.result()).toMatchObject({ status: 'canceled', reason: 'BuyerLeaves', cycle: 1 });
    expect((await ledger(h, id)).map((r) => [r.cycle, r.state])).toEqual([[0, 'Captured']]);
  }, 60_000);
});
