// A plan must fit the Charge Permission's monthly cap as a month's total, not only per cycle:
// a weekly or daily plan whose cycles in one calendar month add up past limits.amountLimit is
// refused at start and change-plan (client/subscriptions/amazon-checks.ts), naming the limit
// and the count. The count rule (billing/plan-rules.ts) is checked against real billing dates.
import { describe, expect, it } from 'vitest';
import type { ChargePermission } from '../../../amazonpay/types.js';
import { cyclesPerCalendarMonth, maxCyclesPerCalendarMonth } from '../../../billing/plan-rules.js';
import { scheduleWindow } from '../../../billing/schedule.js';
import type { BillingInterval } from '../../../billing/types.js';
import { InvalidInputError } from '../../../client/errors.js';
import { checkCheckoutInput } from '../../../client/checkout/create.js';
import { assertCheckoutPlanWithinLimits, assertPlanWithinMonthlyCap } from '../../../client/subscriptions/amazon-checks.js';

function permission(amountLimit: { amount: string; currencyCode: string } | null, type = 'Recurring', currency = 'USD'): ChargePermission {
  return {
    chargePermissionId: 'B01-1234567-1234567',
    statusDetails: { state: 'Chargeable', reasons: null, lastUpdatedTimestamp: '20310101T000000Z' },
    creationTimestamp: '20310101T000000Z',
    expirationTimestamp: null,
    releaseEnvironment: 'Sandbox',
    limits: amountLimit ? { amountLimit, amountBalance: null } : null,
    chargePermissionType: type,
    presentmentCurrency: currency,
  } as ChargePermission;
}

const refusal = (fn: () => void): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
};

describe("cyclesPerCalendarMonth (every unit; the sandbox-only ones as elapsed time over 31 days) and maxCyclesPerCalendarMonth (the workflow's: those left to its per-cycle check)", () => {
  it.each([
    [{ unit: 'day', count: 1 }, 31, 31],
    [{ unit: 'day', count: 2 }, 16, 16],
    [{ unit: 'day', count: 15 }, 3, 3],
    [{ unit: 'day', count: 30 }, 2, 2],
    [{ unit: 'day', count: 31 }, 1, 1],
    [{ unit: 'week', count: 1 }, 5, 5],
    [{ unit: 'week', count: 2 }, 3, 3],
    [{ unit: 'week', count: 4 }, 2, 2],
    [{ unit: 'week', count: 5 }, 1, 1],
    [{ unit: 'month', count: 1 }, 1, 1],
    [{ unit: 'year', count: 1 }, 1, 1],
    [{ unit: 'hour', count: 1 }, 744, null],
    [{ unit: 'hour', count: 5 }, 149, null],
    [{ unit: 'hour', count: 744 }, 1, null],
    [{ unit: 'hour', count: 745 }, 1, null],
    [{ unit: 'minute', count: 1 }, 44_640, null],
    [{ unit: 'minute', count: 7 }, 6_378, null],
    [{ unit: 'second', count: 2 }, 1_339_200, null],
    [{ unit: 'second', count: 1_000_000 }, 3, null],
  ] as [BillingInterval, number, number | null][])('%o → %s (workflow: %s)', (interval, cycles, workflowCount) => {
    expect(cyclesPerCalendarMonth(interval)).toBe(cycles);
    expect(maxCyclesPerCalendarMonth(interval)).toBe(workflowCount);
  });

  it.each([
    { unit: 'hour', count: 1 },
    { unit: 'hour', count: 5 },
    { unit: 'minute', count: 7 },
    { unit: 'minute', count: 45 },
  ] as BillingInterval[])('is what the schedule puts in a 31-day month from its first instant (the most), for %o', (interval) => {
    // Cycles are elapsed time apart, so a month holds the most when cycle 0 is its first instant.
    const expected = cyclesPerCalendarMonth(interval);
    const window = scheduleWindow({ localDateTime: '2031-01-01T00:00:00', zone: 'UTC' }, interval, 0, expected + 1);
    expect(window.filter((c) => c.dueAt.startsWith('2031-01')).length).toBe(expected);
    expect(window.at(-1)?.dueAt.startsWith('2031-02')).toBe(true);
  });

  it.each([
    { unit: 'day', count: 1 },
    { unit: 'day', count: 3 },
    { unit: 'day', count: 30 },
    { unit: 'week', count: 1 },
    { unit: 'week', count: 2 },
    { unit: 'week', count: 4 },
    { unit: 'month', count: 1 },
  ] as BillingInterval[])('is the most billing dates the schedule puts in one calendar month of the buyer, for %o over four years', (interval) => {
    let most = 0;
    // Anchors on every weekday and across month starts: the count must hold for the worst one.
    for (let day = 1; day <= 7; day++) {
      const anchor = { localDateTime: `2031-01-0${day}T09:00`, zone: 'America/New_York' };
      const cycles = Math.ceil((4 * 366) / (interval.unit === 'month' ? 30 : interval.unit === 'week' ? 7 * interval.count : interval.count));
      const perMonth = new Map<string, number>();
      for (const c of scheduleWindow(anchor, interval, 0, cycles)) {
        const month = c.local.slice(0, 7);
        perMonth.set(month, (perMonth.get(month) ?? 0) + 1);
      }
      most = Math.max(most, ...perMonth.values());
    }
    expect(cyclesPerCalendarMonth(interval)).toBe(most);
  });
});

