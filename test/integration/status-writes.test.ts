// Each status write does one job, and the workflow knows what the row says (its last written
// status): a status the database could not take is not taken as written, and is written once the
// database takes writes again. The run is the replay scenario that recorded this shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { SCENARIOS, STATUS_WRITE_UNRECORDED } from '../replay/scenarios.js';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { statusHistory } from '../support/subscriptions.js';

describe('status writes follow the last written status', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

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
