// `billing start --checkout-session <id>` as a user runs it (node client/bin.js), against the
// harness: the checkout made with the library (as POST /v1/checkout-sessions does), the buyer on
// the simulator's page, then the CLI completes it and starts the subscription; a repeat changes
// nothing; a OneTime permission, a bad id and extra options each end with one line.
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { CheckoutButton } from '../../client/index.js';
import { listCharges } from '../../db/queries/charges.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { eventually } from '../support/billing-harness.js';
import { checkoutAsBuyer, type BuyerChoice } from '../support/checkout.js';
import { useCliHarness } from '../support/cli-harness.js';

describe('billing start --checkout-session', () => {
  const stack = useCliHarness();

  const checkout = async (subscriptionId: string, choice: BuyerChoice = {}): Promise<string> => {
    const button: CheckoutButton = await stack.cli.library.createCheckout({
      subscriptionId,
      plan: { amountMinor: '999', currency: 'EUR', interval: { unit: 'month', count: 1 } },
      zone: 'Europe/Berlin',
      checkoutResultReturnUrl: 'https://shop.example.com/return',
    });
    return (await checkoutAsBuyer(stack.h.simulator.url, button.createCheckoutSessionConfig, choice)).checkoutSessionId;
  };

  it('completes the checkout and starts its subscription, cycle 0 being the checkout charge; a repeat prints the same subscription', async () => {
    const id = await checkout('cli-co-1');
    const first = await stack.cli.run(['start', '--checkout-session', id]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const row = await getSubscription(stack.h.database.db, 'cli-co-1');
    // The next billing date is printed at once: cycle 1, a month after the anchor in the buyer's zone.
    const monthOn = DateTime.fromISO(row!.anchorLocal, { zone: 'Europe/Berlin' }).plus({ months: 1 });
    expect(first.stdout).toMatch(
      new RegExp(
        `^Started: subscription cli-co-1 — 9\\.99 EUR every month on ${row!.chargePermissionId}\\n.*cycle 0 paid at checkout by ${row!.firstChargeId}\\n  from Checkout Session ${id}\\n  next billing ${monthOn.toFormat('yyyy-MM-dd HH:mm:ss')} Europe/Berlin \\(`,
        's',
      ),
    );
    const ledger = await eventually(
      () => listCharges(stack.h.database.db, 'cli-co-1'),
      (rows) => rows.length === 1,
      { what: 'cycle 0 in the ledger' },
    );
    expect(ledger.map((r) => [r.cycle, r.attempt, r.chargeId, r.state])).toEqual([[0, 0, row!.firstChargeId, 'Captured']]);

    const again = await stack.cli.run(['start', '--checkout-session', id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Already started \(unchanged\): subscription cli-co-1/);
    // The id in any letter case is the same Checkout Session (Amazon writes it in lower case).
    const upper = await stack.cli.run(['start', '--checkout-session', id.toUpperCase()]);
    expect(upper.stderr).toBe('');
    expect(upper.stdout).toMatch(new RegExp(`^Already started \\(unchanged\\): subscription cli-co-1.*from Checkout Session ${id}\\n`, 's'));
    const json = JSON.parse((await stack.cli.run(['start', '--checkout-session', id.toUpperCase(), '--json'])).stdout);
    expect(json).toMatchObject({
      created: false,
      checkoutSessionId: id,
      chargeId: row!.firstChargeId,
      subscription: { id: 'cli-co-1' },
      nextBillingAt: monthOn.toUTC().toISO(),
    });
  });

  it('a OneTime permission starts nothing: exit 1, one line saying why and what to do', async () => {
    const id = await checkout('cli-co-onetime', { save: false });
    const refused = await stack.cli.run(['start', '--checkout-session', id]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^error: The buyer did not agree to save the payment method: .*OneTime Charge Permission.*checks out again/);
    expect(await getSubscription(stack.h.database.db, 'cli-co-onetime')).toBeUndefined();
  });

  it('refuses a malformed id and any other option before connecting (exit 2)', async () => {
    const bad = await stack.cli.run(['start', '--checkout-session', '../etc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: --checkout-session must be the amazonCheckoutSessionId/);
    // Letters, digits and hyphens are not Amazon's form: a pasted Charge Permission id never reaches Amazon Pay.
    for (const notASession of ['S01-1234567-1234567', 'BD504926-F659-4AD7-A1A9-9A747AAF527G']) {
      const wrong = await stack.cli.run(['start', '--checkout-session', notASession]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
      expect(wrong.stderr).toMatch(
        /--checkout-session must be the amazonCheckoutSessionId .* a UUID such as "bd504926-f659-4ad7-a1a9-9a747aaf5275" .*in any letter case/,
      );
    }
    const mixed = await stack.cli.run(['start', '--checkout-session', 'bd504926-f659-4ad7-a1a9-9a747aaf5275', '--amount', '14.00']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--checkout-session takes no other option \(got --amount\)/);
    const unknown = await stack.cli.run(['start', '--checkout-session', 'bd504926-f659-4ad7-a1a9-9a747aaf5275']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^error: Checkout Session bd504926-f659-4ad7-a1a9-9a747aaf5275 not found: Amazon Pay does not know it/);
  });
});
