// What `billing start` options and `billing import` rows share: the same values, under option or
// column names, become one startSubscription input. Every missing or malformed value is named in
// one error, together with what the plan rules say about the parts that did parse, so one run lists
// everything before anything connects (the library checks again before anything starts).
import { normaliseCurrency, normalisePlanCurrency } from '../../billing/plan-rules.js';
import { isKnownZone, validateSubscriptionSpecWithSchedule } from '../../billing/schedule.js';
import type { BillingEnvironment } from '../../billing/types.js';
import { assertNoBackBilling } from '../subscriptions/back-billing.js';
import { anchorAt, type StartSubscriptionInput } from '../subscriptions/start.js';
import { str } from './command.js';
import { COLUMN_OF } from './field-names.js';
import { collectProblems } from './problems.js';
import { amountMinorFrom, parseIntervalText } from './values.js';

/** The values, by their `billing start` option names. */
export type StartKey =
  | 'id'
  | 'charge-permission'
  | 'amount'
  | 'amount-minor'
  | 'currency'
  | 'interval'
  | 'anchor'
  | 'zone'
  | 'trial'
  | 'end-after-cycles'
  | 'end-at'
  | 'first-charge'
  | 'soft-descriptor'
  | 'reference';

/** How a source names its values and words their absence. */
export interface StartInputNames {
  /** The name a value is read under and its problems are reported with. */
  field(key: StartKey): string;
  /** How a message refers to it ("--end-at", "end_at"). */
  shown(key: StartKey): string;
  /** The problem of a required value left out. */
  missing(key: StartKey, example: string): string;
  /** No anchor means "now" (the command line), or is a problem (an import row). */
  anchorRequired: boolean;
}

/** `billing start`: --id, --charge-permission, …; no --anchor means now. */
export const OPTION_NAMES: StartInputNames = {
  field: (key) => key,
  shown: (key) => `--${key}`,
  missing: (key, example) => `is required (e.g. --${key} ${example})`,
  anchorRequired: false,
};

/** `billing import` rows: the CSV columns (client/cli/import-rows.ts); the anchor is required. */
export const COLUMN_NAMES: StartInputNames = {
  field: (key) => COLUMN_OF[key],
  shown: (key) => COLUMN_OF[key],
  missing: (_key, example) => `is empty (e.g. ${example})`,
  anchorRequired: true,
};

/** What the offline check knows: the Amazon Pay environment (sandbox-only units) and now (the default anchor; with it, a given anchor more than one cycle back is refused). */
export interface StartCheckOptions {
  environment?: BillingEnvironment;
  now?: Date;
}

/** Spec fields the placeholder anchor stands for when no anchor is given (the library uses now). */
const ANY_ANCHOR_TIME = '2000-01-01T00:00';

/**
 * Values (option or column name → text) → library input, or one InvalidInputError naming every
 * problem (fields as `names.field` gives them, or the library's spec fields for plan rules).
 */
