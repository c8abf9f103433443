// Library views (client/subscriptions/views.ts: minor units as digit strings) → API resources
// (Money as { amount: "14.00", currency }), and API money input → minor units.
import type { z } from 'zod';
import { parseMajorAmount, toDecimalString, money } from '../billing/money.js';
import { exampleAmount, normaliseCurrency, validateCurrency } from '../billing/plan-rules.js';
import type { ChargeView, RefundView, StatusEventView, SubscriptionView } from '../client/subscriptions/views.js';
import { InvalidInputError } from '../client/errors.js';
import type { SubscriptionState } from '../workflows/types.js';
import type { ChargeSchema, LiveStateSchema, RefundSchema, StatusEventSchema, SubscriptionSchema } from './schemas/resources.js';
import { nextChargeAt, periodEndsAt } from '../client/subscriptions/live-dates.js';

type Money = { amount: string; currency: string };

export function moneyOut(amountMinor: string | bigint, currency: string): Money {
  return { amount: toDecimalString(money(BigInt(amountMinor), currency)), currency };
}

/**
 * API money → minor units and the currency's upper-case ISO 4217 code: letter case and surrounding
 * spaces of the currency are ignored (billing/plan-rules.ts normaliseCurrency, the rule of the CLI,
 * the CSV import and the library). `field` names it in the 422 when the amount or currency is
 * refused; `expectedCurrency` (upper case) is the currency of what the amount applies to.
 */
export function moneyIn(value: Money, field: string, expectedCurrency?: string): { amountMinor: string; currency: string } {
  const currency = normaliseCurrency(value.currency);
  const currencyProblems = validateCurrency(currency, `${field}.currency`);
  if (currencyProblems.length > 0 || typeof currency !== 'string') throw new InvalidInputError(currencyProblems);
  if (expectedCurrency !== undefined && currency !== expectedCurrency) {
    throw InvalidInputError.of(`${field}.currency`, `must be ${expectedCurrency}, the currency of what it applies to, got ${JSON.stringify(currency)}`);
  }
  let minor: bigint;
  try {
    minor = parseMajorAmount(value.amount, currency).amountMinor;
  } catch {
    minor = -1n;
  }
  if (minor <= 0n) {
    const example = exampleAmount(currency).major;
    throw InvalidInputError.of(
      `${field}.amount`,
      `must be a positive decimal amount in ${currency} such as "${example}" (no sign, no separators, at most the currency's decimals), got ${JSON.stringify(value.amount)}`,
    );
  }
  return { amountMinor: minor.toString(), currency };
}

export function subscriptionOut(s: SubscriptionView): z.output<typeof SubscriptionSchema> {
  return {
    id: s.id,
    account: null,
    status: s.status,
    statusReason: s.statusReason,
    chargePermissionId: s.chargePermissionId,
    environment: s.environment === 'live' ? 'live' : 'sandbox',
    plan: { price: moneyOut(s.plan.amountMinor, s.plan.currency), interval: s.plan.interval },
    anchor: s.anchor,
    trial: s.trial,
    end: s.end,
    firstChargeId: s.firstChargeId,
    currentCycle: s.currentCycle,
    nextBillingAt: s.nextBillingAt,
    createdAt: s.createdAt,
    endedAt: s.endedAt,
    stopRequested: s.stopRequested,
    stopAtPeriodEnd: s.stopAtPeriodEnd,
    permissionExpiresAt: s.permissionExpiresAt,
    workflowId: s.workflowId,
  };
}

export function liveOut(state: SubscriptionState): z.output<typeof LiveStateSchema> {
  return {
    status: state.status,
    statusReason: state.statusReason,
    cycle: state.cycle,
    attempt: state.attempt,
    nextBillingAt: nextChargeAt(state),
    endsAt: periodEndsAt(state),
    nextRetryAt: state.nextRetryAt,
    dunningStep: state.dunningStep,
    paused: state.paused,
    cancelAtPeriodEnd: state.cancelAtPeriodEnd,
    plan: { price: moneyOut(state.amountMinor, state.currency), interval: state.interval },
    outstanding: state.outstanding,
    chargesMade: state.chargesMade,
  };
}

export function chargeOut(c: ChargeView): z.output<typeof ChargeSchema> {
  return {
    chargeId: c.chargeId,
    cycle: c.cycle,
    attempt: c.attempt,
    amount: moneyOut(c.amountMinor, c.currency),
    state: c.state,
    outcome: c.outcome,
    reasonCode: c.reasonCode,
    idempotencyKey: c.idempotencyKey,
    requestedAt: c.requestedAt,
    completedAt: c.completedAt,
  };
}

export function refundOut(r: RefundView): z.output<typeof RefundSchema> {
  return {
    chargeId: r.chargeId,
    seq: r.seq,
    amount: moneyOut(r.amountMinor, r.currency),
    refundId: r.refundId,
    state: r.state,
    reasonCode: r.reasonCode,
    reason: r.reason,
    requestedAt: r.requestedAt,
  };
}

export function statusEventOut(e: StatusEventView): z.output<typeof StatusEventSchema> {
  return { at: e.at, fromStatus: e.fromStatus, toStatus: e.toStatus, reasonCode: e.reasonCode, cycle: e.cycle };
}
