// Runs for test/replay/record.ts along each branch of a cycle that histories recorded earlier
// never reached (issue 21: pending authorization, unknown outcome then resume, the monthly-cap
// wait, dunning past its last step, grace expiry with a final action, the periodic permission
// check) and the bounded continue-as-new, all with every patch of today.
import { resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, type BillingHarness } from '../support/billing-harness.js';
import { launchCappedBeforeMonthEnd, ledger, newPermission, shortSpec } from '../support/subscriptions.js';
import type { BillingPolicy } from '../../workflows/types.js';
import type { RecordedRun, Scenario } from './scenarios.js';

/** Every run of `workflowId`, oldest first (a continued-as-new subscription has several). */
export async function allRuns(h: BillingHarness, workflowId: string): Promise<RecordedRun[]> {
  const runs: { runId: string; startTime: Date }[] = [];
  for await (const execution of h.temporal.client.workflow.list({ query: `WorkflowId="${workflowId}"` })) runs.push(execution);
  return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((r) => ({ workflowId, runId: r.runId }));
}

/** A one-cycle plan (or `cycles`) on a new permission whose every Create Charge is declined with `mode` until the script is cleared. */
async function launchDeclining(h: BillingHarness, id: string, mode: 'SoftDeclined' | 'HardDeclined', policy: Partial<BillingPolicy>, cycles = 1) {
  const cp = await newPermission(h);
  await h.control.setScript(cp, { mode });
  const { handle } = await h.launch(shortSpec(id, cp, { cycles }), policy);
  return { cp, handle };
}

export const PATH_SCENARIOS: Scenario[] = [
  {
    // Three settled cycles per run (policy.continueAsNewEveryCycles): runs of 3 and 3 cycles; the
    // second does not hand over at its bound because the term ends with it.
    name: 'bounded-continue-as-new',
    async run(h) {
      const cp = await newPermission(h);
      const { handle } = await h.launch(shortSpec('replay-bounded-can', cp, { seconds: 1, cycles: 6 }), { continueAsNewEveryCycles: 3 });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // AuthorizationInitiated, then Get Charge polling finds it Captured.
    name: 'pending-authorization',
    async run(h) {
      const cp = await newPermission(h);
      await h.control.setScript(cp, { next: ['AuthorizationInitiated:Captured'] });
      const { handle } = await h.launch(shortSpec('replay-pending', cp, { cycles: 1 }), {
        usePendingAuthorization: true,
        pendingPollInitialMs: 500,
        pendingPollMaxMs: 1_000,
      });
      const [pending] = await eventually(
        async () => (await ledger(h, 'replay-pending')).filter((r) => r.state === 'AuthorizationInitiated'),
        (rows) => rows.length === 1,
        { what: 'a pending authorization' },
      );
      await h.control.resolveCharge(pending!.chargeId!);
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // The first Create Charge is committed but its answer lost, later ones fail: the outcome is
    // unknown (needs_attention); an operator's resume retries the same key and Amazon replays it.
    name: 'unknown-outcome-resume',
    async run(h) {
      try {
        const cp = await newPermission(h);
        await h.control.setFaults({ responseLostRate: 1, responseLostMode: 'status503' });
        const { handle } = await h.launch(shortSpec('replay-unknown', cp, { cycles: 1 }), { chargeRetryWindowMs: 6_000 });
        await eventually(
          async () => (await h.control.charges()).filter((c) => c.chargePermissionId === cp),
          (c) => c.length === 1,
          { what: 'the committed charge' },
        );
        await h.control.setFaults({ responseLostRate: 0, error503Rate: 1 });
        await eventually(
          () => handle.query(stateQuery),
          (s) => s.statusReason === 'ChargeOutcomeUnknown',
          { what: 'needs_attention' },
        );
        await h.control.setFaults({ error503Rate: 0 });
        await handle.signal(resumeSignal, { reason: 'recording' });
        await handle.result();
        return allRuns(h, handle.workflowId);
      } finally {
        await h.control.setFaults({ responseLostRate: 0, error503Rate: 0 });
      }
    },
  },
  {
    // The second cycle is refused PeriodicAmountExceeded, waits for the monthly reset, then is charged.
    name: 'monthly-cap-wait',
    async run(h) {
      try {
        const { handle } = await launchCappedBeforeMonthEnd(h, 'replay-cap-wait', Date.UTC(2030, 6, 1), 10);
        await handle.result();
        return allRuns(h, handle.workflowId);
      } finally {
        h.setClockOffsetMs(0);
      }
    },
  },
  {
    // Soft declines past the last dunning step: the final action mark_unpaid; an operator's resume charges.
    name: 'dunning-exhausted-unpaid',
    async run(h) {
      const { cp, handle } = await launchDeclining(h, 'replay-unpaid', 'SoftDeclined', { dunningRetryDelaysMs: [300], finalAction: 'mark_unpaid' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'unpaid',
        { what: 'unpaid' },
      );
      await h.control.setScript(cp, { next: [], mode: null });
      await handle.signal(resumeSignal, { reason: 'recording' });
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // A hard decline nobody fixes: the grace period runs out, the final action closes the Charge Permission.
    name: 'grace-expiry-close-permission',
    async run(h) {
      const { handle } = await launchDeclining(
        h,
        'replay-grace-expiry',
        'HardDeclined',
        { paymentMethodGraceMs: 3_000, paymentMethodCheckIntervalMs: 60_000, finalAction: 'cancel_and_close_permission' },
        2,
      );
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // No signal at all: the periodic Get Charge Permission check sees NonChargeable, then Chargeable, and retries.
    name: 'periodic-permission-check',
    async run(h) {
      const { cp, handle } = await launchDeclining(h, 'replay-permission-check', 'HardDeclined', { paymentMethodCheckIntervalMs: 500 });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'payment_method_required',
        { what: 'payment_method_required' },
      );
      await h.control.makeNonChargeable(cp, 'PaymentMethodInvalid');
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.permission?.state === 'NonChargeable',
        { what: 'a check seeing NonChargeable' },
      );
      await h.control.setScript(cp, { next: [], mode: null });
      await h.control.makeChargeable(cp);
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
];
