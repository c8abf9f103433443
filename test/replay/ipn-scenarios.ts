// IPN handler runs for test/replay/record.ts: one per path through ipnHandlerWorkflow. Each
// stores an inbox row as the endpoint would and hands it to the product's dispatcher, so the
// handler runs exactly as in the daemon (the harness's simulator sends no IPNs of its own).
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createBillingClient } from '../../client/index.js';
import { createLogger } from '../../config/logger.js';
import { listCharges } from '../../db/queries/charges.js';
import { insertInboxRow } from '../../db/queries/ipn-inbox.js';
import { charges } from '../../db/schema/index.js';
import { createIpnDispatcher } from '../../ipn/dispatcher.js';
import type { IpnHandlerResult } from '../../workflows/ipn-types.js';
import { ipnHandlerWorkflowId } from '../../workflows/ipn-types.js';
import { eventually, FAST_POLICY, type BillingHarness } from '../support/billing-harness.js';
import { newPermission } from '../support/subscriptions.js';
import type { RecordedRun, Scenario } from './scenarios.js';

async function handleIpn(
  h: BillingHarness,
  objectType: string,
  objectId: string,
  chargePermissionId: string | null,
  expected: IpnHandlerResult['status'],
): Promise<RecordedRun[]> {
  const messageId = randomUUID();
  const { row } = await insertInboxRow(h.database.db, {
    messageId,
    notificationId: randomUUID(),
    snsType: 'Notification',
    objectType,
    objectId,
    chargePermissionId,
    rawBody: '{}',
    status: 'pending',
  });
  const dispatcher = createIpnDispatcher({ db: h.database.db, client: h.temporal.client, taskQueues: h.taskQueues, logger: createLogger('silent') });
  if (!(await dispatcher.dispatch(row))) throw new Error(`the ${objectType} IPN could not be dispatched`);
  const handle = h.temporal.client.workflow.getHandle(ipnHandlerWorkflowId(messageId));
  const result = (await handle.result()) as IpnHandlerResult;
  if (result.status !== expected) throw new Error(`the ${objectType} IPN ended ${result.status} (${result.summary}), expected ${expected}`);
  const { runId } = await handle.describe();
  return [{ workflowId: handle.workflowId, runId }];
}

/** A running subscription with one captured charge: a monthly plan, first due now. */
async function subscriptionWithCharge(h: BillingHarness, id: string): Promise<{ chargePermissionId: string; chargeId: string }> {
  const chargePermissionId = await newPermission(h);
  const at = new Date(Math.ceil((Date.now() + 1_000) / 1_000) * 1_000);
  await h.launch({
    id,
    chargePermissionId,
    plan: { amountMinor: '2500', currency: 'USD', interval: { unit: 'month', count: 1 } },
    anchor: { localDateTime: at.toISOString().slice(0, 19), zone: 'UTC' },
  });
  const [captured] = await eventually(
    async () => (await listCharges(h.database.db, id)).filter((c) => c.state === 'Captured'),
    (rows) => rows.length === 1,
    { what: `${id}: first charge captured` },
  );
  return { chargePermissionId, chargeId: captured!.chargeId! };
}

export const IPN_SCENARIOS: Scenario[] = [
  {
    // The buyer closed the permission: Get Charge Permission, then cancel signal + cancellation.
    name: 'ipn-permission-closed',
    async run(h) {
      const chargePermissionId = await newPermission(h);
      await h.launch({
        id: 'replay-ipn-closed',
        chargePermissionId,
        plan: { amountMinor: '1000', currency: 'USD', interval: { unit: 'month', count: 1 } },
        anchor: { localDateTime: '2099-01-15T09:00:00', zone: 'UTC' },
      });
      await h.control.closeChargePermission(chargePermissionId, 'buyer');
      return handleIpn(h, 'CHARGE_PERMISSION', chargePermissionId, chargePermissionId, 'processed');
    },
  },
  {
    // Get Charge, then a chargeUpdate signal to the subscription that made the charge.
    name: 'ipn-charge',
    async run(h) {
      const { chargePermissionId, chargeId } = await subscriptionWithCharge(h, 'replay-ipn-charge');
      // A Captured charge is settled by the dispatcher without a handler; one the ledger still
      // holds as Authorized (it could yet be captured or canceled) goes to the handler.
      await h.database.db.update(charges).set({ state: 'Authorized' }).where(eq(charges.chargeId, chargeId));
      return handleIpn(h, 'CHARGE', chargeId, chargePermissionId, 'processed');
    },
  },
  {
    // Get Refund after the simulator resolved it; the refunds row becomes Refunded.
    name: 'ipn-refund',
    async run(h) {
      const { chargePermissionId, chargeId } = await subscriptionWithCharge(h, 'replay-ipn-refund');
      const billing = createBillingClient({
        db: h.database.db,
        temporal: async () => h.temporal.client,
        amazonPay: () => h.amazonPay,
        environment: 'sandbox',
        taskQueues: h.taskQueues,
        policy: FAST_POLICY,
        now: h.now,
      });
      const { refund } = await billing.refund({ chargeId, amountMinor: '500' });
      await h.control.resolveRefund(refund.refundId!);
      return handleIpn(h, 'REFUND', refund.refundId!, chargePermissionId, 'processed');
    },
  },
  {
    // A type nothing reacts to: the reaction answers ignored without calling Amazon Pay.
    name: 'ipn-unknown-type',
    async run(h) {
      return handleIpn(h, 'CHARGEBACK', `CB-${randomUUID().slice(0, 8)}`, null, 'ignored');
    },
  },
  {
    // The reaction fails for good (Get Charge: ResourceNotFound for a ledger row Amazon Pay does
    // not know): the workflow catches the activity failure and settles the row as failed.
    name: 'ipn-reaction-failed',
    async run(h) {
      const { chargePermissionId } = await subscriptionWithCharge(h, 'replay-ipn-failed');
      const chargeId = `${chargePermissionId}-C999999`;
      await h.database.db.insert(charges).values({
        subscriptionId: 'replay-ipn-failed',
        cycle: 99,
        attempt: 0,
        idempotencyKey: `replay-missing-${randomUUID().slice(0, 8)}`,
        amountMinor: 2500n,
        currency: 'USD',
        chargeId,
        state: 'AuthorizationInitiated',
      });
      return handleIpn(h, 'CHARGE', chargeId, chargePermissionId, 'failed');
    },
  },
];