export function startInputFrom(values: Record<string, unknown>, names: StartInputNames, options: StartCheckOptions = {}): StartSubscriptionInput {
  const c = collectProblems();
  /** Spec fields already reported by value parsing; the plan-rule check skips them. */
  const reported = new Set<string>();
  const option = (key: StartKey): string | undefined => {
    const v = str(values, names.field(key))?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const report = (specField: string, key: StartKey, message: string): void => {
    c.add(names.field(key), message);
    reported.add(specField);
  };
  const required = (key: StartKey, example: string, specField: string): string | undefined => {
    const v = option(key);
    if (v === undefined) report(specField, key, names.missing(key, example));
    return v;
  };
  const parsed = <T>(specFields: string[], parse: () => T): T | undefined => {
    const before = c.problems.length;
    const result = c.attempt(parse);
    if (c.problems.length > before) specFields.forEach((f) => reported.add(f));
    return result;
  };

  const id = required('id', 'sub-1001', 'id');
  const chargePermissionId = required('charge-permission', 'S01-1234567-1234567', 'chargePermissionId');
  const currencyText = required('currency', 'USD', 'plan.currency');
  const currency = currencyText === undefined ? undefined : String(normaliseCurrency(currencyText));
  const amount = { amount: option('amount'), amountMinor: option('amount-minor') };
  const amountNames = {
    amount: names.field('amount'),
    amountMinor: names.field('amount-minor'),
    shown: (field: string) => (field === names.field('amount') ? names.shown('amount') : names.shown('amount-minor')),
  };
  const amountMinor =
    currency !== undefined
      ? parsed(['plan.currency', 'plan.amountMinor'], () => amountMinorFrom({ ...amount, currency }, amountNames))
      : amount.amount === undefined && amount.amountMinor === undefined
        ? parsed(['plan.amountMinor'], () => amountMinorFrom({ currency: 'USD' }, amountNames))
        : (reported.add('plan.amountMinor'), undefined);
  const intervalText = required('interval', 'month', 'plan.interval');
  const interval = intervalText === undefined ? undefined : parsed(['plan.interval'], () => parseIntervalText(intervalText, names.field('interval')));
  const trialText = option('trial');
  const trial = trialText === undefined ? undefined : parsed(['trial'], () => parseIntervalText(trialText, names.field('trial')));
  const zone = option('zone') ?? 'UTC';
  const anchorText = names.anchorRequired ? required('anchor', '2026-01-31T09:00', 'anchor.localDateTime') : option('anchor');
  const endAfter = option('end-after-cycles');
  const endAt = option('end-at');
  if (endAfter !== undefined && endAt !== undefined) report('end', 'end-at', `is not taken together with ${names.shown('end-after-cycles')}: give one of them`);
  else if (endAfter !== undefined && !/^\d+$/.test(endAfter)) report('end', 'end-after-cycles', `must be a whole number ≥ 1, got ${JSON.stringify(endAfter)}`);
  const firstCharge = option('first-charge');
  const softDescriptor = str(values, names.field('soft-descriptor'));
  const reference = str(values, names.field('reference'));
  const input: StartSubscriptionInput = {
    id: id ?? '',
    chargePermissionId: chargePermissionId ?? '',
    plan: { amountMinor: amountMinor ?? '', currency: currency ?? '', interval: interval ?? { unit: 'month' as const, count: 1 } },
    ...(anchorText === undefined ? { zone } : { anchor: { localDateTime: anchorText, zone } }),
    ...(trial === undefined ? {} : { trial }),
    ...(endAfter === undefined || reported.has('end') ? {} : { end: { afterCycles: Number(endAfter) } }),
    ...(endAt === undefined || reported.has('end') ? {} : { end: { at: endAt } }),
    ...(firstCharge === undefined ? {} : { firstChargeId: firstCharge }),
    ...(softDescriptor === undefined || softDescriptor === '' ? {} : { softDescriptor }),
    ...(reference === undefined || reference === '' ? {} : { merchantMetadata: { merchantReferenceId: reference } }),
  };
  // The plan rules over everything, also when every value parsed: a bad optional value is named
  // before anything connects (for an unparsed value a stand-in is checked, its problems dropped).
  const defaultAnchor = isKnownZone(zone) ? anchorAt(options.now ?? new Date(), zone) : { localDateTime: ANY_ANCHOR_TIME, zone };
  const candidate = { ...input, plan: normalisePlanCurrency(input.plan), anchor: input.anchor ?? defaultAnchor };
  const more = validateSubscriptionSpecWithSchedule(candidate, { environment: options.environment ?? 'sandbox' }).filter(
    (p) => ![...reported].some((field) => p.field === field || p.field.startsWith(`${field}.`)),
  );
  c.throwIfAny(more);
  // An anchor more than a cycle back would charge every past cycle at once (client/subscriptions/back-billing.ts).
  if (options.now !== undefined && input.anchor !== undefined) assertNoBackBilling(candidate, options.now);
  return input;
}
