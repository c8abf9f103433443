// What the simulator's ledger says about a billing day: one charge per due Charge Permission,
// none twice, none missing, and how late each came after it was due.
import type { LedgerEntry } from '../simulator/control-client.js';
import { round } from './proc-stats.js';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
}

export interface BillingDayCheck {
  due: number;
  charged: number;
  /** Charges beyond the first for one Charge Permission (must be 0). */
  duplicates: number;
  /** Due Charge Permissions with no charge (must be 0). */
  misses: number;
  /** Charges on Charge Permissions that were not due (must be 0). */
  unexpected: number;
  /** Seconds from T0 until the last due Charge Permission was charged. */
  lastChargeAfterT0Seconds: number;
  /** Billing lag (due → charge created) in seconds. */
  lagSeconds: Percentiles;
  /** Charges per second until the 99th percentile (one straggler does not hide the rate). */
  p99ChargesPerSecond: number;
}

export function checkBillingDay(ledger: readonly LedgerEntry[], due: readonly string[], t0Ms: number): BillingDayCheck {
  const expected = new Set(due);
  const firstAt = new Map<string, number>();
  let duplicates = 0;
  let unexpected = 0;
  for (const entry of ledger) {
    if (!expected.has(entry.chargePermissionId)) {
      unexpected += 1;
      continue;
    }
    const at = Date.parse(entry.createdAt);
    const seen = firstAt.get(entry.chargePermissionId);
    if (seen === undefined) firstAt.set(entry.chargePermissionId, at);
    else {
      duplicates += 1;
      firstAt.set(entry.chargePermissionId, Math.min(seen, at));
    }
  }
  const lags = [...firstAt.values()].map((at) => (at - t0Ms) / 1000);
  const p = percentiles(lags);
  return {
    due: expected.size,
    charged: firstAt.size,
    duplicates,
    misses: expected.size - firstAt.size,
    unexpected,
    lastChargeAfterT0Seconds: round(p.max, 2),
    lagSeconds: { p50: round(p.p50, 2), p95: round(p.p95, 2), p99: round(p.p99, 2), max: round(p.max, 2) },
    p99ChargesPerSecond: p.p99 > 0 ? round((0.99 * firstAt.size) / p.p99, 1) : 0,
  };
}

/** Create Charge attempts by outcome (Created, Replayed, TooManyRequests, Injected…), from the simulator. */
export function summariseAttempts(counts: Record<string, number>): { total: number; throttled429: number; byOutcome: Record<string, number> } {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return { total, throttled429: counts.TooManyRequests ?? 0, byOutcome: counts };
}