describe('assertPlanWithinMonthlyCap (start, change-plan)', () => {
  const cap = permission({ amount: '1000.00', currencyCode: 'USD' });

  it('refuses a weekly plan whose five cycles in a month pass the cap, naming the limit and the count', () => {
    const message = refusal(() =>
      assertPlanWithinMonthlyCap(cap, { amountMinor: '25000', currency: 'USD', interval: { unit: 'week', count: 1 } }, 'plan.amountMinor'),
    );
    expect(message).toMatch(
      /plan\.amountMinor 250\.00 USD every week is up to 5 cycles in one calendar month, 1250\.00 USD, above the monthly limit of Charge Permission B01-1234567-1234567 \(1000\.00 USD per calendar month, Recurring\)/,
    );
    expect(message).toMatch(/at most 200\.00 USD or a longer interval/);
    expect(() =>
      assertPlanWithinMonthlyCap(cap, { amountMinor: '20000', currency: 'USD', interval: { unit: 'week', count: 1 } }, 'plan.amountMinor'),
    ).not.toThrow();
  });

  it('refuses a daily plan above the cap over 31 cycles and accepts one that fits', () => {
    expect(refusal(() => assertPlanWithinMonthlyCap(cap, { amountMinor: '3300', currency: 'USD', interval: { unit: 'day', count: 1 } }, 'interval'))).toMatch(
      /^interval 33\.00 USD every day is up to 31 cycles in one calendar month, 1023\.00 USD/,
    );
    expect(() => assertPlanWithinMonthlyCap(cap, { amountMinor: '3225', currency: 'USD', interval: { unit: 'day', count: 1 } }, 'interval')).not.toThrow();
  });

  it('keeps the one-cycle rule: a monthly amount up to the cap passes, above it is refused as before', () => {
    expect(() =>
      assertPlanWithinMonthlyCap(cap, { amountMinor: '100000', currency: 'USD', interval: { unit: 'month', count: 1 } }, 'plan.amountMinor'),
    ).not.toThrow();
    expect(
      refusal(() => assertPlanWithinMonthlyCap(cap, { amountMinor: '100001', currency: 'USD', interval: { unit: 'month', count: 1 } }, 'plan.amountMinor')),
    ).toMatch(/1000\.01 USD per cycle is above the monthly limit/);
  });

  it("uses Amazon's published cap when the permission has no limits.amountLimit (Recurring JPY 100,000)", () => {
    const jpy = permission(null, 'Recurring', 'JPY');
    expect(refusal(() => assertPlanWithinMonthlyCap(jpy, { amountMinor: '25000', currency: 'JPY', interval: { unit: 'week', count: 1 } }, 'interval'))).toMatch(
      /125000 JPY, above the monthly limit .*100000 JPY per calendar month/,
    );
  });

  it('counts the cycles of sandbox-only second/minute/hour plans in a month too: every minute is 44,640 of them', () => {
    const minutely = { amountMinor: '1400', currency: 'USD', interval: { unit: 'minute' as const, count: 1 } };
    expect(refusal(() => assertPlanWithinMonthlyCap(cap, minutely, 'plan.amountMinor'))).toMatch(
      /^plan\.amountMinor 14\.00 USD every minute is up to 44640 cycles in one calendar month, 624960\.00 USD, above the monthly limit of Charge Permission B01-1234567-1234567 \(1000\.00 USD per calendar month, Recurring\).*at most 0\.02 USD or a longer interval, or an end after at most 71 cycles$/,
    );
    expect(refusal(() => assertPlanWithinMonthlyCap(cap, { ...minutely, amountMinor: '3', interval: { unit: 'second', count: 2 } }, 'interval'))).toMatch(
      /^interval 0\.03 USD every 2 seconds is up to 1339200 cycles in one calendar month/,
    );
    // An end after a number of cycles bounds the month: 71 cycles of 14.00 USD fit the cap, 72 do not.
    expect(() => assertPlanWithinMonthlyCap(cap, { ...minutely, afterCycles: 71 }, 'plan.amountMinor')).not.toThrow();
    expect(refusal(() => assertPlanWithinMonthlyCap(cap, { ...minutely, afterCycles: 72 }, 'plan.amountMinor'))).toMatch(
      /is up to 72 cycles in one calendar month, 1008\.00 USD/,
    );
    // And the other subscriptions on the permission are counted the same way.
    const others = [{ subscriptionId: 'demo-1', ...minutely, afterCycles: 60 }];
    expect(refusal(() => assertPlanWithinMonthlyCap(cap, { ...minutely, afterCycles: 12 }, 'plan.amountMinor', others))).toMatch(
      /up to 168\.00 USD in one calendar month for this plan plus 840\.00 USD for the other subscriptions on the permission \(demo-1 14\.00 USD every minute\) is 1008\.00 USD/,
    );
    expect(() => assertPlanWithinMonthlyCap(cap, { ...minutely, afterCycles: 11 }, 'plan.amountMinor', others)).not.toThrow();
  });

  it('says no amount fits where the cap is less than one minor unit per cycle (every 15 seconds), never "at most 0.00"', () => {
    const everyFifteen = { amountMinor: '100', currency: 'USD', interval: { unit: 'second' as const, count: 15 } };
    const alone = refusal(() => assertPlanWithinMonthlyCap(cap, everyFifteen, 'plan.amountMinor'));
    expect(alone).toMatch(/is up to 178560 cycles in one calendar month.*; no amount fits; use a longer interval, or an end after at most 1000 cycles$/);
    expect(alone).not.toMatch(/at most 0\.00/);
    // The same where what the other subscriptions leave is less than a cent a cycle.
    const others = [{ subscriptionId: 'sub-m', amountMinor: '99000', currency: 'USD', interval: { unit: 'month' as const, count: 1 } }];
    const shared = refusal(() => assertPlanWithinMonthlyCap(cap, { ...everyFifteen, amountMinor: '1', afterCycles: 5000 }, 'plan.amountMinor', others));
    expect(shared).toMatch(/what the others leave \(10\.00 USD\) is less than 0\.01 USD per cycle at this interval; use a longer one$/);
  });

  it('counts the monthly maximum of the other subscriptions on the permission (weekly five times), naming them; another currency does not count', () => {
    const others = [
      { subscriptionId: 'sub-a', amountMinor: '60000', currency: 'USD', interval: { unit: 'month' as const, count: 1 } },
      { subscriptionId: 'sub-w', amountMinor: '5000', currency: 'USD', interval: { unit: 'week' as const, count: 1 } },
    ];
    const plan = (amountMinor: string) => ({ amountMinor, currency: 'USD', interval: { unit: 'month' as const, count: 1 } });
    expect(refusal(() => assertPlanWithinMonthlyCap(cap, plan('15001'), 'plan.amountMinor', others))).toMatch(
      /^plan\.amountMinor up to 150\.01 USD in one calendar month for this plan plus 850\.00 USD for the other subscriptions on the permission \(sub-a 600\.00 USD every month, sub-w 50\.00 USD every week\) is 1000\.01 USD, above the monthly limit .*at most 150\.00 USD per cycle$/,
    );
    expect(() => assertPlanWithinMonthlyCap(cap, plan('15000'), 'plan.amountMinor', others)).not.toThrow();
    expect(() => assertPlanWithinMonthlyCap(cap, plan('60000'), 'plan.amountMinor', [{ ...others[0]!, currency: 'EUR' }])).not.toThrow();
  });
});

