// A failed activity call in a message handler (found by a fresh review of issue 13; the handler's
// write is recordPlanChange since PLAN_CHANGE_WRITTEN_EXPLICITLY): the guard
// (workflows/guarded-calls.ts) is shared by the changePlan update handler and the main loop.
// It used to snapshot the status before the handler's call failed and write that snapshot back
// when the call recovered, although the main loop had moved on meanwhile (a stale past_due after
// the cycle was paid); and the main loop's own status writes hid the failed call. Now the failed
// call shows as needs_attention over whatever the loop does, and recovery restores the status
// the workflow holds at that moment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { changePlanUpdate, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { ledger, newPermission, shortSpec } from '../support/subscriptions.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a failed call in the changePlan handler', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  it('shows needs_attention while it fails, even after the loop pays the cycle, and recovery restores the current status, not a stale one', async () => {
    const id = 'handler-failed-call';
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined'] });
    const { handle } = await h.launch(shortSpec(id, cp, { seconds: 60, cycles: 3 }), { dunningRetryDelaysMs: [5_000], activityRetryWindowMs: 2_000 });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'past_due',
      { what: 'past_due' },
    );

    h.activityFaults.set(`subscription-${id}`, 'recordPlanChange', 'non_retryable');
    const changed = handle.executeUpdate(changePlanUpdate, { args: [{ amountMinor: '1500' }] });
    await eventually(
      () => getSubscription(h.database.db, id),
      (r) => r?.statusReason === 'CallFailed:recordPlanChange',
      { what: 'the handler’s failed call shown' },
    );

    // The dunning retry pays cycle 0 meanwhile; the failed call stays visible in PostgreSQL and the query.
    await eventually(
      () => ledger(h, id),
      (rows) => rows.some((r) => r.cycle === 0 && r.state === 'Captured'),
      { what: 'cycle 0 captured', timeoutMs: 20_000 },
    );
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle === 1,
      { what: 'cycle 1 planned' },
    );
    await sleep(1_000);
    expect(await getSubscription(h.database.db, id)).toMatchObject({ status: 'needs_attention', statusReason: 'CallFailed:recordPlanChange', currentCycle: 1 });
    expect(await handle.query(stateQuery)).toMatchObject({
      status: 'needs_attention',
      statusReason: 'CallFailed:recordPlanChange',
      failedCall: expect.objectContaining({ activity: 'recordPlanChange' }),
    });

    h.activityFaults.clear(`subscription-${id}`);
    await handle.signal(resumeSignal, { reason: 'fixed' });
    expect(await changed).toMatchObject({ fromCycle: 1, amountMinor: '1500' });
    // What the workflow holds now: cycle 0 paid, cycle 1 waiting for its date.
    await eventually(
      () => getSubscription(h.database.db, id),
      (r) => r?.statusReason !== 'CallFailed:recordPlanChange',
      { what: 'recovered' },
    );
    await sleep(1_000);
    expect(await getSubscription(h.database.db, id)).toMatchObject({ status: 'active', statusReason: null, currentCycle: 1 });
    expect(await handle.query(stateQuery)).toMatchObject({ status: 'active', statusReason: null, cycle: 1, failedCall: null, nextRetryAt: null });
    await handle.terminate('test cleanup');
  }, 60_000);
});
