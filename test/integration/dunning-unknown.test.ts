// An outcome that stays unknown after every retry: the charge may exist, so the cycle must never
// be tried with a new key. It waits in needs_attention; an admin's resume retries the SAME key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec, simulatorCharges, statusHistory } from '../support/subscriptions.js';
import { SCENARIOS, STATUS_WRITE_UNRECORDED } from '../replay/scenarios.js';

describe('charge outcome unknown', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  it('ends in needs_attention, never charges with a new key, and an admin resume reuses the key', async () => {
    const cp = await newPermission(h);
    // The first request is committed but its answer lost; every later one fails with 503.
    await h.control.setFaults({ responseLostRate: 1, responseLostMode: 'status503' });
    const { handle } = await h.launch(shortSpec('unknown-1', cp, { cycles: 1 }), { chargeRetryWindowMs: 6_000 });
    await eventually(
      () => simulatorCharges(h, cp),
      (c) => c.length === 1,
      { what: 'the committed charge' },
    );
    await h.control.setFaults({ responseLostRate: 0, error503Rate: 1 });

    const state = await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'needs_attention',
      { what: 'needs_attention' },
    );
    expect(state).toMatchObject({ statusReason: 'ChargeOutcomeUnknown', cycle: 0, attempt: 1, outstanding: { cycle: 0, attempt: 1 } });
    // The query answers from memory; the row follows once the status activity has run.
    const stored = await eventually(
      () => getSubscription(h.database.db, 'unknown-1'),
      (r) => r?.status === 'needs_attention',
      { what: 'needs_attention in PostgreSQL' },
    );
    expect(stored).toMatchObject({ status: 'needs_attention', statusReason: 'ChargeOutcomeUnknown' });
    const [row] = await ledger(h, 'unknown-1');
    expect(row).toMatchObject({ attempt: 1, state: 'pending', chargeId: null });
    const keysBefore = new Set((await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp).map((a) => a.idempotencyKey));
    expect([...keysBefore]).toEqual([row!.idempotencyKey]);

    // Amazon is healthy again; the admin resumes: the same key comes back as a replay.
    await h.control.setFaults({ error503Rate: 0 });
    await handle.signal(resumeSignal, { reason: 'operator checked Amazon Pay' });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 1 });

    const ours = (await h.control.attempts()).attempts.filter((a) => a.chargePermissionId === cp);
    expect(new Set(ours.map((a) => a.idempotencyKey))).toEqual(keysBefore);
    expect(ours.filter((a) => a.outcome === 'Created')).toHaveLength(1);
    expect(ours.at(-1)?.outcome).toBe('Replayed');
    expect((await ledger(h, 'unknown-1')).map((r) => [r.attempt, r.state])).toEqual([[1, 'Captured']]);
    await expectEachCycleChargedOnce(h, 'unknown-1', cp, 1);
  });

  // Each status write does one job, and the workflow knows what the row says (the status it last
  // wrote): a status the database could not take is not taken as written. The run is the replay
  // scenario that recorded this shape.
  it('a needs_attention the database could not take is written at the next failure, then the status before it comes back', async () => {
    // Throws unless PostgreSQL showed past_due while the query showed needs_attention, and then needs_attention.
    await SCENARIOS.find((s) => s.name === STATUS_WRITE_UNRECORDED)!.run(h);
    const events = (await statusHistory(h, 'replay-unrecorded-status')).map((e) => [e.to, e.reason]);
    const failed = events.findIndex(([to, reason]) => to === 'needs_attention' && reason === 'CallFailed:getPermissionStatus');
    expect(failed).toBeGreaterThan(0);
    expect(events[failed - 1]).toEqual(['past_due', 'SoftDeclined']);
    expect(events[failed + 1]).toEqual(['past_due', 'SoftDeclined']);
    expect((await getSubscription(h.database.db, 'replay-unrecorded-status'))?.status).toBe('ended');
  }, 120_000);
});
