import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ActivityMetrics } from '../activities/ipn-metrics.js';
import type { Database } from '../db/client.js';
import { inboxBacklog } from '../db/queries/ipn-inbox.js';
import { deliveryBacklog } from '../db/queries/webhook-deliveries.js';
import type { DeliveryOutcome, DisableReason, WebhookMetrics } from '../webhooks/metrics.js';

/**
 * One Prometheus registry per daemon (not prom-client's global one: tests run two daemons in
 * one process). The inbox backlog gauge is read from PostgreSQL at scrape time, so every
 * replica reports the shared backlog.
 */
export class BillingMetrics implements ActivityMetrics, WebhookMetrics {
  readonly registry = new Registry();
  private readonly charges = new Counter({
    name: 'billing_charges_total',
    help: 'Create Charge outcomes by class',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly throttled = new Counter({
    name: 'billing_amazon_throttled_total',
    help: 'Amazon Pay calls answered 429 TooManyRequests',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  private readonly ipnReceived = new Counter({
    name: 'billing_ipn_received_total',
    help: 'IPN deliveries by what the endpoint did with them',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly ipnSettled = new Counter({
    name: 'billing_ipn_settled_total',
    help: 'Inbox rows reaching a final status (processed, ignored, failed)',
    labelNames: ['status'],
    registers: [this.registry],
  });
  private readonly housekeeping = new Counter({
    name: 'billing_housekeeping_runs_total',
    help: 'Housekeeping job runs by result (ran, skipped, failed)',
    labelNames: ['job', 'result'],
    registers: [this.registry],
  });
  private readonly lag = new Histogram({
    name: 'billing_charge_lag_seconds',
    help: 'Time from the moment a charge was due (scheduled) to its successful Create Charge',
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 6 * 3600, 86_400],
    registers: [this.registry],
  });

  private readonly webhookAttempts = new Counter({
    name: 'billing_webhook_attempts_total',
    help: 'Webhook delivery attempts by endpoint and outcome (delivered, retry, failed, gone, lost)',
    labelNames: ['endpoint', 'outcome'],
    registers: [this.registry],
  });
  private readonly webhookDisabled = new Counter({
    name: 'billing_webhook_endpoints_disabled_total',
    help: 'Webhook endpoints this replica disabled, by reason (gone: answered 410; failing: no success for the whole retry window)',
    labelNames: ['endpoint', 'reason'],
    registers: [this.registry],
  });

  constructor(db: Database) {
    collectDefaultMetrics({ register: this.registry, prefix: 'billing_process_' });
    new Gauge({
      name: 'billing_ipn_inbox_backlog',
      help: 'Inbox rows not yet settled, by status (pending: not yet handed to Temporal)',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        try {
          const backlog = await inboxBacklog(db);
          this.set({ status: 'pending' }, backlog.pending);
          this.set({ status: 'dispatched' }, backlog.dispatched);
        } catch {
          // A scrape must not fail because the database is briefly away; /readyz says so.
        }
      },
    });
    // Both webhook backlog gauges come from one query per scrape (each gauge collects on its own).
    let backlog: { at: number; rows: ReturnType<typeof deliveryBacklog> } | undefined;
    const readBacklog = (): ReturnType<typeof deliveryBacklog> => {
      if (!backlog || Date.now() - backlog.at > 1_000) backlog = { at: Date.now(), rows: deliveryBacklog(db) };
      return backlog.rows;
    };
    const webhookBacklogGauge = (name: string, help: string, value: (row: Awaited<ReturnType<typeof deliveryBacklog>>[number]) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['endpoint'],
        registers: [this.registry],
        async collect() {
          try {
            const rows = await readBacklog();
            this.reset();
            for (const row of rows) this.set({ endpoint: row.endpointId }, value(row));
          } catch {
            // As above: the database's absence shows in /readyz, not as a failed scrape.
          }
        },
      });
    };
    webhookBacklogGauge('billing_webhook_backlog', 'Pending webhook deliveries per enabled endpoint', (row) => row.pending);
    webhookBacklogGauge(
      'billing_webhook_backlog_age_seconds',
      'Age of the oldest pending webhook delivery per enabled endpoint (0: none pending)',
      (row) => row.oldestAgeSeconds,
    );
  }

  /**
   * `billing_amazon_clock_offset_seconds`: what the Amazon Pay client adds to the host clock for
   * x-amz-pay-date (amazonpay/pay-clock.ts), read at scrape time. Far from 0: the host's NTP is off.
   */
  watchAmazonClockOffset(readOffsetMs: () => number): void {
    new Gauge({
      name: 'billing_amazon_clock_offset_seconds',
      help: "Amazon Pay's clock minus the host clock, learned from the Date header of its responses (negative: host ahead)",
      registers: [this.registry],
      collect() {
        this.set(readOffsetMs() / 1000);
      },
    });
  }

  onChargeOutcome(kind: string, lagMs: number): void {
    this.charges.inc({ outcome: kind });
    if (kind === 'throttled') this.throttled.inc({ operation: 'createCharge' });
    if (kind === 'ok' && Number.isFinite(lagMs) && lagMs >= 0) this.lag.observe(lagMs / 1000);
  }

  onAmazonThrottled(operation: string): void {
    this.throttled.inc({ operation });
  }

  onIpnSettled(status: 'processed' | 'ignored' | 'failed'): void {
    this.ipnSettled.inc({ status });
  }

  onIpnReceived(result: 'stored' | 'duplicate' | 'confirmation' | 'rejected' | 'unavailable'): void {
    this.ipnReceived.inc({ result });
  }

  onWebhookAttempt(endpointId: string, outcome: DeliveryOutcome): void {
    this.webhookAttempts.inc({ endpoint: endpointId, outcome });
  }

  onWebhookEndpointDisabled(endpointId: string, reason: DisableReason): void {
    this.webhookDisabled.inc({ endpoint: endpointId, reason });
  }

  onHousekeeping(job: string, result: 'ran' | 'skipped' | 'failed'): void {
    this.housekeeping.inc({ job, result });
  }
}
