// The shop's catalogue. A plan is what POST /v1/checkout-sessions takes (price as a decimal string
// and ISO currency, interval, optional free trial): the daemon turns it into the Checkout Session's
// recurringMetadata and payment intent, so the storefront never builds Amazon Pay payloads itself.

export interface Plan {
  /** The id in the storefront's URLs (/checkout/<id>). */
  id: string;
  name: string;
  description: string;
  price: { amount: string; currency: string };
  interval: { unit: 'day' | 'week' | 'month' | 'year'; count: number };
  /** A free trial: nothing is charged at checkout (paymentIntent Confirm), the first cycle is billed when it ends. */
  trial?: { unit: 'day' | 'week' | 'month'; count: number };
}

export const PLANS: readonly Plan[] = [
  {
    id: 'coffee-monthly',
    name: 'Coffee of the month',
    description: 'A bag of freshly roasted beans every month. The first month is paid at checkout.',
    price: { amount: '14.00', currency: 'USD' },
    interval: { unit: 'month', count: 1 },
  },
  {
    id: 'tea-weekly-trial',
    name: 'Tea club',
    description: 'A new tea every week. Try it free for 14 days: nothing is charged today.',
    price: { amount: '4.50', currency: 'USD' },
    interval: { unit: 'week', count: 1 },
    trial: { unit: 'day', count: 14 },
  },
];

export function findPlan(id: string): Plan | undefined {
  return PLANS.find((plan) => plan.id === id);
}

/** "14.00 USD every month", "4.50 USD every 2 weeks". */
export function describePrice(plan: Plan): string {
  const { unit, count } = plan.interval;
  return `${plan.price.amount} ${plan.price.currency} every ${count === 1 ? unit : `${count} ${unit}s`}`;
}

/** "14 days". */
export function describeTrial(trial: NonNullable<Plan['trial']>): string {
  return `${trial.count} ${trial.unit}${trial.count === 1 ? '' : 's'}`;
}
