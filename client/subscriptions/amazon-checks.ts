// Amazon Pay checks before a subscription starts: the Charge Permission must be billable by
// this plan, and a charge captured at checkout must really be the plan's first payment.
import type { AmazonPayClient } from '../../amazonpay/client.js';
import type { AmazonPayOutcome } from '../../amazonpay/outcome-types.js';
import { monthlyCapOf, perChargeMaximumOf } from '../../amazonpay/monthly-caps.js';
import type { Charge, ChargePermission } from '../../amazonpay/types.js';
import { formatMoney, money, parseDecimalAmount } from '../../billing/money.js';
import { cyclesPerCalendarMonth } from '../../billing/plan-rules.js';
import { SHORT_INTERVAL_UNITS, type BillingInterval, type Plan, type SubscriptionEnd } from '../../billing/types.js';
import { showInterval } from '../cli/format.js';
import { ChargePermissionNotChargeableError, InvalidInputError, NotFoundError, UpstreamError } from '../errors.js';

const BILLABLE_TYPES = ['Recurring', 'PaymentMethodOnFile'];
/** States of a checkout charge that can stand for cycle 0: paid, or on the way to it. */
const FIRST_CHARGE_STATES: readonly string[] = ['Captured', 'CaptureInitiated', 'Authorized', 'AuthorizationInitiated'];

/**
 * The permission must be Chargeable, Recurring or PaymentMethodOnFile, in the plan's currency, and
 * its monthly cap must hold the plan together with `others` (the other live subscriptions on it,
 * othersOnPermission). With `firstChargePending` (the checkout's own charge is still
 * AuthorizationInitiated), NonChargeable for ChargeInProgress alone is that charge, not a problem:
 * Amazon Pay allows one charge in progress at a time. Throws ChargePermissionNotChargeableError,
 * InvalidInputError (the cap).
 */
export async function assertPermissionBillable(
  amazonPay: AmazonPayClient,
  chargePermissionId: string,
  plan: PlanTerms,
  others: readonly OtherPlan[] = [],
  options: { firstChargePending?: boolean } = {},
): Promise<ChargePermission> {
  const permission = okOrThrow(await amazonPay.getChargePermission(chargePermissionId), 'charge_permission', chargePermissionId, 'Get Charge Permission');
  const { state, reasons } = permission.statusDetails;
  const reasonCodes = (reasons ?? []).map((r) => r.reasonCode);
  const onlyTheFirstCharge =
    options.firstChargePending === true && state === 'NonChargeable' && reasonCodes.length === 1 && reasonCodes[0] === 'ChargeInProgress';
  if (state !== 'Chargeable' && !onlyTheFirstCharge) {
    const why = reasonCodes.length > 0 ? ` (${reasonCodes.join(', ')})` : '';
    throw new ChargePermissionNotChargeableError(
      chargePermissionId,
      state,
      reasonCodes,
      `it is ${state}${why}; only a Chargeable permission can start a subscription`,
    );
  }
  if (!BILLABLE_TYPES.includes(permission.chargePermissionType)) {
    throw new ChargePermissionNotChargeableError(
      chargePermissionId,
      state,
      reasonCodes,
      `its type is ${permission.chargePermissionType}; recurring billing needs ${BILLABLE_TYPES.join(' or ')}`,
    );
  }
  if (permission.presentmentCurrency !== plan.currency) {
    throw new ChargePermissionNotChargeableError(
      chargePermissionId,
      state,
      reasonCodes,
      `it is in ${permission.presentmentCurrency} but the plan is in ${plan.currency}`,
    );
  }
  assertPlanWithinMonthlyCap(permission, plan, 'plan.amountMinor', others);
  return permission;
}

/**
 * The plan (amount in minor units, currency, interval) must fit the permission's monthly cap
 * (amazonpay/monthly-caps.ts: limits.amountLimit, else Amazon's published cap): a cycle above
 * it could never be charged, and a plan with more cycles in one calendar month than the cap
 * holds (billing/plan-rules.ts cyclesPerCalendarMonth: weekly 5, daily 31, every minute 44,640 in
 * the sandbox; never more than the plan's cycles in all, `afterCycles`) would be refused
 * PeriodicAmountExceeded every such month. Throws InvalidInputError on `field`, naming the cap
 * and the count. Amazon's cap is per Charge Permission, so the plan's monthly maximum plus the
 * `others`' (each live subscription's on the same permission) must fit too; refused naming them.
 * Shared by start (library, CLI, HTTP API, import) and change-plan.
 */
