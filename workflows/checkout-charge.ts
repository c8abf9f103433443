// Cycle 0 paid at checkout (SubscriptionWorkflowInput.firstChargeId): the Charge that Complete
// Checkout Session made is recorded in the state Amazon Pay gives it, never assumed Captured, and
// finished before billing goes on (patch CHECKOUT_CHARGE_AS_AMAZON_HAS_IT):
// - Captured / CaptureInitiated: cycle 0 is paid; billing starts at cycle 1 and never charges it again;
// - Authorized (paymentIntent Authorize): captured in full (Capture Charge, one key per ChargeId),
//   then paid; an authorization Amazon will no longer capture (AmazonRejected, ExpiredUnused after
//   30 days) is a declined cycle 0;
// - AuthorizationInitiated (canHandlePendingAuthorization): waited for like any pending
//   authorization (CHARGE IPN or polling), then as above;
// - Declined / Canceled: cycle 0 is not paid; its first settleCycle decides on that decline
//   (dunning, or waiting for the buyer's payment method) before any Create Charge of attempt 1.
// Amazon Pay "Asynchronous processing" (pending authorizations, 24 h), API ref §12.3 (30-day expiry).
import { CancellationScope, condition } from '@temporalio/workflow';
import { isChargeStateIn, PAID_CHARGE_STATES } from '../billing/vocabulary.js';
import { awaitPending, type CycleContext } from './settle-cycle.js';
import type { ChargeUpdate } from './types.js';

/** How the checkout's charge ended: paid (cycle 0 done), unpaid (cycle 0 still to bill), or the subscription was stopped meanwhile. */
export type CheckoutChargeOutcome = { kind: 'paid'; update: ChargeUpdate } | { kind: 'unpaid'; update: ChargeUpdate } | { kind: 'stopped' };

/** States after which no money moves for this charge: cycle 0 must be billed otherwise. */
const UNPAID_STATES = ['Declined', 'Canceled'];

/**
 * Records the checkout's charge as cycle 0, attempt 0 (Get Charge's state) and finishes it: capture
 * an authorization, wait for a pending one. Not cancellable, like a charge in flight: a stop that
 * arrives meanwhile is acted on once it is recorded (a wait for an operator ends with the stop).
 */
export async function settleCheckoutCharge(ctx: CycleContext, chargeId: string): Promise<CheckoutChargeOutcome> {
  const { rt, acts, input } = ctx;
  const amount = { amountMinor: input.amountMinor, currency: input.currency };
  const first = await acts.amazon.getChargeStatus({ chargeId });
  const recorded = await acts.db.recordCheckoutCharge({
    subscriptionId: input.subscriptionId,
    chargeId,
    ...amount,
    state: first.state,
    reasonCode: first.reasonCode,
  });
  const attempt = { subscriptionId: input.subscriptionId, cycle: 0, attempt: 0 };
  // The row of an earlier run may hold an older state than Amazon's answer now.
  if (recorded.state !== first.state) await acts.db.recordChargeResolution({ ...attempt, ...first });
  rt.s.cycle = 0;
  rt.s.attempt = 0;
  return CancellationScope.nonCancellable(async () => {
    let update = first;
    for (;;) {
      if (isChargeStateIn(update.state, PAID_CHARGE_STATES) && update.state !== 'Authorized') return { kind: 'paid', update };
      if (UNPAID_STATES.includes(update.state)) return { kind: 'unpaid', update };
      if (update.state === 'Authorized') {
        update = await acts.amazon.captureCharge({ chargeId, ...amount });
        await acts.db.recordChargeResolution({ ...attempt, ...update });
        continue;
      }
      // Pending (or a state this code does not know): wait for Amazon's decision, then for an operator.
      const decided = update.state === 'AuthorizationInitiated' ? await awaitPending(ctx, chargeId) : null;
      if (decided !== null) {
        update = decided;
        continue;
      }
      const reason = update.state === 'AuthorizationInitiated' ? 'PendingAuthorizationUnresolved' : `CheckoutChargeState:${update.state}`;
      if (!(await waitForOperator(ctx, reason, chargeId))) return { kind: 'stopped' };
      update = await acts.amazon.getChargeStatus({ chargeId });
      if (update.state !== first.state) await acts.db.recordChargeResolution({ ...attempt, ...update });
    }
  });
}

/** needs_attention with `reason` until an operator's resume (true) or a stop (false); never charges. */
async function waitForOperator({ rt, acts }: CycleContext, reason: string, chargeId: string): Promise<boolean> {
  const resumesBefore = rt.retryResumes;
  await rt.setStatus(acts, 'needs_attention', reason, null, { cycle: 0, chargeId, checkoutCharge: true });
  await condition(() => rt.retryResumes !== resumesBefore || rt.stopRequested);
  return !rt.stopRequested;
}
