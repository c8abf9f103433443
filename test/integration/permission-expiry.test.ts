// Issue 18, the permission's expirationTimestamp, on the real stack (Temporal dev server,
// PostgreSQL, the Amazon Pay simulator, the product's workers): start reads it from Get Charge
// Permission and keeps it with the subscription, and no Create Charge is sent at or after it; the
// cycle due then ends the subscription, status ended, reason ChargePermissionExpired; the
// permissionWillExpire housekeeping job warns before, once (subscription.permission_will_expire).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingClient } from '../../client/index.js';
import { eventsOfSubscription } from '../../db/queries/events.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { emitPermissionWillExpire } from '../../db/queries/trial-events.js';
import { subscriptionWorkflowId } from '../../billing/keys.js';
import { anchorSecondsFromNow, billingClientOf, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { ledger, newPermission, simulatorCharges, statusHistory } from '../support/subscriptions.js';

describe("the Charge Permission's expiry", () => {
  let h: BillingHarness;
  let billing: BillingClient;
  beforeAll(async () => {
    h = await startBillingHarness();
    billing = billingClientOf(h);
  });
  afterAll(async () => h?.close());

  it('is kept at start; no charge is sent at or after it; the subscription ends ChargePermissionExpired', async () => {
    const cp = await newPermission(h);
    const expiresAt = new Date(Math.ceil((h.now().getTime() + 4_500) / 1000) * 1000);
    await h.control.setExpiration(cp, expiresAt.toISOString());
    await billing.startSubscription({
      id: 'expiring',
      chargePermissionId: cp,
      plan: { amountMinor: '500', currency: 'USD', interval: { unit: 'second', count: 1 } },
      anchor: anchorSecondsFromNow(1),
      end: { afterCycles: 30 },
    });
    expect((await getSubscription(h.database.db, 'expiring'))?.permissionExpiresAt?.toISOString()).toBe(expiresAt.toISOString());
    // The housekeeping job's warning (subscription.permission_will_expire), once per subscription.
    const week = 7 * 86_400_000;
    expect(await emitPermissionWillExpire(h.database.db, h.now(), week)).toBe(1);
    expect(await emitPermissionWillExpire(h.database.db, h.now(), week)).toBe(0);
    const warning = (await eventsOfSubscription(h.database.db, 'expiring')).filter((e) => e.type === 'subscription.permission_will_expire');
    expect(warning.map((e) => e.data)).toEqual([{ charge_permission_id: cp, permission_expires_at: expiresAt.toISOString() }]);

    const result = await h.temporal.client.workflow.getHandle(subscriptionWorkflowId('expiring')).result();
    expect(result).toMatchObject({ status: 'ended', reason: 'ChargePermissionExpired' });
    const row = await getSubscription(h.database.db, 'expiring');
    expect([row?.status, row?.statusReason]).toEqual(['ended', 'ChargePermissionExpired']);
    expect((await statusHistory(h, 'expiring')).at(-1)).toMatchObject({ to: 'ended', reason: 'ChargePermissionExpired' });

    const sent = await simulatorCharges(h, cp);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((c) => Date.parse(c.createdAt) < expiresAt.getTime() && c.state === 'Captured')).toBe(true);
    // Amazon Pay never had to refuse one: every attempt in the ledger was sent before the expiry and paid.
    expect((await ledger(h, 'expiring')).map((r) => r.state)).toEqual(sent.map(() => 'Captured'));
  }, 60_000);
});
