// The runs test/replay/record.ts records: one per shape of history a real subscription has,
// and one per path through the IPN handler workflow (ipn-scenarios.ts).
// Each returns the runs to save (a continued-as-new subscription has several).
import { stateQuery, changePlanUpdate, pauseSignal, permissionStatusSignal, resumeSignal } from '../../workflows/messages.js';
import { eventually, type BillingHarness } from '../support/billing-harness.js';
import { cancelNow, launchCappedBeforeMonthEnd, ledger, newPermission, shortSpec, type SubscriptionHandle } from '../support/subscriptions.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { IPN_SCENARIOS } from './ipn-scenarios.js';
import { defaultPayloadConverter } from '@temporalio/common';
import { subscriptionWorkflow } from '../../workflows/index.js';
import { initialState } from '../../workflows/subscription.js';
import type { CarriedState, SubscriptionWorkflowInput } from '../../workflows/types.js';
import { allRuns, PATH_SCENARIOS } from './path-scenarios.js';
import { CHECKOUT_SCENARIOS } from './checkout-scenarios.js';
import { SendGate } from '../support/send-gate.js';
import { endingForPermission } from '../../billing/permission-end.js';
import { stopSubscriptionNow } from '../../client/subscriptions/stop-now.js';

/** Holds Create Charge sends for scenarios that stop a subscription while a charge waits its turn (record.ts passes it as the harness's call spacer). */
export const SEND_GATE = new SendGate();

export interface RecordedRun {
  workflowId: string;
  runId: string;
}

export interface Scenario {
  name: string;
  run(h: BillingHarness): Promise<RecordedRun[]>;
}

/** An operator's pause, once the subscription shows it. */
async function pauseShown(handle: SubscriptionHandle): Promise<void> {
  await handle.signal(pauseSignal, { reason: 'recording' });
  await eventually(
    () => handle.query(stateQuery),
    (s) => s.status === 'paused',
    { what: 'paused' },
  );
}

function sleepUntil(epochMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));
}

/** Terminates the run and starts it again as `billing repair` would, restored into its unpaid wait (with `extra` carried state). */
async function restartInUnpaid(h: BillingHarness, handle: SubscriptionHandle, reason: string, extra: Partial<CarriedState>) {
  await handle.terminate('recording');
  const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = defaultPayloadConverter.fromPayload<SubscriptionWorkflowInput>(started!);
  const state: CarriedState = { ...initialState(input), status: 'unpaid', statusReason: reason, restoredWait: { status: 'unpaid', reason }, ...extra };
  return h.temporal.client.workflow.start(subscriptionWorkflow, {
    workflowId: handle.workflowId,
    taskQueue: h.taskQueues.workflows,
    args: [{ ...input, state }],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
  });
}

/** The scenario test/integration/dunning-unknown.test.ts also runs. */
export const STATUS_WRITE_UNRECORDED = 'status-write-unrecorded';

