/**
 * What activities report to the daemon's Prometheus registry (daemon/metrics.ts). Optional in
 * ActivityDeps: tests and tools that build activities without a daemon pass nothing.
 */
export interface ActivityMetrics {
  /** Every Create Charge outcome (ok, throttled, soft_decline, …) and the time from due to now. */
  onChargeOutcome(kind: string, lagMs: number): void;
  /** An Amazon Pay call other than Create Charge answered 429: every read of amazonpay/reads.ts counts it, whoever read (workflow activity, IPN reaction, reconciliation). */
  onAmazonThrottled(operation: string): void;
  /** An inbox row reached its final status. */
  onIpnSettled(status: 'processed' | 'ignored' | 'failed'): void;
}
