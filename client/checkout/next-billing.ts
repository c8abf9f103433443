// The next billing date a completed checkout answers with: the first cycle the checkout did not
// pay, from the subscription's stored anchor by the schedule's own rules (billing/schedule.ts),
// never stepped from another date.
import { cycleDueAt, isCycleBeforeEnd } from '../../billing/schedule.js';
import type { BillingAnchor } from '../../billing/types.js';
import type { CheckoutTerms } from './payload.js';

/**
 * The due instant (ISO-8601 UTC, e.g. "2026-12-30T08:12:40.000Z") of the first cycle not paid at
 * checkout: cycle 1 when the checkout charged cycle 0 (`paidAtCheckout`: AuthorizeWithCapture, or
 * Authorize, captured by the daemon), cycle 0 otherwise — with a trial, the trial's end. Computed
 * with `terms` (interval, trial, end) from `anchor`, the subscription's stored anchor (the moment
 * of completion in the buyer's zone); a later plan change does not move that date (README "How
 * billing works"). Null when the subscription's end comes at or before it: nothing more is billed.
 */
export function firstUnpaidCycleDueAt(terms: Pick<CheckoutTerms, 'plan' | 'trial' | 'end'>, anchor: BillingAnchor, paidAtCheckout: boolean): string | null {
  const spec = { anchor, plan: terms.plan, ...(terms.trial ? { trial: terms.trial } : {}), ...(terms.end ? { end: terms.end } : {}) };
  const cycle = paidAtCheckout ? 1 : 0;
  if (!isCycleBeforeEnd(spec, cycle)) return null;
  return cycleDueAt(spec, cycle).toJSDate().toISOString();
}
