// The bounded continue-as-new (workflows/continue-as-new.ts, patch bounded-continue-as-new): a
// subscription's run hands over after policy.continueAsNewEveryCycles settled cycles, between
// cycles, carrying its whole state (a pause that arrived during a charge included).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pauseSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec, statusHistory } from '../support/subscriptions.js';

describe('bounded continue-as-new', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  /** Each run of the workflow, oldest first: how it closed and how many Create Charge calls it made. */
  async function runsOf(workflowId: string): Promise<{ status: string; charges: number }[]> {
    const runs = [];
    for await (const execution of h.temporal.client.workflow.list({ query: `WorkflowId="${workflowId}"` })) runs.push(execution);
    runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    return Promise.all(
      runs.map(async (r) => {
        const history = await h.temporal.client.workflow.getHandle(workflowId, r.runId).fetchHistory();
        const charges = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'chargeCycle').length;
        return { status: r.status.name, charges };
      }),
    );
  }

  it('hands over every N settled cycles, each run charging N cycles once each; the last run ends with the term', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('bounded-can-1', cp, { seconds: 1, cycles: 5 }), { continueAsNewEveryCycles: 2 });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 5 });
    expect(await runsOf('subscription-bounded-can-1')).toEqual([
      { status: 'CONTINUED_AS_NEW', charges: 2 },
      { status: 'CONTINUED_AS_NEW', charges: 2 },
      { status: 'COMPLETED', charges: 1 },
    ]);
    await expectEachCycleChargedOnce(h, 'bounded-can-1', cp, 5);
  });

  it('carries a pause that arrived while the cycle was charged, with its reason, to the next run', async () => {
    const cp = await newPermission(h);
    try {
      // Create Charge takes 3 s: the pause arrives while it is in flight, before the hand-over.
      await h.control.setFaults({ latencyFixedMs: 3_000 });
      const { handle } = await h.launch(shortSpec('bounded-can-pause', cp, { seconds: 2, cycles: 3 }), { continueAsNewEveryCycles: 1 });
      await eventually(
        () => ledger(h, 'bounded-can-pause'),
        (rows) => rows.length === 1 && rows[0]!.state === 'pending',
        { what: 'the first charge in flight' },
      );
      await handle.signal(pauseSignal, { reason: 'merchant asked during the charge' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'paused',
        { what: 'paused in the next run' },
      );
      await h.control.setFaults({ latencyFixedMs: 0 });
      const runs = await runsOf('subscription-bounded-can-pause');
      expect(runs.slice(0, 2)).toEqual([
        { status: 'CONTINUED_AS_NEW', charges: 1 },
        { status: 'RUNNING', charges: 0 },
      ]);
      const paused = (await statusHistory(h, 'bounded-can-pause')).filter((e) => e.to === 'paused');
      expect(paused.map((e) => e.reason)).toEqual(['merchant asked during the charge']);
      await handle.signal(resumeSignal, { reason: 'test' });
      expect(await handle.result()).toMatchObject({ status: 'ended' });
    } finally {
      await h.control.setFaults({ latencyFixedMs: 0 });
    }
  });
});
