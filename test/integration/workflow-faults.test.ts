// Exactly once under a hostile Amazon Pay: the sandbox's Create Charge throttle, responses lost
// after the charge was committed (30 %), and plain 500/503s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { expectEachCycleChargedOnce, newPermission, shortSpec } from '../support/subscriptions.js';

describe('subscription workflow under throttling and lost responses', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness({
      simulator: {
        seed: 7,
        // Amazon's sandbox quota for Create Charge (burst 2, 1/s): three subscriptions due in the
        // same second always overflow it, so 429s are certain without starving the test.
        throttle: { table: 'sandbox' },
        faults: { responseLostRate: 0.3, responseLostMode: 'status500', error500Rate: 0.05, error503Rate: 0.05 },
      },
    });
  });
  afterAll(async () => h?.close());

  it('charges every cycle of every subscription exactly once and records each ChargeId', async () => {
    const subscriptions = await Promise.all(
      ['faults-a', 'faults-b', 'faults-c'].map(async (id) => {
        const cp = await newPermission(h);
        const { handle } = await h.launch(shortSpec(id, cp, { seconds: 4, firstInSeconds: 2, cycles: 3 }));
        return { id, cp, handle };
      }),
    );
    const results = await Promise.all(subscriptions.map((s) => s.handle.result()));
    expect(results.map((r) => r.status)).toEqual(['ended', 'ended', 'ended']);

    for (const s of subscriptions) await expectEachCycleChargedOnce(h, s.id, s.cp, 3);

    // The faults really happened: 429s, and replays of keys whose first answer never arrived.
    const { attempts } = await h.control.attempts();
    const ours = attempts.filter((a) => subscriptions.some((s) => s.cp === a.chargePermissionId));
    const throttled = ours.filter((a) => a.status === 429).length;
    const replayed = ours.filter((a) => a.outcome === 'Replayed').length;
    const injected = ours.filter((a) => a.outcome.startsWith('Injected')).length;
    console.log(`[faults] ${ours.length} Create Charge requests: ${throttled} throttled, ${replayed} replays after lost responses, ${injected} injected 5xx`);
    expect(throttled).toBeGreaterThan(0);
    expect(replayed).toBeGreaterThan(0);
    expect(ours.filter((a) => a.outcome === 'Created')).toHaveLength(9);
  });
});
