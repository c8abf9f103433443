// What the library refuses each of its operations on, as field names: produced by the library's
// own checks with wrong values of every field an edge can send, so the edges' tests (HTTP API:
// api/fields.ts, CLI: client/cli/field-names.ts) can show that every one is named as it was sent.
import type { ChargePermission } from '../../amazonpay/types.js';
import { validateCheckoutSessionId, validateSubscriptionId } from '../../billing/plan-rules.js';
import { checkCheckoutInput } from '../../client/checkout/create.js';
import { validateSubscriptionSpecWithSchedule, validateZone } from '../../billing/schedule.js';
import type { Problem } from '../../billing/types.js';
import { InvalidInputError, type TermDifference } from '../../client/errors.js';
import { assertPlanWithinMonthlyCap } from '../../client/subscriptions/amazon-checks.js';
import { assertNoBackBilling } from '../../client/subscriptions/back-billing.js';
import { checkPlanChange, checkReason } from '../../client/subscriptions/lifecycle.js';
import { previewSchedule } from '../../client/subscriptions/preview.js';
import { checkListFilter } from '../../client/subscriptions/read.js';
import { checkEventsQuery } from '../../client/events.js';
import { checkRefundInput } from '../../client/subscriptions/refund.js';
import { endpointIdProblem, validateDescription, validateEventTypes, validateWebhookUrl } from '../../webhooks/endpoint-input.js';

