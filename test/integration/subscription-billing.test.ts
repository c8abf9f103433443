import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCharges } from '../../db/queries/charges.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { stateQuery } from '../../workflows/messages.js';
import { anchorSecondsFromNow, eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';

describe('subscription workflow against the simulator', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  it('bills several short sandbox cycles, each exactly once, with keys and ChargeIds in PostgreSQL', async () => {
    const { chargePermission } = await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    const { handle } = await h.launch({
      id: 'sub-cycles-1',
      chargePermissionId: cp,
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'second', count: 2 } },
      anchor: anchorSecondsFromNow(1),
      end: { afterCycles: 3 },
    });
    const result = await handle.result();
    expect(result).toEqual({ status: 'ended', reason: 'TermCompleted', cycle: 3 });

    const simulated = (await h.control.charges()).filter((c) => c.chargePermissionId === cp);
    expect(simulated).toHaveLength(3);
    expect(simulated.every((c) => c.state === 'Captured' && c.amount === '14.00' && c.currency === 'USD')).toBe(true);

    const ledger = await listCharges(h.database.db, 'sub-cycles-1');
    expect(ledger.map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Captured'],
      [1, 1, 'Captured'],
      [2, 1, 'Captured'],
    ]);
    expect(new Set(ledger.map((r) => r.idempotencyKey)).size).toBe(3);
    // The worker's Create Charge rate limit on every send (the forecast's capacity evidence).
    expect(ledger.map((r) => r.rateLimitPerSecond)).toEqual([100, 100, 100]);
    expect(ledger.map((r) => r.chargeId).sort()).toEqual(simulated.map((c) => c.chargeId).sort());
    expect(ledger.map((r) => r.idempotencyKey).sort()).toEqual(simulated.map((c) => c.idempotencyKey).sort());
    const row = await getSubscription(h.database.db, 'sub-cycles-1');
    expect(row?.status).toBe('ended');
    expect(row?.endedAt).not.toBeNull();
  });

  it('records a checkout charge as cycle 0 and never charges it again', async () => {
    const { chargePermission, firstChargeId } = await h.control.createChargePermission({ type: 'Recurring', currency: 'EUR', firstCharge: { amount: '9.99' } });
    const cp = chargePermission.chargePermissionId;
    const { handle } = await h.launch({
      id: 'sub-checkout-1',
      chargePermissionId: cp,
      plan: { amountMinor: '999', currency: 'EUR', interval: { unit: 'second', count: 1 } },
      anchor: anchorSecondsFromNow(0),
      end: { afterCycles: 3 },
      firstChargeId: firstChargeId!,
    });
    await handle.result();
    const simulated = (await h.control.charges()).filter((c) => c.chargePermissionId === cp);
    expect(simulated).toHaveLength(3); // the checkout charge + cycles 1 and 2
    const ledger = await listCharges(h.database.db, 'sub-checkout-1');
    expect(ledger.map((r) => [r.cycle, r.attempt, r.chargeId === firstChargeId, r.rateLimitPerSecond])).toEqual([
      [0, 0, true, null], // the buyer's checkout made it: no Create Charge send of the daemon's
      [1, 1, false, 100],
      [2, 1, false, 100],
    ]);
  });

  it('starting the same subscription twice makes one workflow', async () => {
    const { chargePermission } = await h.control.createChargePermission({ type: 'PaymentMethodOnFile', currency: 'USD' });
    const spec = {
      id: 'sub-twice-1',
      chargePermissionId: chargePermission.chargePermissionId,
      plan: { amountMinor: '500', currency: 'USD', interval: { unit: 'month' as const, count: 1 } },
      anchor: { localDateTime: '2099-01-31T09:00:00', zone: 'America/New_York' },
    };
    const first = await h.launch(spec);
    const second = await h.launch(spec);
    expect(second.created).toBe(false);
    expect(second.handle.workflowId).toBe(first.handle.workflowId);
    const firstRun = (await first.handle.describe()).runId;
    const secondRun = (await second.handle.describe()).runId;
    expect(secondRun).toBe(firstRun);
    // The query reports the next billing time once the workflow has recorded it.
    const state = await eventually(
      () => first.handle.query(stateQuery),
      (s) => s.nextBillingAt !== null,
      { what: 'next billing time' },
    );
    expect(state.nextBillingAt).toBe('2099-01-31T14:00:00.000Z');
    await first.handle.terminate('test cleanup');
  });
});
