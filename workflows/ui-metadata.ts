// What the Temporal Web UI shows of a subscription besides its search attributes: the workflow's
// "current details" (setCurrentDetails, served by the SDK's metadata query, no history event) and
// the summaries of its timers (user metadata on TimerStarted, behind TIMER_SUMMARIES). Pure and
// deterministic: dates are formatted with Intl in the buyer's zone, never with the host's.
import { formatMoney, money } from '../billing/money.js';
import type { BillingInterval } from '../billing/types.js';

/** "2026-12-28 09:00 America/New_York" for an ISO instant; the ISO text itself if the zone is unknown. */
export function wallTime(iso: string, zone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(new Date(iso));
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${zone}`;
  } catch {
    return iso;
  }
}

const every = (interval: BillingInterval) => (interval.count === 1 ? `every ${interval.unit}` : `every ${interval.count} ${interval.unit}s`);

function price(amountMinor: string, currency: string): string {
  try {
    return formatMoney(money(BigInt(amountMinor), currency));
  } catch {
    return `${amountMinor} (minor units) ${currency}`;
  }
}

/** The state a subscription workflow shows as its current details (Markdown, as the Web UI renders it). */
export interface DetailsInput {
  status: string;
  reason: string | null;
  amountMinor: string;
  currency: string;
  interval: BillingInterval;
  cycle: number;
  nextBillingAt: string | null;
  nextRetryAt: string | null;
  dunningStep: number;
  dunningSteps: number;
  paused: boolean;
  zone: string;
  /** A plan change that takes effect at a later cycle than the current one; null: none scheduled. */
  planAhead: { fromCycle: number; amountMinor: string; interval: BillingInterval } | null;
  /** A stop at the end of the current period, with its reason; null: none asked for. */
  stopsAtPeriodEnd: { reason: string } | null;
}

export function currentDetails(d: DetailsInput): string {
  const lines = [
    `**Status:** ${d.status}${d.reason ? ` (${d.reason})` : ''}${d.paused && d.status !== 'paused' ? ' · paused' : ''}`,
    `**Plan:** ${price(d.amountMinor, d.currency)} ${every(d.interval)}`,
    ...(d.planAhead ? [`**From cycle ${d.planAhead.fromCycle}:** ${price(d.planAhead.amountMinor, d.currency)} ${every(d.planAhead.interval)}`] : []),
    `**Cycle:** ${d.cycle}`,
    `**Next billing:** ${d.nextBillingAt ? wallTime(d.nextBillingAt, d.zone) : '—'}`,
  ];
  if (d.dunningStep > 0 || d.nextRetryAt)
    lines.push(`**Dunning:** step ${d.dunningStep} of ${d.dunningSteps}${d.nextRetryAt ? `, next retry ${wallTime(d.nextRetryAt, d.zone)}` : ''}`);
  if (d.stopsAtPeriodEnd) lines.push(`**Stops:** at the end of this period (${d.stopsAtPeriodEnd.reason}); no further cycle is billed`);
  return lines.join('\n\n');
}

/** Timer summaries: what each wait of the workflow waits for, in the buyer's zone. */
export const timerSummary = {
  cycleDue: (cycle: number, dueAt: string, zone: string) => `cycle ${cycle} due ${wallTime(dueAt, zone)}`,
  dunningRetry: (cycle: number, retryAt: number, zone: string) => `cycle ${cycle}: retry at ${wallTime(new Date(retryAt).toISOString(), zone)}`,
  paymentMethodCheck: (cycle: number, zone: string, checkAt: number) =>
    `cycle ${cycle}: waiting for the buyer's payment method; next check ${wallTime(new Date(checkAt).toISOString(), zone)}`,
  pendingCharge: (chargeId: string, pollAt: number, zone: string) =>
    `charge ${chargeId} pending; Get Charge at ${wallTime(new Date(pollAt).toISOString(), zone)}`,
  failedCallRetry: (activity: string, retryAt: number, zone: string) => `${activity} failed; retry at ${wallTime(new Date(retryAt).toISOString(), zone)}`,
};