export const SCENARIOS: Scenario[] = [
  {
    name: 'completed',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-completed', cp, { seconds: 1, cycles: 3 }));
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    name: 'dunning',
    async run(h) {
      // Two soft declines, then a hard decline fixed by the buyer (permission signals).
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['SoftDeclined', 'SoftDeclined', 'HardDeclined'] });
      const { handle } = await h.launch(shortSpec('replay-dunning', cp, { cycles: 1 }), {
        dunningRetryDelaysMs: [500, 500],
        paymentMethodCheckIntervalMs: 10 * 60_000,
      });
      await eventually(
        async () => (await getSubscription(h.database.db, 'replay-dunning'))?.status,
        (s) => s === 'payment_method_required',
        { what: 'payment_method_required' },
      );
      // A fix is what Amazon shows changed (payment-method-fix-from-amazon): a new payment descriptor.
      await handle.signal(permissionStatusSignal, { state: 'Chargeable', reasons: [], source: 'ipn', paymentDescriptor: 'Visa ****4242' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    name: 'messages',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-messages', cp, { seconds: 1, cycles: 4 }));
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.chargesMade >= 1,
        { what: 'first charge' },
      );
      await handle.executeUpdate(changePlanUpdate, { args: [{ amountMinor: '2100' }] });
      await handle.signal(pauseSignal, { reason: 'recording' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'paused',
        { what: 'paused' },
      );
      await handle.signal(resumeSignal, { reason: 'recording' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    name: 'cancelled',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-cancelled', cp, { seconds: 5 }));
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.chargesMade === 1,
        { what: 'first charge' },
      );
      await cancelNow(h, handle, 'BuyerRequested');
      await handle.result().catch(() => undefined);
      return allRuns(h, handle.workflowId);
    },
  },
  {
    name: 'continued-as-new',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-can', cp, { seconds: 1, cycles: 24 }));
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Issue 13 §1: a soft decline, then Get Charge Permission answers 400 (the workflow waits in
    // needs_attention instead of failing), an operator resumes, billing carries on.
    name: 'failed-amazon-read',
    async run(h) {
      const cp = await newPermission(h, 'EUR');
      await h.control.setScript(cp, { next: ['SoftDeclined'] });
      await h.control.setInjectedErrors([
        { operation: 'getChargePermission', id: cp, status: 400, reasonCode: 'InvalidHeaderValue', message: 'x-amz-pay-date should not be in future' },
      ]);
      const spec = shortSpec('replay-failed-read', cp, { cycles: 2 });
      const { handle } = await h.launch(
        { ...spec, plan: { ...spec.plan, amountMinor: '999', currency: 'EUR' } },
        { activityRetryWindowMs: 3_000, failedCallRetryDelaysMs: [10 * 60_000] },
      );
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.statusReason === 'CallFailed:getPermissionStatus',
        { what: 'needs_attention' },
      );
      await h.control.setInjectedErrors([]);
      await handle.signal(resumeSignal, { reason: 'recording' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // A local activity (billing date planning) fails for good at the start; retried by the schedule.
    name: 'failed-local-call',
    async run(h) {
      const cp = await newPermission(h);
      h.activityFaults.set('subscription-replay-failed-local', 'planCycle', 'non_retryable');
      const { handle } = await h.launch(shortSpec('replay-failed-local', cp, { cycles: 1 }), {
        activityRetryWindowMs: 3_000,
        failedCallRetryDelaysMs: [1_000],
      });
      await eventually(
        () => handle.query(stateQuery).catch(() => null),
        (s) => s?.statusReason === 'CallFailed:planCycle',
        { what: 'needs_attention' },
      );
      h.activityFaults.clear('subscription-replay-failed-local');
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Issue 13 §3: an interval change (rebase) and a same-interval change (no rebase), under the plan lock.
    name: 'plan-change-locked',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-plan-change', cp, { seconds: 1, cycles: 4 }));
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.chargesMade >= 1,
        { what: 'first charge' },
      );
      await handle.executeUpdate(changePlanUpdate, { args: [{ interval: { unit: 'second', count: 2 }, amountMinor: '2100' }] });
      await handle.executeUpdate(changePlanUpdate, { args: [{ interval: { unit: 'second', count: 2 } }] });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Issue 13 §4: a pause in dunning holds the retry; resume lifts it and dunning goes on.
    name: 'pause-in-dunning',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['SoftDeclined'] });
      const { handle } = await h.launch(shortSpec('replay-pause-dunning', cp, { cycles: 1 }), { dunningRetryDelaysMs: [2_000] });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'past_due',
        { what: 'past_due' },
      );
      await handle.signal(pauseSignal, { reason: 'recording' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'paused',
        { what: 'paused' },
      );
      await handle.signal(resumeSignal, { reason: 'recording' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Issue 13 §4 / issue 14: hard decline fixed as Amazon shows it, declined again, then an unchanged
    // Chargeable signal (no attempt) until the grace period from the first decline ends.
    name: 'hard-decline-grace-from-first',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { mode: 'HardDeclined' });
      const { handle } = await h.launch(shortSpec('replay-grace-first', cp, { cycles: 1 }), {
        paymentMethodGraceMs: 15_000,
        paymentMethodCheckIntervalMs: 60_000,
        finalAction: 'cancel',
      });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'payment_method_required',
        { what: 'payment_method_required' },
      );
      await handle.signal(permissionStatusSignal, { state: 'NonChargeable', reasons: ['PaymentMethodInvalid'], source: 'ipn' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.permission?.state === 'NonChargeable',
        { what: 'NonChargeable seen' },
      );
      await handle.signal(permissionStatusSignal, { state: 'Chargeable', reasons: [], source: 'ipn' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.attempt >= 2 && s.status === 'payment_method_required',
        { what: 'declined again' },
      );
      await handle.signal(permissionStatusSignal, { state: 'Chargeable', reasons: [], source: 'ipn', paymentDescriptor: 'Visa ****1111' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Issue 13 §4: a cycle above the permission's monthly cap goes to needs_attention.
    name: 'monthly-cap-above-limit',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-cap-limit', cp, { amountMinor: '150000' }));
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'needs_attention',
        { what: 'needs_attention' },
      );
      await cancelNow(h, handle, 'recording');
      await handle.result().catch(() => undefined);
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Review of issue 13: an operator's pause holds the payment-method grace period (its clock
    // stops); resume asks Amazon at once, and a new payment method is charged.
    name: 'pause-in-grace',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['HardDeclined'] });
      const { handle } = await h.launch(shortSpec('replay-pause-grace', cp, { cycles: 1 }), {
        paymentMethodGraceMs: 6_000,
        paymentMethodCheckIntervalMs: 60_000,
        finalAction: 'cancel',
      });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'payment_method_required',
        { what: 'payment_method_required' },
      );
      await pauseShown(handle);
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      await handle.signal(resumeSignal, { reason: 'recording' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'payment_method_required' && !s.paused,
        { what: 'payment_method_required again' },
      );
      await handle.signal(permissionStatusSignal, { state: 'Chargeable', reasons: [], source: 'ipn', paymentDescriptor: 'Visa ****4242' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Review of issue 13: a pause during the monthly-cap wait shows paused; resume after the reset charges at once.
    name: 'pause-in-cap-wait',
    async run(h) {
      const boundary = Date.UTC(2030, 4, 1);
      try {
        const { handle, offset } = await launchCappedBeforeMonthEnd(h, 'replay-pause-cap', boundary, 12);
        await pauseShown(handle);
        await new Promise((resolve) => setTimeout(resolve, boundary + 2_000 - (Date.now() + offset)));
        await handle.signal(resumeSignal, { reason: 'recording' });
        await handle.result();
        return allRuns(h, handle.workflowId);
      } finally {
        h.setClockOffsetMs(0);
      }
    },
  },
  {
    // Review of issue 13: a failed call shows paused while paused; the resume that lifts the pause retries it at once.
    name: 'pause-failed-call',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['SoftDeclined'] });
      await h.control.setInjectedErrors([{ operation: 'getChargePermission', id: cp, status: 400, reasonCode: 'InvalidParameterValue', message: 'recording' }]);
      const { handle } = await h.launch(shortSpec('replay-pause-failed-call', cp, { cycles: 1 }), {
        activityRetryWindowMs: 3_000,
        failedCallRetryDelaysMs: [10 * 60_000],
      });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.statusReason === 'CallFailed:getPermissionStatus',
        { what: 'needs_attention' },
      );
      await pauseShown(handle);
      await h.control.setInjectedErrors([]);
      await handle.signal(resumeSignal, { reason: 'recording' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Review of issue 13: a weekly plan whose five cycles a month pass the cap goes to needs_attention
    // at its first refusal; a pause there shows paused and its resume only lifts it.
    name: 'monthly-cap-plan-total',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setInjectedErrors([{ operation: 'createCharge', status: 400, reasonCode: 'PeriodicAmountExceeded', times: 1 }]);
      const { handle } = await h.launch({
        ...shortSpec('replay-cap-total', cp),
        plan: { amountMinor: '30000', currency: 'USD', interval: { unit: 'week', count: 1 } },
      });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'needs_attention',
        { what: 'needs_attention' },
      );
      await pauseShown(handle);
      await handle.signal(resumeSignal, { reason: 'recording' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'needs_attention' && !s.paused,
        { what: 'needs_attention again' },
      );
      await cancelNow(h, handle, 'recording');
      await handle.result().catch(() => undefined);
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Issue 15: a plan change is its own write (recordPlanChange), not a side effect of an event.
    name: 'plan-change-written-explicitly',
    async run(h) {
      const cp = await newPermission(h);
      const id = 'replay-plan-explicit';
      const { handle } = await h.launch(shortSpec(id, cp, { seconds: 1, cycles: 3 }));
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.chargesMade >= 1,
        { what: 'first charge' },
      );
      await handle.executeUpdate(changePlanUpdate, { args: [{ amountMinor: '2100' }] });
      await eventually(
        () => getSubscription(h.database.db, id),
        (row) => row?.amountMinor === 2100n,
        { what: 'the new amount in PostgreSQL' },
      );
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Issue 15: a status the database could not take is not taken as written. The permission
    // check after a soft decline fails and so does the status write that would show it
    // (needs_attention only in the query); once the database takes writes again, the next
    // failure's needs_attention is written (before, it was skipped as already shown).
    name: STATUS_WRITE_UNRECORDED,
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['SoftDeclined'] });
      const id = 'replay-unrecorded-status';
      const workflowId = `subscription-${id}`;
      const rowStatus = async () => (await getSubscription(h.database.db, id))?.status;
      const { handle } = await h.launch(shortSpec(id, cp, { cycles: 1 }), {
        dunningRetryDelaysMs: [4_000],
        activityRetryWindowMs: 2_000,
        failedCallRetryDelaysMs: [2_000],
      });
      await eventually(rowStatus, (s) => s === 'past_due', { what: 'past_due in PostgreSQL' });
      h.activityFaults.set(workflowId, 'recordStatus', 'non_retryable');
      await h.control.setInjectedErrors([{ operation: 'getChargePermission', id: cp, status: 400, reasonCode: 'InvalidParameterValue', message: 'recording' }]);
      try {
        await eventually(
          () => handle.query(stateQuery),
          (s) => s.statusReason === 'CallFailed:getPermissionStatus',
          { what: 'needs_attention in the query' },
        );
        if ((await rowStatus()) !== 'past_due') throw new Error('the failing status write reached PostgreSQL');
        h.activityFaults.clear(workflowId, 'recordStatus');
        await eventually(rowStatus, (s) => s === 'needs_attention', { what: 'needs_attention in PostgreSQL once it takes writes' });
      } finally {
        h.activityFaults.clear(workflowId);
        await h.control.setInjectedErrors([]);
      }
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Review of issue 13: a pause held in dunning; on resume the retry is charged and the cycles
    // that came due during the pause are skipped (SKIP_CYCLES_DUE_IN_ANY_PAUSE), not billed late.
    name: 'pause-skips-cycles-due',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['SoftDeclined'] });
      const { handle } = await h.launch(shortSpec('replay-pause-skips', cp, { seconds: 2, cycles: 6 }), { dunningRetryDelaysMs: [2_000] });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'past_due',
        { what: 'past_due' },
      );
      await pauseShown(handle);
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      await handle.signal(resumeSignal, { reason: 'recording' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Review of issue 13: the changePlan handler's plan write fails while the cycle is in dunning
    // (recordEvent in version 1, recorded before PLAN_CHANGE_WRITTEN_EXPLICITLY; recordPlanChange since);
    // the loop pays the cycle meanwhile (the failed call stays shown), the resume recovers it and
    // the status is the one the workflow holds then (FAILED_CALL_SHOWN_OVER_OWN_STATUS).
    name: 'handler-failed-call',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['SoftDeclined'] });
      const { handle } = await h.launch(shortSpec('replay-handler-failed', cp, { seconds: 5, cycles: 2 }), {
        dunningRetryDelaysMs: [2_000],
        activityRetryWindowMs: 2_000,
      });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'past_due',
        { what: 'past_due' },
      );
      h.activityFaults.set('subscription-replay-handler-failed', 'recordPlanChange', 'non_retryable');
      const changed = handle.executeUpdate(changePlanUpdate, { args: [{ amountMinor: '1500' }] });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.chargesMade === 1 && s.statusReason === 'CallFailed:recordPlanChange',
        { what: 'paid while the call fails' },
      );
      h.activityFaults.clear('subscription-replay-handler-failed');
      await handle.signal(resumeSignal, { reason: 'recording' });
      await changed;
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // A stop recorded while the first charge waits its turn: nothing is sent, the run ends
    // canceled (CHARGE_NOT_SENT_AFTER_STOP).
    name: 'charge-not-sent-after-stop',
    async run(h) {
      const cp = await newPermission(h);
      SEND_GATE.hold(0);
      const { handle } = await h.launch(shortSpec('replay-not-sent', cp, { seconds: 5, firstInSeconds: 1 }));
      try {
        await eventually(
          async () => SEND_GATE.waiting,
          (n) => n === 1,
          { intervalMs: 50, what: 'the first charge waiting to be sent' },
        );
        await cancelNow(h, handle, 'recording');
      } finally {
        SEND_GATE.open();
      }
      await handle.result().catch(() => undefined);
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Review of issue 13: a run restarted (as `billing repair` does) in unpaid waits there instead
    // of charging; an admin's resume retries the cycle (REPAIR_RESTORES_WAIT).
    name: 'repair-restored-unpaid',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['SoftDeclined'] });
      const { handle } = await h.launch(shortSpec('replay-repair-unpaid', cp, { cycles: 1 }), { dunningRetryDelaysMs: [], finalAction: 'mark_unpaid' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'unpaid',
        { what: 'unpaid' },
      );
      const reason = 'DunningExhausted:SoftDeclined';
      const restarted = await restartInUnpaid(h, handle, reason, {});
      await eventually(
        () => restarted.query(stateQuery),
        (s) => s.status === 'unpaid',
        { what: 'unpaid after the restart' },
      );
      await restarted.signal(resumeSignal, { reason: 'recording' });
      await restarted.result();
      return [{ workflowId: handle.workflowId, runId: restarted.firstExecutionRunId }];
    },
  },
  {
    // A pause that arrives while cycle 0's authorization is pending, after cycles 1 and 2 came
    // due: they are billed on resume, the later ones due in the pause skipped (CYCLE_DUE_BEFORE_PAUSE_BILLED).
    name: 'pause-during-charge-in-flight',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['AuthorizationInitiated:Captured'] });
      const spec = shortSpec('replay-pause-in-flight', cp, { seconds: 2, cycles: 6 });
      const { handle } = await h.launch(spec, { usePendingAuthorization: true });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.statusReason === 'AuthorizationPending',
        { what: 'cycle 0 pending' },
      );
      await sleepUntil(Date.parse(`${spec.anchor.localDateTime}Z`) + 2 * 2_000 + 700);
      await handle.signal(pauseSignal, { reason: 'recording' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.paused,
        { what: 'pause taken' },
      );
      const [pending] = await ledger(h, 'replay-pause-in-flight');
      await h.control.resolveCharge(pending!.chargeId!);
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'paused' && s.chargesMade === 1,
        { what: 'paused after cycle 0 was paid' },
      );
      await sleepUntil(Date.now() + 3_000);
      await handle.signal(resumeSignal, { reason: 'recording' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // A run repaired while an operator's pause held its unpaid wait: it shows paused, the resume
    // that lifts the pause returns to unpaid, an admin's resume retries (REPAIR_RESTORES_PAUSED_WAIT).
    name: 'repair-restored-paused-unpaid',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['SoftDeclined'] });
      const { handle } = await h.launch(shortSpec('replay-repair-paused', cp, { cycles: 1 }), { dunningRetryDelaysMs: [], finalAction: 'mark_unpaid' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'unpaid',
        { what: 'unpaid' },
      );
      await pauseShown(handle);
      const restarted = await restartInUnpaid(h, handle, 'DunningExhausted:SoftDeclined', {
        paused: true,
        pausedSince: new Date().toISOString(),
        pauseReason: 'recording',
      });
      await eventually(
        () => restarted.query(stateQuery),
        (s) => s.status === 'paused',
        { what: 'paused after the restart' },
      );
      await restarted.signal(resumeSignal, { reason: 'recording' });
      await eventually(
        () => restarted.query(stateQuery),
        (s) => s.status === 'unpaid',
        { what: 'unpaid once the pause is lifted' },
      );
      await restarted.signal(resumeSignal, { reason: 'recording' });
      await restarted.result();
      return [{ workflowId: handle.workflowId, runId: restarted.firstExecutionRunId }];
    },
  },
  {
    // NO_CHARGE_AFTER_PERMISSION_EXPIRY: the cycle due after the permission's expirationTimestamp ends the subscription, nothing sent.
    // PERMISSION_EXPIRY_ASKED_OF_AMAZON (v2): a cycle every 2 s; the expiry known at start (5 s) is asked of Amazon at the
    // cycle due after it; Amazon answers a later one (13 s), so that cycle is charged; the run continues as new after 5
    // cycles carrying it; the cycle due after it asks again, Amazon confirms it, and the subscription ends
    // ChargePermissionExpired. Each run's first cycle is due well after its first workflow task ends: replay-split.test.ts
    // cuts that task and replays the code after the cut at the task's end.
    name: 'permission-expired',
    async run(h) {
      const cp = await newPermission(h);
      const expiresAt = new Date(Math.ceil((h.now().getTime() + 5_000) / 1000) * 1000);
      await h.control.setExpiration(cp, expiresAt.toISOString());
      const spec = shortSpec('replay-permission-expired', cp, { seconds: 2, firstInSeconds: 2, cycles: 12 });
      const { handle } = await h.launch(spec, { continueAsNewEveryCycles: 5 }, { expiresAt });
      await h.control.setExpiration(cp, new Date(expiresAt.getTime() + 8_000).toISOString());
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // PERMISSION_EXPIRY_ASKED_OF_AMAZON: an expiry that appeared after start (start saw none): Create Charge is refused
    // (InvalidChargePermissionStatus), the re-read shows the expiry passed, and the subscription ends ChargePermissionExpired.
    name: 'permission-expiry-refused',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-permission-expiry-refused', cp, { seconds: 2, firstInSeconds: 2, cycles: 12 }));
      await eventually(
        () => ledger(h, 'replay-permission-expiry-refused'),
        (rows) => rows.some((r) => r.state === 'Captured'),
        { what: 'a first paid cycle' },
      );
      await h.control.setExpiration(cp, new Date(Math.ceil((h.now().getTime() + 1_000) / 1000) * 1000).toISOString());
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // STOP_CARRIES_FINAL_STATUS: after a paid cycle Amazon closes the permission as Expired (no expiry was known at
    // start); the next cycle's Create Charge is refused, the run's own Get Charge Permission answers Closed/Expired,
    // and the subscription ends ended, ChargePermissionExpired (before: canceled, Expired).
    name: 'permission-closed-expired',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-permission-closed-expired', cp, { seconds: 2, firstInSeconds: 2, cycles: 12 }));
      await eventually(
        () => ledger(h, 'replay-permission-closed-expired'),
        (rows) => rows.some((r) => r.state === 'Captured'),
        { what: 'a first paid cycle' },
      );
      await h.control.closeChargePermission(cp, 'expiry');
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // STOP_CARRIES_FINAL_STATUS: the stop the IPN reaction makes for a permission Amazon closed as Expired (a cancel
    // signal with status ended, then the cancellation) ends the run ended, ChargePermissionExpired.
    name: 'permission-closed-expired-stop',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-permission-closed-expired-stop', cp, { seconds: 5 }));
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.chargesMade === 1,
        { what: 'first charge' },
      );
      await h.control.closeChargePermission(cp, 'expiry');
      const ending = endingForPermission({ state: 'Closed', reasons: ['Expired'] })!;
      await stopSubscriptionNow({ db: h.database.db, now: () => new Date() }, handle, { subscriptionId: 'replay-permission-closed-expired-stop', ...ending });
      await handle.result().catch(() => undefined);
      return allRuns(h, handle.workflowId);
    },
  },
  ...PATH_SCENARIOS,
  ...CHECKOUT_SCENARIOS,
  ...IPN_SCENARIOS,
];