describe("the permission's limits at every entry point: per charge and per month", () => {
  it("refuses an amount above Amazon Pay's limit per charge, also where no monthly cap is known (EUR Recurring, GBP)", () => {
    const plan = (amountMinor: string, currency: string) => ({ amountMinor, currency, interval: { unit: 'year' as const, count: 1 } });
    expect(refusal(() => assertPlanWithinMonthlyCap(permission(null, 'Recurring', 'EUR'), plan('15000001', 'EUR'), 'amountMinor'))).toMatch(
      /^amountMinor 150000\.01 EUR per cycle is above Amazon Pay's limit per charge \(150000\.00 EUR\)/,
    );
    expect(() => assertPlanWithinMonthlyCap(permission(null, 'Recurring', 'EUR'), plan('15000000', 'EUR'), 'amountMinor')).not.toThrow();
    expect(refusal(() => assertPlanWithinMonthlyCap(permission(null, 'Recurring', 'JPY'), plan('10000001', 'JPY'), 'amountMinor'))).toMatch(
      /limit per charge \(10000000 JPY\)/,
    );
  });

  it('a checkout plan is held to the permission the checkout creates, before the button is signed', () => {
    const input = {
      subscriptionId: 'co-cap',
      plan: { amountMinor: '150000', currency: 'USD', interval: { unit: 'month' as const, count: 1 } },
      checkoutResultReturnUrl: 'https://shop.example/return',
    };
    const context = { environment: 'sandbox' as const, now: new Date('2031-01-01T00:00:00Z'), usePendingAuthorization: false };
    expect(refusal(() => checkCheckoutInput(input, context))).toMatch(
      /^plan\.amountMinor 1500\.00 USD per cycle is above the monthly limit of the Recurring Charge Permission the checkout creates \(1000\.00 USD per calendar month, Recurring\)/,
    );
    expect(
      refusal(() => checkCheckoutInput({ ...input, plan: { ...input.plan, amountMinor: '30000', interval: { unit: 'week', count: 1 } } }, context)),
    ).toMatch(/up to 5 cycles in one calendar month, 1500\.00 USD, above the monthly limit of the Recurring Charge Permission the checkout creates/);
    expect(checkCheckoutInput({ ...input, plan: { ...input.plan, amountMinor: '100000' } }, context).plan.amountMinor).toBe('100000');
    expect(() => assertCheckoutPlanWithinLimits({ amountMinor: '100001', currency: 'USD', interval: { unit: 'year', count: 1 } }, 'plan.amountMinor')).toThrow(
      InvalidInputError,
    );
  });
});
