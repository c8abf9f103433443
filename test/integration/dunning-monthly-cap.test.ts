// Monthly cap (PeriodicAmountExceeded): the cycle waits until Amazon resets the cap with the
// next UTC calendar month, computed from the activities' injected clock, then charges once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { expectEachCycleChargedOnce, ledger, newPermission, shortSpec, simulatorCharges, statusHistory } from '../support/subscriptions.js';

describe('monthly cap of a Recurring permission', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  it('a capped cycle is charged just after the next UTC month begins, with a new key', async () => {
    // The activities', client's and simulator's clock: 10 s before 1 February 2030 00:00 UTC.
    const boundary = Date.UTC(2030, 1, 1);
    h.setClockOffsetMs(boundary - 10_000 - Date.now());
    const cp = await newPermission(h); // Recurring USD: 1,000.00 a month
    const { handle } = await h.launch(shortSpec('cap-1', cp, { seconds: 3, firstInSeconds: 1, cycles: 2, amountMinor: '60000' }));
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 2 });

    const rows = await ledger(h, 'cap-1');
    expect(rows.map((r) => [r.cycle, r.attempt, r.state, r.reasonCode])).toEqual([
      [0, 1, 'Captured', null],
      [1, 1, 'Refused', 'PeriodicAmountExceeded'],
      [1, 2, 'Captured', null],
    ]);
    await expectEachCycleChargedOnce(h, 'cap-1', cp, 2);

    const [january, february] = await simulatorCharges(h, cp);
    expect(Date.parse(january!.createdAt)).toBeLessThan(boundary);
    // Retried in the new month, and without waiting out anything longer than the margin.
    expect(Date.parse(february!.createdAt)).toBeGreaterThanOrEqual(boundary);
    expect(Date.parse(february!.createdAt)).toBeLessThan(boundary + 10_000);

    const capped = (await statusHistory(h, 'cap-1')).find((e) => e.reason === 'PeriodicAmountExceeded');
    expect(capped).toMatchObject({ to: 'past_due', cycle: 1, detail: { capResetsAt: new Date(boundary).toISOString() } });
  });
});
