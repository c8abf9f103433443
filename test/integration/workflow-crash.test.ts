// A worker process dies (SIGKILL) while Create Charge is in flight: the charge Amazon Pay
// committed must be found again with the same key, never made twice, and no cycle missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { spawnChildWorkers, type ChildWorkers } from '../support/child-workers.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec } from '../support/subscriptions.js';

describe('worker crash mid-charge', () => {
  let h: BillingHarness;
  const children: ChildWorkers[] = [];
  beforeAll(async () => {
    // Slow answers keep a charge in flight long enough to kill its worker.
    h = await startBillingHarness({ workers: false, simulator: { faults: { latencyFixedMs: 4_000 } } });
  });
  afterAll(async () => {
    for (const child of children) await child.kill('SIGKILL');
    await h?.close();
  });

  it('bills each cycle once after the worker running a charge is SIGKILLed', async () => {
    const first = await spawnChildWorkers(h);
    children.push(first);
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('crash-1', cp, { seconds: 4, firstInSeconds: 1, cycles: 3 }));

    // The ledger row is written just before the request goes out; the simulator sits on it for 4 s.
    const [inFlight] = await eventually(
      async () => (await ledger(h, 'crash-1')).filter((r) => r.state === 'pending'),
      (rows) => rows.length > 0,
      { timeoutMs: 60_000, intervalMs: 100, what: 'a charge in flight' },
    );
    // The request leaves within milliseconds of that insert; give a starved CPU a second or two
    // (of the simulator's 4) so the kill lands while Amazon holds the request, not before it.
    await eventually(
      async () => Date.now(),
      (now) => now >= inFlight!.requestedAt.getTime() + 1_500,
      { intervalMs: 50, what: 'the request on the wire' },
    );
    await first.kill('SIGKILL');
    const attemptsAtKill = (await h.control.attempts()).attempts.filter((a) => a.idempotencyKey === inFlight!.idempotencyKey);
    expect(attemptsAtKill, 'the simulator had not answered yet when the worker died').toHaveLength(0);

    const second = await spawnChildWorkers(h);
    children.push(second);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'ended', cycle: 3 });

    await expectEachCycleChargedOnce(h, 'crash-1', cp, 3);
    // The request of the dead worker was committed; its retry (same key) was a replay.
    const sameKey = (await h.control.attempts()).attempts.filter((a) => a.idempotencyKey === inFlight!.idempotencyKey).map((a) => a.outcome);
    expect(sameKey).toEqual(['Created', 'Replayed']);
    const rows = await ledger(h, 'crash-1');
    expect(rows.map((r) => [r.cycle, r.attempt, r.state])).toEqual([
      [0, 1, 'Captured'],
      [1, 1, 'Captured'],
      [2, 1, 'Captured'],
    ]);
  });
});
