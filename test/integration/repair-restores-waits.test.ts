// `billing repair` restores a subscription that was waiting (found by a fresh review of issue
// 13): `unpaid` means billing stops until an admin resumes, and `payment_method_required` keeps
// waiting for the buyer's fix with the grace counted from the cycle's first hard decline. A
// repair used to turn both into `active` and charge at once. A pending cancel-at-period-end,
// which lives only in the workflow, is read from the old run's history and kept.
import { beforeAll, describe, expect, it } from 'vitest';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { cancelSignal, pauseSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, type BillingHarness } from '../support/billing-harness.js';
import { useCliHarness, type CliHarness } from '../support/cli-harness.js';
import { ledger, newPermission, shortSpec, simulatorCharges, statusHistory, type SubscriptionHandle } from '../support/subscriptions.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The cases wait on short billing intervals and grace periods, each on its own subscription and
// Charge Permission: they run side by side. The one that changes the simulator's faults for every
// request runs alone (it.sequential).
describe.concurrent('billing repair restores a waiting subscription', () => {
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
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'unpaid',
      { what: 'unpaid' },
    );
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
    const graceMs = 30_000;
    const { handle } = await h.launch(shortSpec(id, cp, { cycles: 1 }), {
      paymentMethodGraceMs: graceMs,
      paymentMethodCheckIntervalMs: 60_000,
      finalAction: 'cancel',
    });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'payment_method_required',
      { what: 'payment_method_required' },
    );
    const declinedAt = (await ledger(h, id))[0]!.completedAt!.getTime();
    // 8 s of the grace pass before the crash: counted from the decline it ends about 22 s after the
    // repair, from the repair it would end 30 s after — room for a loaded machine on both sides.
    await sleep(8_000);
    await handle.terminate('worker host lost');

    const repairedAt = Date.now();
    const repaired = await repairSaying(handle, id, 'waits in payment_method_required as before (HardDeclined)');
    await sleep(2_000);
    expect(await ledger(h, id)).toHaveLength(1);
    const restored = await getSubscription(h.database.db, id);
    // Still waiting — unless a loaded machine took the rest of the grace for the repair itself.
    const waiting = { status: 'payment_method_required', statusReason: 'HardDeclined' };
    const expired = { status: 'canceled', statusReason: 'PaymentMethodGraceExpired:HardDeclined' };
    expect({ status: restored?.status, statusReason: restored?.statusReason }).toEqual(
      Date.now() - declinedAt < graceMs - 1_000 ? waiting : expect.toBeOneOf([waiting, expired]),
    );

    // No fix: the grace that was left runs out, counted from the decline, not from the repair.
    expect(await repaired.result()).toMatchObject({ status: 'canceled', reason: 'PaymentMethodGraceExpired:HardDeclined' });
    const canceledAt = (await statusHistory(h, id)).at(-1)!.at.getTime();
    expect(canceledAt - declinedAt).toBeGreaterThanOrEqual(graceMs - 1_000);
    expect(canceledAt - repairedAt).toBeLessThan(graceMs - 4_000);
    expect(await ledger(h, id)).toHaveLength(1);
  }, 90_000);

  it('a pending cancel at period end is kept: the period runs out and nothing is billed after it', async () => {
    const id = 'repair-cancel-period-end';
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec(id, cp, { seconds: 4, cycles: 5 }));
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.chargesMade === 1,
      { what: 'cycle 0 paid' },
    );
    await handle.signal(cancelSignal, { mode: 'period_end', reason: 'BuyerLeaves' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.cancelAtPeriodEnd,
      { what: 'cancel at period end noted' },
    );
    await handle.terminate('worker host lost');

    const repaired = await repairSaying(handle, id, 'cancel at period end kept (BuyerLeaves)');
    expect(await repaired.result()).toMatchObject({ status: 'canceled', reason: 'BuyerLeaves', cycle: 1 });
    expect((await ledger(h, id)).map((r) => [r.cycle, r.state])).toEqual([[0, 'Captured']]);
  }, 60_000);

  it('a pause that held unpaid is restored with its wait: the resume that lifts the pause leaves the cycle unpaid, an admin retry bills it', async () => {
    const id = 'repair-paused-unpaid';
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined'] });
    const { handle } = await h.launch(shortSpec(id, cp, { seconds: 3, cycles: 10 }), { dunningRetryDelaysMs: [], finalAction: 'mark_unpaid' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'unpaid',
      { what: 'unpaid' },
    );
    await handle.signal(pauseSignal, { reason: 'operator hold' });
    await eventually(
      () => getSubscription(h.database.db, id),
      (r) => r?.status === 'paused',
      { what: 'row paused' },
    );
    await handle.terminate('worker host lost');
    const unpaidEvents = async () => (await statusHistory(h, id)).filter((e) => e.to === 'unpaid').length;
    const unpaidBefore = await unpaidEvents();

    const repaired = await repairSaying(
      handle,
      id,
      'stays paused (nothing is charged until it is resumed), then waits in unpaid as before (DunningExhausted:SoftDeclined)',
    );
    await eventually(
      () => repaired.query(stateQuery),
      (s) => s.status === 'paused' && s.paused,
      { what: 'paused after the repair' },
    );
    // The repaired run shows the pause over its wait from the start: the row never says unpaid meanwhile.
    expect(await unpaidEvents()).toBe(unpaidBefore);
    await repaired.signal(resumeSignal, { reason: 'lift the pause' });
    // Without a repair, a resume that lifts a pause leaves the cycle in unpaid (README "Messages").
    await eventually(
      () => repaired.query(stateQuery),
      (s) => s.status === 'unpaid' && !s.paused,
      { what: 'unpaid again' },
    );
    await sleep(4_000);
    expect(await repaired.query(stateQuery)).toMatchObject({ status: 'unpaid', cycle: 0 });
    expect(await ledger(h, id)).toHaveLength(1);

    await repaired.signal(resumeSignal, { reason: 'admin retry' });
    await eventually(
      () => ledger(h, id),
      (rows) => rows.some((r) => r.cycle === 0 && r.attempt === 2 && r.state === 'Captured'),
      { what: 'cycle 0 retried' },
    );
    await repaired.terminate('test cleanup');
  }, 60_000);

  it('pauses lifted before the repair keep skipping the cycles due during them', async () => {
    const id = 'repair-pause-windows';
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined'] });
    const spec = shortSpec(id, cp, { seconds: 2, cycles: 30 });
    const dueAt = (cycle: number) => Date.parse(`${spec.anchor.localDateTime}Z`) + cycle * 2_000;
    const { handle } = await h.launch(spec, { dunningRetryDelaysMs: [40_000] });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'past_due',
      { what: 'past_due' },
    );
    await handle.signal(pauseSignal, { reason: 'operator hold' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'paused',
      { what: 'paused' },
    );
    const pausedAt = Date.now();
    await sleep(8_000);
    const resumedAt = Date.now();
    await handle.signal(resumeSignal, { reason: 'go on' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'past_due',
      { what: 'past_due again' },
    );
    await handle.terminate('worker host lost');

    const repaired = await repairSaying(handle, id, 'resumes at cycle 0, attempt 2');
    const rows = await eventually(
      () => ledger(h, id),
      (r) => r.filter((c) => c.state === 'Captured').length >= 3,
      { what: 'three captured', timeoutMs: 30_000 },
    );
    await repaired.terminate('test cleanup');
    const captured = rows.filter((c) => c.state === 'Captured');
    expect(captured[0]).toMatchObject({ cycle: 0, attempt: 2 });
    expect(captured.filter((c) => dueAt(c.cycle) >= pausedAt + 1_000 && dueAt(c.cycle) < resumedAt - 1_000).map((c) => c.cycle)).toEqual([]);
    expect((await statusHistory(h, id)).some((e) => e.reason === 'cycles_skipped_while_paused')).toBe(true);
  }, 60_000);

  it('a payment-method grace a pause held ends as late after the repair as before it', async () => {
    const id = 'repair-paused-grace';
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['HardDeclined'] });
    const graceMs = 12_000;
    const { handle } = await h.launch(shortSpec(id, cp, { cycles: 1 }), {
      paymentMethodGraceMs: graceMs,
      paymentMethodCheckIntervalMs: 60_000,
      finalAction: 'cancel',
    });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'payment_method_required',
      { what: 'payment_method_required' },
    );
    const declinedAt = (await ledger(h, id))[0]!.completedAt!.getTime();
    await handle.signal(pauseSignal, { reason: 'operator hold' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'paused',
      { what: 'paused' },
    );
    await sleep(8_000);
    await handle.signal(resumeSignal, { reason: 'go on' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'payment_method_required',
      { what: 'waiting again' },
    );
    await handle.terminate('worker host lost');

    const repaired = await repairSaying(handle, id, 'waits in payment_method_required as before (HardDeclined)');
    expect(await repaired.result()).toMatchObject({ status: 'canceled', reason: 'PaymentMethodGraceExpired:HardDeclined' });
    // The grace ends 8 s (the pause) after the 12 s from the decline, as it would have without the repair.
    const canceledAt = (await statusHistory(h, id)).at(-1)!.at.getTime();
    expect(canceledAt - declinedAt).toBeGreaterThanOrEqual(graceMs + 7_000);
  }, 60_000);

  it.sequential(
    'a paused unknown charge outcome is sent again with the same key after the resume, not skipped',
    async () => {
      const id = 'repair-paused-unknown';
      const cp = await newPermission(h);
      // The first Create Charge is committed but its answer lost; the retries then meet 503s.
      await h.control.setFaults({ responseLostRate: 1, responseLostMode: 'status503' });
      const { handle } = await h.launch(shortSpec(id, cp, { seconds: 3, cycles: 10 }), { chargeRetryWindowMs: 3_000 });
      await eventually(
        () => simulatorCharges(h, cp),
        (c) => c.length === 1,
        { what: 'the committed charge' },
      );
      await h.control.setFaults({ responseLostRate: 0, error503Rate: 1 });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.statusReason === 'ChargeOutcomeUnknown',
        { what: 'outcome unknown' },
      );
      await h.control.setFaults({ error503Rate: 0 });
      await handle.signal(pauseSignal, { reason: 'operator hold' });
      await eventually(
        () => getSubscription(h.database.db, id),
        (r) => r?.status === 'paused',
        { what: 'row paused' },
      );
      await handle.terminate('worker host lost');

      const repaired = await repairSaying(
        handle,
        id,
        'stays paused (nothing is charged until it is resumed), then resumes at cycle 0, attempt 1 (same idempotency key',
      );
      await sleep(3_000);
      expect(await ledger(h, id)).toHaveLength(1);
      await repaired.signal(resumeSignal, { reason: 'go on' });
      const rows = await eventually(
        () => ledger(h, id),
        (r) => r.some((c) => c.state === 'Captured'),
        { what: 'the same attempt charged' },
      );
      await repaired.terminate('test cleanup');
      expect(rows[0]).toMatchObject({ cycle: 0, attempt: 1, state: 'Captured' });
      // Cycle 0's (keys 'c0a<attempt>_…'): on a loaded machine cycle 1 (3 s later) may be charged before the terminate.
      const ours = (await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp && a.idempotencyKey?.startsWith('c0a'));
      expect(ours.filter((a) => a.outcome === 'Created')).toHaveLength(1);
    },
    60_000,
  );
});
