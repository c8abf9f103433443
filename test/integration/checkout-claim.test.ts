// Two checkouts replacing one subscription, both completed at once (two tabs): PostgreSQL lets one
// Checkout Session claim a replacement (checkouts_one_claimed_replacement); the other's refusal
// names the replaced subscription and the winner, not its own subscription (review finding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beingReplacedMessage } from '../../client/checkout/replace.js';
import { claimCheckout, saveCheckout } from '../../db/queries/checkouts.js';
import { createTestDatabase, type TestDatabase } from '../support/integration.js';

describe('claiming a replacement checkout', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.close());

  it('the loser learns which subscription is being replaced and by whose checkout and session', async () => {
    const at = new Date('2031-03-01T00:00:00Z');
    for (const subscriptionId of ['plan-gold', 'plan-silver'])
      await saveCheckout(database.db, { subscriptionId, account: null, terms: {}, payloadJson: '{}', replacesSubscriptionId: 'plan-bronze', at });
    const claim = (subscriptionId: string, checkoutSessionId: string) =>
      claimCheckout(database.db, { subscriptionId, checkoutSessionId, anchorLocal: '2031-03-05T09:00', continuesReplaced: true, at });

    expect(await claim('plan-gold', 'session-gold')).toEqual({ anchorLocal: '2031-03-05T09:00', anchorDayOfMonth: null });
    const lost = await claim('plan-silver', 'session-silver');
    expect(lost).toEqual({ replacedBy: { replacedSubscriptionId: 'plan-bronze', subscriptionId: 'plan-gold', checkoutSessionId: 'session-gold' } });
    const { replacedSubscriptionId, ...by } = (lost as { replacedBy: { replacedSubscriptionId: string; subscriptionId: string; checkoutSessionId: string } })
      .replacedBy;
    expect(beingReplacedMessage(replacedSubscriptionId, by, 'Checkout Session session-silver was not completed and nothing was charged')).toBe(
      'Subscription plan-bronze is being replaced by the checkout of subscription plan-gold (Checkout Session session-gold is completing it); a subscription is replaced once: Checkout Session session-silver was not completed and nothing was charged',
    );
    // The winner's repeat keeps its claim.
    expect(await claim('plan-gold', 'session-gold')).toEqual({ anchorLocal: '2031-03-05T09:00', anchorDayOfMonth: null });
  });
});