/** The problems of a check that must refuse. */
export function problemsOf(check: () => unknown): Problem[] {
  try {
    check();
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
  throw new Error('the check passed: it was meant to refuse');
}

const permission = {
  chargePermissionId: 'S01-1234567-1234567',
  chargePermissionType: 'Recurring',
  presentmentCurrency: 'USD',
  limits: { amountLimit: { amount: '10.00', currencyCode: 'USD' } },
} as unknown as ChargePermission;
const monthly = { amountMinor: '5000', currency: 'USD', interval: { unit: 'month' as const, count: 1 } };
const badInterval = { unit: 'month' as const, count: 5000 };
const anchor = { localDateTime: '2025-01-01T00:00', zone: 'UTC' };

/** startSubscription (library, then Amazon Pay checks, then a repeat with other terms); `merchantMetadata` holds the keys the edge can send. */
export function startRefusals(merchantMetadata: Record<string, string>): Array<Problem | TermDifference> {
  return [
    ...validateSubscriptionId('bad id!', 'id'),
    ...validateZone('Mars/Olympus', 'zone'),
    ...validateSubscriptionSpecWithSchedule(
      {
        id: 'bad id!',
        chargePermissionId: 'S01-1',
        plan: { amountMinor: '1'.repeat(20), currency: 'XXX', interval: badInterval },
        anchor: { localDateTime: '2025-02-30T09:00', zone: 'Mars/Olympus' },
        trial: badInterval,
        end: { afterCycles: 0 },
        firstChargeId: 'C1',
        softDescriptor: 'x'.repeat(17),
        merchantMetadata,
      },
      { environment: 'live' },
    ),
    ...validateSubscriptionSpecWithSchedule(
      {
        id: 'a',
        chargePermissionId: 'S01-1234567-1234567',
        plan: { ...monthly, interval: { unit: 'minute', count: 1 } },
        anchor,
        end: { at: '2024-01-01T00:00:00Z' },
      },
      { environment: 'live' },
    ),
    ...problemsOf(() => assertNoBackBilling({ plan: monthly, anchor: { localDateTime: '2020-01-01T00:00', zone: 'UTC' } }, new Date('2026-01-01T00:00:00Z'))),
    ...problemsOf(() => assertPlanWithinMonthlyCap(permission, monthly, 'plan.amountMinor')),
    { field: 'firstChargeId', message: 'from assertFirstChargeMatches (Get Charge)' },
    // 409: the terms a repeated start must repeat (client/launch.ts assertSameSubscription).
    ...['chargePermissionId', 'plan.amountMinor', 'plan.currency', 'plan.interval', 'anchor'].map((field) => ({ field, stored: 'a', requested: 'b' })),
  ];
}

export const listRefusals = (): Problem[] => problemsOf(() => checkListFilter({ status: 'x', chargePermissionId: 'x', dueBefore: 'x', limit: 0, cursor: 'x' }));
export const eventsQueryRefusals = (): Problem[] =>
  problemsOf(() => checkEventsQuery({ after: 'x!', subscriptionId: 'bad id!', types: ['charge.exploded'], limit: 0 }));
export const subscriptionIdRefusals = (): Problem[] => validateSubscriptionId('bad id!', 'subscriptionId');
export const reasonRefusals = (): Problem[] => problemsOf(() => checkReason('x'.repeat(501), 'fallback'));
export const chargeIdRefusals = (): Problem[] => problemsOf(() => checkRefundInput({ chargeId: 'x' }));
export const refundRefusals = (): Problem[] => [
  ...problemsOf(() => checkRefundInput({ chargeId: 'x', amountMinor: 'y', reason: '\u0000' })),
  { field: 'amountMinor', message: 'exceeds what is refundable' },
];

export const planChangeRefusals = (): Problem[] => [
  ...problemsOf(() => checkPlanChange({ amountMinor: 'x', interval: badInterval }, 'live')),
  ...problemsOf(() => checkPlanChange({}, 'live')),
  ...problemsOf(() => checkPlanChange({ interval: { unit: 'second', count: 1 } }, 'live')),
  ...problemsOf(() => assertPlanWithinMonthlyCap(permission, monthly, 'amountMinor')),
  ...problemsOf(() => assertPlanWithinMonthlyCap(permission, { ...monthly, amountMinor: '500', interval: { unit: 'week', count: 1 } }, 'interval')),
];

export const previewRefusals = (): Problem[] => [
  ...problemsOf(() =>
    previewSchedule('live', {
      anchor: { localDateTime: 'x', zone: 'Mars/Olympus' },
      interval: { unit: 'second', count: 1 },
      trial: { unit: 'second', count: 1 },
      count: 0,
      fromCycle: -1,
    }),
  ),
  ...problemsOf(() => previewSchedule('live', { anchor, interval: badInterval, trial: badInterval })),
  ...problemsOf(() => previewSchedule('live', { anchor, interval: { unit: 'year', count: 1 }, fromCycle: 1_000_000 })),
  ...problemsOf(() => previewSchedule('live', { anchor, interval: { unit: 'year', count: 1 }, trial: { unit: 'year', count: 1_000_000 } })),
];

/** createCheckout: the start's rules on the checkout's terms, and the return URLs. */
export const checkoutRefusals = (): Problem[] => [
  ...problemsOf(() =>
    checkCheckoutInput(
      {
        subscriptionId: 'bad id!',
        plan: { amountMinor: '1'.repeat(20), currency: 'XXX', interval: badInterval },
        zone: 'Mars/Olympus',
        trial: badInterval,
        end: { afterCycles: 0 },
        softDescriptor: 'x'.repeat(17),
        merchantMetadata: { merchantStoreName: '\u0000', noteToBuyer: '\u0000', customInformation: '\u0000' },
        checkoutResultReturnUrl: 'ftp://example.com',
        checkoutCancelUrl: 'http://shop.example.com/cancel',
      },
      { environment: 'live', now: new Date('2026-01-01T00:00:00Z'), usePendingAuthorization: false },
    ),
  ),
  ...problemsOf(() =>
    checkCheckoutInput(
      { subscriptionId: 'a', plan: { ...monthly, interval: { unit: 'minute', count: 1 } }, end: { at: '2024-01-01T00:00:00Z' }, checkoutResultReturnUrl: 'x' },
      { environment: 'live', now: new Date('2026-01-01T00:00:00Z'), usePendingAuthorization: false },
    ),
  ),
];

/** completeCheckout: only the Checkout Session id is the request's. */
export const completeCheckoutRefusals = (): Problem[] => validateCheckoutSessionId('../x', 'checkoutSessionId');

/** addWebhookEndpoint / updateWebhookEndpoint: url, event types and description. */
export function webhookEndpointRefusals(): Problem[] {
  return [validateWebhookUrl('ftp://example.com'), validateEventTypes(['charge.exploded']), validateDescription('x'.repeat(201))].flatMap((r) =>
    'problem' in r ? [r.problem] : [],
  );
}

/** Every webhook endpoint operation by id. */
export function webhookEndpointIdRefusals(): Problem[] {
  return [endpointIdProblem('we_nope')!];
}
