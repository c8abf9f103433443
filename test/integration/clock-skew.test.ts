// Issue 13 §2 on the real stack: the daemon's host clock runs ahead of Amazon's (the simulator,
// which refuses an x-amz-pay-date more than 5 s in its future). Every cycle is still charged
// exactly once, with one idempotency key per cycle, and no subscription waits for an admin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec, statusHistory } from '../support/subscriptions.js';

describe('a host clock ahead of Amazon Pay', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness({ hostClockAheadMs: 3 * 60_000 });
  });
  afterAll(async () => h?.close());

  async function createChargeAttempts(cp: string): Promise<Array<{ key: string | null; status: number; outcome: string }>> {
    const { attempts } = await h.control.attempts();
    return attempts.filter((a) => a.chargePermissionId === cp).map((a) => ({ key: a.idempotencyKey, status: a.status, outcome: a.outcome }));
  }

  it('three minutes ahead from the start, then ten more mid-run: each cycle charged once, same key, never needs_attention', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('skew-1', cp, { seconds: 3, firstInSeconds: 1, cycles: 3 }));

    // After the first charge, the host clock jumps ten more minutes ahead (a VM resumed, NTP off).
    await eventually(
      () => ledger(h, 'skew-1'),
      (rows) => rows.some((r) => r.cycle === 0 && r.state === 'Captured'),
      { what: 'cycle 0 captured' },
    );
    h.setHostClockAheadMs(13 * 60_000);

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 3 });
    await expectEachCycleChargedOnce(h, 'skew-1', cp, 3);
    // One attempt per cycle in the ledger: the refusal never became a new attempt with a new key.
    expect((await ledger(h, 'skew-1')).map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Captured'],
      [1, 1, 'Captured'],
      [2, 1, 'Captured'],
    ]);

    // The jump made Amazon refuse a Create Charge for its date; the same key then created the charge.
    const attempts = await createChargeAttempts(cp);
    const refused = attempts.filter((a) => a.status === 400);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.every((a) => a.outcome === 'InvalidHeaderValue')).toBe(true);
    const created = attempts.filter((a) => a.status === 201);
    expect(created).toHaveLength(3);
    for (const r of refused) expect(created.map((c) => c.key)).toContain(r.key);
    expect(h.amazonPay.clockOffsetMs()).toBeLessThanOrEqual(-13 * 60_000);
    expect(h.amazonPay.clockOffsetMs()).toBeGreaterThan(-13 * 60_000 - 5_000);

    const history = await statusHistory(h, 'skew-1');
    expect(history.map((e) => e.to)).not.toContain('needs_attention');
  });

  it("issue 13's case: after a soft decline the clock jumps ahead; the dunning read and retry go through", async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined'] });
    const { handle } = await h.launch(shortSpec('skew-dunning', cp, { cycles: 1 }), { dunningRetryDelaysMs: [3_000, 3_000] });
    await eventually(
      () => ledger(h, 'skew-dunning'),
      (rows) => rows.some((r) => r.state === 'Refused'),
      { what: 'the soft decline' },
    );
    h.setHostClockAheadMs(25 * 60_000); // 12 minutes further ahead than the offset learned so far

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    expect((await ledger(h, 'skew-dunning')).map((r) => [r.cycle, r.attempt, r.state, r.reasonCode])).toEqual([
      [0, 1, 'Refused', 'SoftDeclined'],
      [0, 2, 'Captured', null],
    ]);
    await expectEachCycleChargedOnce(h, 'skew-dunning', cp, 1);
    expect(h.amazonPay.clockOffsetMs()).toBeLessThanOrEqual(-25 * 60_000);
    const history = await statusHistory(h, 'skew-dunning');
    expect(history.map((e) => `${e.to}:${e.reason}`)).toEqual(['active:Created', 'past_due:SoftDeclined', 'active:null', 'ended:TermCompleted']);
  });
});
