// Issue 18, the permission's expirationTimestamp, on the real stack (Temporal dev server,
// PostgreSQL, the Amazon Pay simulator, the product's workers). Start reads it from Get Charge
// Permission and keeps it with the subscription; Amazon moves it later (a plan change's
// recurringMetadata, its own rules), so the workflow asks Amazon again before it ends a
// subscription at the expiry it knows: a later expiry (or none) is charged on, one Amazon
// confirms ends the subscription, status ended, reason ChargePermissionExpired, with no Create
// Charge sent at or after it. An expiry that appeared after start is caught by Amazon's refusal
// of the charge, which ends it the same way. The row's permission_expires_at follows every read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import type { BillingClient } from '../../client/index.js';
import { renderDetails } from '../../client/commands/show.js';
import { eventsOfSubscription } from '../../db/queries/events.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { emitPermissionWillExpire } from '../../db/queries/trial-events.js';
import { subscriptionWorkflowId } from '../../billing/keys.js';
import { anchorSecondsFromNow, billingClientOf, eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { ledger, newPermission, shortSpec, simulatorCharges, statusHistory } from '../support/subscriptions.js';
import type { SubscriptionWorkflowInput } from '../../workflows/types.js';

/** `ms` from the harness's now, on a whole second (Amazon's compact timestamps carry no fraction). */
function wholeSecondFromNow(h: BillingHarness, ms: number): Date {
  return new Date(Math.ceil((h.now().getTime() + ms) / 1000) * 1000);
}

describe.concurrent("the Charge Permission's expiry", () => {
  let h: BillingHarness;
  let billing: BillingClient;
  beforeAll(async () => {
    h = await startBillingHarness();
    billing = billingClientOf(h);
  });
  afterAll(async () => h?.close());

  const startEverySecond = (id: string, chargePermissionId: string, cycles: number) =>
    billing.startSubscription({
      id,
      chargePermissionId,
      plan: { amountMinor: '500', currency: 'USD', interval: { unit: 'second', count: 1 } },
      anchor: anchorSecondsFromNow(1),
      end: { afterCycles: cycles },
    });
  const handleOf = (id: string, runId?: string) => h.temporal.client.workflow.getHandle(subscriptionWorkflowId(id), runId);
  /** Each run's history, first run first (following continuedExecutionRunId back from the latest). */
  const runsOf = async (id: string) => {
    const runs = [await handleOf(id).fetchHistory()];
    for (;;) {
      const previous = runs[0]?.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
      if (!previous) return runs;
      runs.unshift(await handleOf(id, previous).fetchHistory());
    }
  };
  /** Get Charge Permission reads the workflow made itself (its getPermissionStatus activity), per run. */
  const workflowPermissionReads = async (id: string) =>
    (await runsOf(id)).map(
      (run) => (run.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'getPermissionStatus').length,
    );

  it('is kept at start; Amazon confirms it when it passes: no charge is sent at or after it; the subscription ends ChargePermissionExpired', async () => {
    const cp = await newPermission(h);
    const expiresAt = wholeSecondFromNow(h, 5_000);
    await h.control.setExpiration(cp, expiresAt.toISOString());
    await startEverySecond('expiring', cp, 30);
    expect((await getSubscription(h.database.db, 'expiring'))?.permissionExpiresAt?.toISOString()).toBe(expiresAt.toISOString());
    // The housekeeping job's warning (subscription.permission_will_expire), once for this expiry
    // (the other tests' subscriptions run meanwhile: only this one's events are counted).
    const week = 7 * 86_400_000;
    await emitPermissionWillExpire(h.database.db, h.now(), week);
    await emitPermissionWillExpire(h.database.db, h.now(), week);
    const warning = (await eventsOfSubscription(h.database.db, 'expiring')).filter((e) => e.type === 'subscription.permission_will_expire');
    expect(warning.map((e) => e.data)).toEqual([{ charge_permission_id: cp, permission_expires_at: expiresAt.toISOString() }]);

    const result = await handleOf('expiring').result();
    expect(result).toMatchObject({ status: 'ended', reason: 'ChargePermissionExpired' });
    const row = await getSubscription(h.database.db, 'expiring');
    expect([row?.status, row?.statusReason, row?.permissionExpiresAt?.toISOString()]).toEqual(['ended', 'ChargePermissionExpired', expiresAt.toISOString()]);
    expect((await statusHistory(h, 'expiring')).at(-1)).toMatchObject({ to: 'ended', reason: 'ChargePermissionExpired' });
    // It asked Amazon before ending (the only read of a plain run: nothing else made it check).
    expect(await workflowPermissionReads('expiring')).toEqual([1]);

    // The cycles due before it were charged (how many depends on how fast the start ran), all paid.
    const sent = await simulatorCharges(h, cp);
    expect(sent.every((c) => Date.parse(c.createdAt) < expiresAt.getTime() && c.state === 'Captured')).toBe(true);
    // Every paid attempt in the ledger is one of those. A cycle due just before the expiry may reach
    // Amazon Pay after it: at most that last attempt is refused (no Charge), and the subscription
    // ends as expired all the same (the refusal path asks Amazon, which confirms the expiry).
    const rows = await ledger(h, 'expiring');
    const unpaid = rows.filter((r) => r.state !== 'Captured');
    expect(unpaid.length).toBeLessThanOrEqual(1);
    for (const r of unpaid) expect([r.chargeId, r.state, r.reasonCode, r === rows.at(-1)]).toEqual([null, 'Refused', 'InvalidChargePermissionStatus', true]);
    expect(rows.slice(0, rows.length - unpaid.length).map((r) => [r.chargeId, r.state])).toEqual(sent.map((c) => [c.chargeId, 'Captured']));
  }, 60_000);

  it('Amazon extends it after start: the cycles past the old expiry are charged, and the new expiry is kept and shown', async () => {
    const cp = await newPermission(h);
    // Start saw the old expiry; Amazon has since moved it (as after a charge or a recurringMetadata
    // update) and nobody told the daemon: the subscription starts with the old one, Amazon says the new.
    const oldExpiry = wholeSecondFromNow(h, 3_000);
    const newExpiry = wholeSecondFromNow(h, 10 * 60_000);
    await h.control.setExpiration(cp, newExpiry.toISOString());
    // Nine cycles per run: the second run starts after the first learned the new expiry.
    await h.launch(shortSpec('extended', cp, { seconds: 1, cycles: 12 }), { continueAsNewEveryCycles: 9 }, { expiresAt: oldExpiry });
    expect((await getSubscription(h.database.db, 'extended'))?.permissionExpiresAt?.toISOString()).toBe(oldExpiry.toISOString());

    // Before the workflow asked Amazon again: ended ChargePermissionExpired at the old expiry.
    expect(await handleOf('extended').result()).toMatchObject({ status: 'ended', reason: 'TermCompleted' });
    const sent = await simulatorCharges(h, cp);
    expect(sent.map((c) => c.state)).toEqual(Array.from({ length: 12 }, () => 'Captured'));
    expect(sent.filter((c) => Date.parse(c.createdAt) >= oldExpiry.getTime()).length).toBeGreaterThan(0);
    // One read, at the first cycle due at or after the old expiry; the answer moved it for the rest,
    // and the second run started with it (before, a run started again with the expiry read at start).
    expect(await workflowPermissionReads('extended')).toEqual([1, 0]);
    const [, second] = await runsOf('extended');
    const input = defaultPayloadConverter.fromPayload<SubscriptionWorkflowInput>(
      second!.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!,
    );
    expect(input.permissionExpiresAt).toBe(newExpiry.toISOString());
    const row = await getSubscription(h.database.db, 'extended');
    expect([row?.status, row?.statusReason, row?.permissionExpiresAt?.toISOString()]).toEqual(['ended', 'TermCompleted', newExpiry.toISOString()]);
    const details = await billing.getSubscription('extended');
    expect(details.subscription.permissionExpiresAt).toBe(newExpiry.toISOString());
    expect(renderDetails(details)).toMatch(new RegExp(`permission expires +${newExpiry.toISOString().slice(0, 16).replace('T', ' ')}`));
  }, 60_000);

  it('an expiry that appeared after start (start saw none): the charge Amazon refuses for it ends the subscription ChargePermissionExpired', async () => {
    const cp = await newPermission(h);
    await startEverySecond('appeared', cp, 60);
    expect((await getSubscription(h.database.db, 'appeared'))?.permissionExpiresAt).toBeNull();
    await eventually(
      () => ledger(h, 'appeared'),
      (rows) => rows.some((r) => r.state === 'Captured'),
      { what: 'a first paid cycle' },
    );
    const expiresAt = wholeSecondFromNow(h, 1_500);
    await h.control.setExpiration(cp, expiresAt.toISOString());

    const row = await eventually(
      () => getSubscription(h.database.db, 'appeared'),
      (r) => r?.status === 'ended' || r?.status === 'canceled' || r?.status === 'needs_attention',
      { timeoutMs: 30_000, what: 'the subscription to stop billing' },
    );
    // Before: needs_attention (InvalidChargePermissionStatus), waiting for an operator.
    if (row?.status === 'needs_attention') await handleOf('appeared').terminate('test cleanup');
    expect([row?.status, row?.statusReason]).toEqual(['ended', 'ChargePermissionExpired']);
    expect(await handleOf('appeared').result()).toMatchObject({ status: 'ended', reason: 'ChargePermissionExpired' });
    expect((await getSubscription(h.database.db, 'appeared'))?.permissionExpiresAt?.toISOString()).toBe(expiresAt.toISOString());
    // The one refused attempt is the one sent at or after the expiry; every earlier one was paid.
    const rows = await ledger(h, 'appeared');
    expect(rows.at(-1)).toMatchObject({ state: 'Refused', reasonCode: 'InvalidChargePermissionStatus' });
    expect(rows.slice(0, -1).every((r) => r.state === 'Captured')).toBe(true);
    expect((await billing.getSubscription('appeared')).subscription.permissionExpiresAt).toBe(expiresAt.toISOString());
  }, 60_000);

  it("Amazon closes the permission as Expired (no IPN here: the workflow's own Get Charge Permission after the refused charge sees it): ended ChargePermissionExpired, not canceled", async () => {
    const cp = await newPermission(h);
    await startEverySecond('closed-expired', cp, 60);
    await eventually(
      () => ledger(h, 'closed-expired'),
      (rows) => rows.some((r) => r.state === 'Captured'),
      { what: 'a first paid cycle' },
    );
    await h.control.closeChargePermission(cp, 'expiry');
    // Before: canceled (Expired), a different ending and event for the same fact.
    expect(await handleOf('closed-expired').result()).toMatchObject({ status: 'ended', reason: 'ChargePermissionExpired' });
    const row = await getSubscription(h.database.db, 'closed-expired');
    expect([row?.status, row?.statusReason]).toEqual(['ended', 'ChargePermissionExpired']);
    const events = await eventsOfSubscription(h.database.db, 'closed-expired');
    expect(events.at(-1)).toMatchObject({ type: 'subscription.ended', data: expect.objectContaining({ reason: 'ChargePermissionExpired' }) });
    expect(events.map((e) => e.type)).not.toContain('subscription.canceled');
  }, 60_000);

  it("a plan change keeps the expiry in Update Charge Permission's answer", async () => {
    const cp = await newPermission(h);
    await billing.startSubscription({
      id: 'changed',
      chargePermissionId: cp,
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
      anchor: { localDateTime: '2031-01-15T09:00', zone: 'Europe/Berlin' },
    });
    expect((await getSubscription(h.database.db, 'changed'))?.permissionExpiresAt).toBeNull();
    const expiresAt = wholeSecondFromNow(h, 400 * 86_400_000);
    await h.control.setExpiration(cp, expiresAt.toISOString());
    await billing.changePlan('changed', { amountMinor: '1900' });
    expect((await getSubscription(h.database.db, 'changed'))?.permissionExpiresAt?.toISOString()).toBe(expiresAt.toISOString());
    expect((await billing.getSubscription('changed')).subscription.permissionExpiresAt).toBe(expiresAt.toISOString());
    await handleOf('changed').terminate('test cleanup');
  }, 60_000);
});
