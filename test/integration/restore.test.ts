// docs/deploy.md "Backup and restore": what happens to subscriptions when the daemon's PostgreSQL
// database and Temporal's persistence are restored from a backup — both to the same point,
// Temporal alone to an older point (or lost), the database alone to an older point. Real parts:
// a Temporal dev server on a SQLite file (stopped, copied, put back), the daemon's database copied
// with CREATE DATABASE … TEMPLATE, the product's workers, and the Amazon Pay simulator, which is
// never restored: like Amazon Pay, it remembers every charge and idempotency key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateQuery } from '../../workflows/messages.js';
import { eventually } from '../support/billing-harness.js';
import { startRestorableStack, type RestorableStack } from '../support/restorable-stack.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec, type SubscriptionHandle } from '../support/subscriptions.js';

describe('restore from a backup', () => {
  let stack: RestorableStack;
  beforeAll(async () => {
    stack = await startRestorableStack();
  });
  afterAll(async () => stack?.close());

  /** The simulator's Create Charge answers for one Charge Permission, in order: [cycle key, outcome, ChargeId]. */
  async function answers(cp: string): Promise<{ key: string | null; outcome: string; chargeId: string | null }[]> {
    return (await stack.h.control.attempts()).attempts
      .filter((a) => a.chargePermissionId === cp)
      .map((a) => ({ key: a.idempotencyKey, outcome: a.outcome, chargeId: a.chargeId }));
  }

  /** Waits until the workflow has paid `cycle` and sleeps until the next one. */
  async function paidAndSleeping(handle: SubscriptionHandle, id: string, cycle: number): Promise<void> {
    await eventually(
      () => ledger(stack.h, id),
      (rows) => rows.some((r) => r.cycle === cycle && r.state === 'Captured'),
      { what: `${id}: cycle ${cycle} paid` },
    );
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle === cycle + 1 && s.nextBillingAt !== null,
      { what: `${id}: asleep until cycle ${cycle + 1}` },
    );
  }

  it('both restored to the same point: the cycle charged after the backup is sent again with its key, Amazon Pay replays it, one charge', async () => {
    const { h } = stack;
    const cp = await newPermission(h);
    const id = 'restore-same-point';
    const { handle } = await h.launch(shortSpec(id, cp, { seconds: 8, firstInSeconds: 1, cycles: 3 }));
    await paidAndSleeping(handle, id, 0);

    await stack.stop();
    await stack.backup('same-point');
    await stack.start();

    // Cycle 1 comes due after the backup point: charged, recorded in the ledger with its ChargeId.
    await paidAndSleeping(handle, id, 1);
    const [afterBackup] = (await ledger(h, id)).filter((r) => r.cycle === 1);
    expect(await answers(cp)).toEqual([
      expect.objectContaining({ outcome: 'Created' }),
      { key: afterBackup!.idempotencyKey, outcome: 'Created', chargeId: afterBackup!.chargeId },
    ]);

    await stack.stop();
    await stack.restoreTemporal('same-point');
    await stack.restoreDatabase('same-point');
    // Back at the backup point: the database knows nothing of cycle 1.
    expect((await ledger(h, id)).map((r) => r.cycle)).toEqual([0]);
    await stack.start();

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 3 });
    const cycle1 = (await answers(cp)).filter((a) => a.key === afterBackup!.idempotencyKey);
    expect(cycle1.map((a) => a.outcome)).toEqual(['Created', 'Replayed']);
    expect(new Set(cycle1.map((a) => a.chargeId))).toEqual(new Set([afterBackup!.chargeId]));
    await expectEachCycleChargedOnce(h, id, cp, 3);
    const rows = await ledger(h, id);
    expect(rows.map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Captured'],
      [1, 1, 'Captured'],
      [2, 1, 'Captured'],
    ]);
    expect(rows[1]).toMatchObject({ idempotencyKey: afterBackup!.idempotencyKey, chargeId: afterBackup!.chargeId });
  });
});
