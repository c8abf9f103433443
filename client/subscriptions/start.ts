// startSubscription: what the merchant's checkout calls right after Complete Checkout Session
// returned a Charge Permission (and maybe the first ChargeId). Nothing is written before every
// check passed; a repeated call with the same id and terms returns the same subscription.
import { parseCompactTimestamp } from '../../amazonpay/compact-timestamp.js';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { DateTime } from 'luxon';
import { subscriptionWorkflowId } from '../../billing/keys.js';
import { normalisePlanCurrency, validateSubscriptionId } from '../../billing/plan-rules.js';
import { validateSubscriptionSpecWithSchedule, validateZone } from '../../billing/schedule.js';
import type { BillingAnchor, SubscriptionSpec } from '../../billing/types.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import type { BillingPolicy } from '../../workflows/types.js';
import { launchSubscription, SubscriptionConflictError } from '../launch.js';
import { assertNoBackBilling } from './back-billing.js';
import type { BillingClientDeps } from '../deps.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import { assertFirstChargeMatches, assertPermissionBillable, capTermsOf } from './amazon-checks.js';
import { otherPlansOnPermission, withPermissionLease } from './permission-plans.js';
import { storedAnchor, subscriptionView, type SubscriptionView } from './views.js';

export interface StartSubscriptionInput extends Omit<SubscriptionSpec, 'anchor'> {
  /**
   * Subscription start in the buyer's zone; default: now in `zone`. Left out on a repeated call,
   * the stored anchor is kept, so a retried checkout is still the same subscription.
   */
  anchor?: BillingAnchor;
  /** The buyer's IANA zone for the default anchor (default UTC); ignored when `anchor` is given. */
  zone?: string;
  /** Per-subscription changes to the daemon's billing policy (dunning delays, grace, …). */
  policy?: Partial<BillingPolicy>;
}

export interface StartSubscriptionResult {
  subscription: SubscriptionView;
  workflowId: string;
  /** False when the subscription already existed with the same terms (an idempotent repeat). */
  created: boolean;
}

/** Wall time of `now` in `zone`, as a billing anchor. */
export function anchorAt(now: Date, zone: string): BillingAnchor {
  const problems = validateZone(zone, 'anchor.zone');
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { localDateTime: DateTime.fromJSDate(now, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), zone };
}

export async function startSubscription(deps: BillingClientDeps, input: StartSubscriptionInput): Promise<StartSubscriptionResult> {
  const { policy, zone, ...rest } = input;
  // The zone of the default anchor is named as given (zone), not as the anchor it becomes.
  const idProblems = [...validateSubscriptionId(input.id, 'id'), ...(input.anchor === undefined && zone !== undefined ? validateZone(zone, 'zone') : [])];
  if (idProblems.length > 0) throw new InvalidInputError(idProblems);
  const existing = await getSubscription(deps.db, input.id);
  const anchor = input.anchor ?? (existing ? storedAnchor(existing) : anchorAt(deps.now(), zone ?? 'UTC'));
  // "usd" is USD: the one currency rule (billing/plan-rules.ts) before anything is checked or stored.
  const spec: SubscriptionSpec = { ...rest, plan: normalisePlanCurrency(rest.plan), anchor };
  const problems = validateSubscriptionSpecWithSchedule(spec, { environment: deps.environment });
  if (problems.length > 0) throw new InvalidInputError(problems);

  // A new subscription checks its plan against the others on its permission and writes its own
  // with no other start or plan change on that permission in between (permission-plans.ts).
  const decideAndLaunch = async (): Promise<StartSubscriptionResult> => {
    let permissionExpiresAt: Date | null = null;
    if (!existing) {
      // Checked only for a new subscription: a repeat must keep answering even after the buyer
      // closed the permission, or long after its anchor.
      assertNoBackBilling(spec, deps.now());
      const amazonPay = deps.amazonPay();
      const firstCharge =
        spec.firstChargeId === undefined ? undefined : await assertFirstChargeMatches(amazonPay, spec.firstChargeId, spec.chargePermissionId, spec.plan);
      const others = await otherPlansOnPermission(deps.db, spec.chargePermissionId, input.id);
      const permission = await assertPermissionBillable(amazonPay, spec.chargePermissionId, capTermsOf(spec.plan, spec.end), others, {
        firstChargePending: firstCharge?.statusDetails.state === 'AuthorizationInitiated',
      });
      permissionExpiresAt = parseCompactTimestamp(permission.expirationTimestamp);
    }

    const client = await deps.temporal();
    try {
      const { row, handle, created } = await launchSubscription(
        { db: deps.db, client, environment: deps.environment, taskQueues: deps.taskQueues, policy: deps.policy },
        spec,
        policy ?? {},
        { expiresAt: permissionExpiresAt },
      );
      return { subscription: subscriptionView(row), workflowId: handle.workflowId, created };
    } catch (error) {
      if (error instanceof SubscriptionConflictError) throw new ConflictError(error.summary, error.differences);
      // The row existed and its workflow already finished (REJECT_DUPLICATE): the same subscription, not a new one.
      if (error instanceof WorkflowExecutionAlreadyStartedError && existing) {
        return { subscription: subscriptionView(existing), workflowId: subscriptionWorkflowId(spec.id), created: false };
      }
      throw error;
    }
  };
  return existing ? decideAndLaunch() : withPermissionLease(deps, spec.chargePermissionId, `start of subscription ${input.id}`, decideAndLaunch);
}
