// Pending authorizations (canHandlePendingAuthorization): the cycle waits for the charge's final
// state, learned from the CHARGE IPN's signal or, without one, by polling Get Charge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeUpdateSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec, statusHistory } from '../support/subscriptions.js';

describe('pending authorization', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    // The simulator never resolves a pending charge by itself within a test (1 hour).
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  async function pendingRow(id: string) {
    const [row] = await eventually(
      async () => (await ledger(h, id)).filter((r) => r.state === 'AuthorizationInitiated'),
      (rows) => rows.length === 1,
      { what: `${id}: a pending authorization in the ledger` },
    );
    return row!;
  }

  it('resolved by the chargeUpdate signal (what the IPN pipeline sends)', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['AuthorizationInitiated:Captured'] });
    // Polling far beyond the test: only the signal can settle it.
    const { handle } = await h.launch(shortSpec('pending-signal', cp, { cycles: 2, seconds: 2 }), {
      usePendingAuthorization: true,
      pendingPollInitialMs: 10 * 60_000,
    });
    const row = await pendingRow('pending-signal');
    expect(row).toMatchObject({ cycle: 0, attempt: 1, outcome: 'ok' });
    expect(
      (
        await eventually(
          () => handle.query(stateQuery),
          (st) => st.statusReason === 'AuthorizationPending',
          { what: 'query: AuthorizationPending' },
        )
      ).statusReason,
    ).toBe('AuthorizationPending');

    const charge = await h.control.resolveCharge(row.chargeId!);
    expect(charge.statusDetails.state).toBe('Captured');
    await handle.signal(chargeUpdateSignal, { chargeId: row.chargeId!, state: 'Captured', reasonCode: null });

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 2 });
    const rows = await ledger(h, 'pending-signal');
    expect(rows.map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Captured'],
      [1, 1, 'Captured'],
    ]);
    await expectEachCycleChargedOnce(h, 'pending-signal', cp, 2);
    const reasons = (await statusHistory(h, 'pending-signal')).map((e) => `${e.to}:${e.reason}`);
    expect(reasons.slice(0, 3)).toEqual(['active:Created', 'active:AuthorizationPending', 'active:null']);
  });

  it('resolved only by polling Get Charge; a pending decline goes through dunning', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['AuthorizationInitiated:SoftDeclined'] });
    const { handle } = await h.launch(shortSpec('pending-poll', cp, { cycles: 1 }), {
      usePendingAuthorization: true,
      pendingPollInitialMs: 500,
      pendingPollMaxMs: 1_000,
      dunningRetryDelaysMs: [500],
    });
    const row = await pendingRow('pending-poll');
    const charge = await h.control.resolveCharge(row.chargeId!);
    expect(charge.statusDetails).toMatchObject({ state: 'Declined', reasonCode: 'SoftDeclined' });

    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });
    const rows = await ledger(h, 'pending-poll');
    expect(rows.map((r) => [r.attempt, r.state, r.reasonCode])).toEqual([
      [1, 'Declined', 'SoftDeclined'],
      [2, 'Captured', null],
    ]);
    expect(rows[0]!.chargeId).toBe(row.chargeId);
    await expectEachCycleChargedOnce(h, 'pending-poll', cp, 1);
    const reasons = (await statusHistory(h, 'pending-poll')).map((e) => `${e.to}:${e.reason}`);
    expect(reasons).toEqual(['active:Created', 'active:AuthorizationPending', 'past_due:SoftDeclined', 'active:null', 'ended:TermCompleted']);
  });
  it('never resolved: after pendingMaxWaitMs it goes to needs_attention, with no new attempt', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['AuthorizationInitiated:Captured'] });
    const { handle } = await h.launch(shortSpec('pending-never', cp, { cycles: 1 }), {
      usePendingAuthorization: true,
      pendingPollInitialMs: 300,
      pendingPollMaxMs: 500,
      pendingMaxWaitMs: 2_000,
    });
    const row = await pendingRow('pending-never');
    const state = await eventually(
      () => handle.query(stateQuery),
      (st) => st.status === 'needs_attention',
      { what: 'needs_attention' },
    );
    expect(state).toMatchObject({ statusReason: 'PendingAuthorizationUnresolved', cycle: 0, attempt: 1 });
    const history = await statusHistory(h, 'pending-never');
    const pendingAt = history.find((e) => e.reason === 'AuthorizationPending')!.at.getTime();
    const attention = await eventually(
      async () => (await statusHistory(h, 'pending-never')).find((e) => e.to === 'needs_attention'),
      (e) => e !== undefined,
      { what: 'needs_attention in PostgreSQL' },
    );
    expect(attention!.at.getTime() - pendingAt).toBeGreaterThanOrEqual(2_000);
    // Polled, never charged again: one Create Charge, still pending at Amazon.
    expect((await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp)).toHaveLength(1);
    expect((await ledger(h, 'pending-never')).map((r) => [r.attempt, r.chargeId, r.state])).toEqual([[1, row.chargeId, 'AuthorizationInitiated']]);
    await handle.terminate('test cleanup');
  });
});
