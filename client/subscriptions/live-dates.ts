// What the workflow's live state (the `state` query) means for the billing dates shown to people
// and the API: after a stop at period end the workflow still waits for its next cycle's date,
// but only to end then (workflows/subscription.ts), so that date is when it ends, not a charge.
import type { SubscriptionState } from '../../workflows/types.js';

/** When the next cycle is charged (ISO instant); null when none will be: paused without a date, or stopping at period end. */
export function nextChargeAt(state: Pick<SubscriptionState, 'nextBillingAt' | 'cancelAtPeriodEnd'>): string | null {
  return state.cancelAtPeriodEnd ? null : state.nextBillingAt;
}

/** After a stop at period end: when the paid period and the subscription end (ISO instant); otherwise null. */
export function periodEndsAt(state: Pick<SubscriptionState, 'nextBillingAt' | 'cancelAtPeriodEnd'>): string | null {
  return state.cancelAtPeriodEnd ? state.nextBillingAt : null;
}
