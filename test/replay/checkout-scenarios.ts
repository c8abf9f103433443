// Runs for test/replay/record.ts whose cycle 0 was paid at checkout with a charge that was not
// captured yet (patch checkout-charge-as-amazon-has-it): a real Checkout Session in the simulator
// (button, buyer page, Complete Checkout Session with paymentIntent Authorize), then the
// subscription started on its Charge Permission with its ChargeId.
import { eventually, type BillingHarness } from '../support/billing-harness.js';
import { authorizedCheckout } from '../support/checkout.js';
import { ledger, shortSpec } from '../support/subscriptions.js';
import type { BuyerChoice } from '../support/checkout.js';
import type { BillingPolicy } from '../../workflows/types.js';
import { allRuns } from './path-scenarios.js';
import type { Scenario } from './scenarios.js';

const authorized = (h: BillingHarness, id: string, choice: BuyerChoice) => authorizedCheckout(h.simulator.url, h.amazonPay, id, choice);

const FAST: Partial<BillingPolicy> = { dunningRetryDelaysMs: [500], pendingPollInitialMs: 500, pendingPollMaxMs: 1_000 };

export const CHECKOUT_SCENARIOS: Scenario[] = [
  {
    // Authorized at checkout: the workflow captures it as cycle 0, then bills cycle 1.
    name: 'checkout-authorized-capture',
    async run(h) {
      const { chargePermissionId, chargeId } = await authorized(h, 'replay-checkout-capture', {});
      const { handle } = await h.launch(
        { ...shortSpec('replay-checkout-capture', chargePermissionId, { seconds: 1, cycles: 2 }), firstChargeId: chargeId },
        FAST,
      );
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
  {
    // Pending at checkout (card …0701), then declined (SoftDeclined): cycle 0 goes through dunning
    // and its attempt 1 is charged with Create Charge.
    name: 'checkout-pending-declined',
    async run(h) {
      const { chargePermissionId, chargeId } = await authorized(h, 'replay-checkout-declined', { cardSuffix: '0701' });
      const { handle } = await h.launch(
        { ...shortSpec('replay-checkout-declined', chargePermissionId, { seconds: 1, cycles: 1 }), firstChargeId: chargeId },
        { ...FAST, usePendingAuthorization: false },
      );
      await eventually(
        () => ledger(h, 'replay-checkout-declined'),
        (rows) => rows.some((r) => r.chargeId === chargeId && r.state === 'AuthorizationInitiated'),
        { what: 'the pending checkout charge in the ledger' },
      );
      await h.control.resolveCharge(chargeId, 'Declined:SoftDeclined');
      await handle.result();
      return allRuns(h, handle.workflowId);
    },
  },
];