export function assertPlanWithinMonthlyCap(permission: PermissionLimits, plan: PlanTerms, field: string, others: readonly OtherPlan[] = []): void {
  const show = (minor: bigint | string) => formatMoney(money(BigInt(minor), plan.currency));
  const amount = BigInt(plan.amountMinor);
  const perCharge = perChargeMaximumOf(plan.currency);
  if (perCharge && amount > BigInt(perCharge.amountMinor)) {
    throw InvalidInputError.of(
      field,
      `${show(amount)} per cycle is above Amazon Pay's limit per charge (${show(perCharge.amountMinor)}): every charge would be refused; use an amount of at most ${show(perCharge.amountMinor)}`,
    );
  }
  const cap = monthlyCapOf(permission);
  if (!cap || cap.currency !== plan.currency) return;
  const name = permission.chargePermissionId
    ? `Charge Permission ${permission.chargePermissionId}`
    : `the ${permission.chargePermissionType} Charge Permission the checkout creates`;
  const limit = `the monthly limit of ${name} (${show(cap.amountMinor)} per calendar month, ${permission.chargePermissionType})`;
  if (amount > BigInt(cap.amountMinor)) {
    throw InvalidInputError.of(
      field,
      `${show(amount)} per cycle is above ${limit}: Amazon Pay would refuse every charge with PeriodicAmountExceeded; use an amount of at most ${show(cap.amountMinor)}`,
    );
  }
  const perMonth = cyclesInOneMonth(plan);
  if (amount * BigInt(perMonth) > BigInt(cap.amountMinor)) {
    // A sandbox plan of seconds to hours usually runs a few cycles (a demo, a test): its end can bound the month.
    const fewerCycles = isShortInterval(plan.interval) ? `, or an end after at most ${BigInt(cap.amountMinor) / amount} cycles` : '';
    // Below one minor unit per cycle no amount fits (a 15-second plan: 178,560 cycles a month).
    const fitting = BigInt(cap.amountMinor) / BigInt(perMonth);
    const advice =
      fitting > 0n ? `use an amount of at most ${show(fitting)} or a longer interval${fewerCycles}` : `no amount fits; use a longer interval${fewerCycles}`;
    throw InvalidInputError.of(
      field,
      `${show(amount)} ${showInterval(plan.interval)} is up to ${perMonth} cycles in one calendar month, ${show(amount * BigInt(perMonth))}, above ${limit}: Amazon Pay would refuse the cycles beyond it with PeriodicAmountExceeded; ${advice}`,
    );
  }
  const sameCurrency = others.filter((o) => o.currency === plan.currency);
  const othersMonthly = sameCurrency.reduce((sum, o) => sum + monthlyMaximum(o), 0n);
  const total = amount * BigInt(perMonth) + othersMonthly;
  if (sameCurrency.length === 0 || total <= BigInt(cap.amountMinor)) return;
  const named = sameCurrency.map((o) => `${o.subscriptionId} ${show(o.amountMinor)} ${showInterval(o.interval)}`).join(', ');
  const room = BigInt(cap.amountMinor) - othersMonthly;
  throw InvalidInputError.of(
    field,
    `up to ${show(amount * BigInt(perMonth))} in one calendar month for this plan plus ${show(othersMonthly)} for the other subscriptions on the permission (${named}) is ${show(total)}, above ${limit}: Amazon Pay would refuse the cycles beyond it with PeriodicAmountExceeded; ${room <= 0n ? 'the others already use the whole cap' : room / BigInt(perMonth) > 0n ? `this plan can have at most ${show(room / BigInt(perMonth))} per cycle` : `what the others leave (${show(room)}) is less than ${show(1n)} per cycle at this interval; use a longer one`}`,
  );
}

/** A plan's terms as the cap sees them; `afterCycles`: the subscription ends after that many cycles in all (end.afterCycles), so no month has more. */
type PlanTerms = { amountMinor: string; currency: string; interval: BillingInterval; afterCycles?: number | null };

/** A plan's terms for the cap checks: `end` bounds its cycles when it is a number of cycles. */
export function capTermsOf(plan: Plan, end: SubscriptionEnd | undefined): PlanTerms {
  return { ...plan, afterCycles: end && 'afterCycles' in end ? end.afterCycles : null };
}

const isShortInterval = (interval: BillingInterval): boolean => (SHORT_INTERVAL_UNITS as readonly string[]).includes(interval.unit);

/** The most cycles of `plan` in one calendar month: cyclesPerCalendarMonth for every unit, never more than its cycles in all. */
function cyclesInOneMonth(plan: PlanTerms): number {
  const perMonth = cyclesPerCalendarMonth(plan.interval);
  return plan.afterCycles == null ? perMonth : Math.min(perMonth, plan.afterCycles);
}

/** What the limit checks read of a permission; chargePermissionId null: the one a checkout will create. */
export type PermissionLimits = Pick<ChargePermission, 'chargePermissionType' | 'presentmentCurrency' | 'limits'> & { chargePermissionId: string | null };

/**
 * A checkout's plan against the limits of the Recurring Charge Permission it will create (Amazon
 * Pay's per-charge maximum and published monthly cap for the currency; the permission's own
 * `limits` are checked again at start): refused before the button is signed and before Complete
 * charges anything. Throws InvalidInputError on `field`.
 */
export function assertCheckoutPlanWithinLimits(plan: PlanTerms, field: string): void {
  assertPlanWithinMonthlyCap({ chargePermissionId: null, chargePermissionType: 'Recurring', presentmentCurrency: plan.currency, limits: null }, plan, field);
}

/** Another live subscription on the same Charge Permission, with the plan its row holds (client/subscriptions/permission-plans.ts). */
export interface OtherPlan extends PlanTerms {
  subscriptionId: string;
}

/** The most a plan can charge in one calendar month: its amount times its cycles in a month, as the per-plan rule counts them. */
function monthlyMaximum(plan: PlanTerms): bigint {
  return BigInt(plan.amountMinor) * BigInt(cyclesInOneMonth(plan));
}

/**
 * The checkout charge must belong to the permission, be paid or on its way to it (Captured,
 * CaptureInitiated, Authorized — the workflow captures it —, AuthorizationInitiated — it waits for
 * Amazon's decision), and be exactly the plan's amount. The workflow records it in the state
 * Amazon gives (workflows/checkout-charge.ts).
 */
export async function assertFirstChargeMatches(amazonPay: AmazonPayClient, chargeId: string, chargePermissionId: string, plan: Plan): Promise<Charge> {
  const charge = okOrThrow(await amazonPay.getCharge(chargeId), 'charge', chargeId, 'Get Charge');
  const problems: string[] = [];
  if (charge.chargePermissionId !== chargePermissionId)
    problems.push(`it belongs to Charge Permission ${charge.chargePermissionId}, not ${chargePermissionId}`);
  if (!FIRST_CHARGE_STATES.includes(charge.statusDetails.state)) {
    const reason = charge.statusDetails.reasonCode ? ` (${charge.statusDetails.reasonCode})` : '';
    problems.push(
      `it is ${charge.statusDetails.state}${reason}; only a charge that is paid or being paid (${FIRST_CHARGE_STATES.join(', ')}) can stand for the first payment`,
    );
  }
  const expected = formatMoney(money(BigInt(plan.amountMinor), plan.currency));
  let actual: string;
  try {
    actual = formatMoney(parseDecimalAmount(charge.chargeAmount.amount, charge.chargeAmount.currencyCode));
  } catch {
    actual = `${charge.chargeAmount.amount} ${charge.chargeAmount.currencyCode}`;
  }
  if (actual !== expected) problems.push(`it is for ${actual}, the plan charges ${expected}`);
  if (problems.length > 0) throw InvalidInputError.of('firstChargeId', `${chargeId}: ${problems.join('; ')}`);
  return charge;
}

export function okOrThrow<T>(outcome: AmazonPayOutcome<T>, kind: 'charge' | 'charge_permission', id: string, operation: string): T {
  if (outcome.kind === 'ok') return outcome.body;
  if (outcome.kind === 'permission_state' && outcome.reasonCode === 'ResourceNotFound') throw new NotFoundError(kind, id, 'Amazon Pay does not know it');
  const retryable = outcome.kind === 'throttled' || outcome.kind === 'transient';
  const code = 'reasonCode' in outcome && outcome.reasonCode ? `${outcome.reasonCode}: ` : '';
  throw new UpstreamError(`Amazon Pay ${operation} ${id} failed (${outcome.kind}) ${code}${outcome.message}`, retryable);
}
