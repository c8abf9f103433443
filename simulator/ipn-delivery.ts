// Delivers SNS envelopes to the configured IPN URL with SNS-like retries: retried on 5xx,
// timeouts and connection failures with the same MessageId; never on 2xx/4xx. Optional faults:
// duplicate deliveries, reordering within a small held window, and added delay. Every timer is
// tracked so close() leaves nothing running.
import type { Random } from './prng.js';
import { SIMULATOR_TOPIC_ARN, type SnsEnvelope } from './ipn-envelope.js';

export interface IpnConfig {
  url: string | null;
  /** TopicArn of the envelopes (signed); the daemon accepts only configured topics. */
  topicArn: string;
  /** Delays before each redelivery; attempts = 1 + length. Default hourly × 3. */
  retryScheduleMs: number[];
  timeoutMs: number;
  duplicateProbability: number;
  /** Hold up to this many envelopes and release them shuffled (0/1 = in order). */
  reorderWindow: number;
  /** Longest an envelope waits for the reorder window to fill. */
  reorderHoldMs: number;
  addedDelayMs: number;
  /** Skip IPNs for outcomes already returned synchronously by the API call that caused them. */
  suppressSynchronous: boolean;
}

export const DEFAULT_IPN_CONFIG: IpnConfig = {
  url: null,
  topicArn: SIMULATOR_TOPIC_ARN,
  retryScheduleMs: [3_600_000, 3_600_000, 3_600_000],
  timeoutMs: 10_000,
  duplicateProbability: 0,
  reorderWindow: 0,
  reorderHoldMs: 100,
  addedDelayMs: 0,
  suppressSynchronous: false,
};

export interface DeliveryAttempt {
  messageId: string;
  notificationId: string;
  objectType: string;
  objectId: string;
  attempt: number;
  duplicate: boolean;
  status: number | null;
  error: string | null;
  atMs: number;
}

export class IpnDelivery {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<AbortController>();
  private held: SnsEnvelope[] = [];
  private holdTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly log: DeliveryAttempt[] = [];
  /** Envelopes built (one per state change), before any fault. */
  readonly sent: SnsEnvelope[] = [];

  constructor(
    private config: IpnConfig,
    private readonly random: Random,
    private readonly nowMs: () => number,
  ) {}

  configure(config: IpnConfig): void {
    this.config = config;
  }

  getConfig(): IpnConfig {
    return this.config;
  }

  enqueue(envelope: SnsEnvelope): void {
    if (this.closed || !this.config.url) return;
    this.sent.push(envelope);
    if (this.config.reorderWindow > 1) {
      this.held.push(envelope);
      if (this.held.length >= this.config.reorderWindow) this.releaseHeld();
      else if (!this.holdTimer) this.holdTimer = this.track(() => this.releaseHeld(), this.config.reorderHoldMs);
      return;
    }
    this.dispatch(envelope);
  }

  private releaseHeld(): void {
    if (this.holdTimer) {
      clearTimeout(this.holdTimer);
      this.timers.delete(this.holdTimer);
      this.holdTimer = undefined;
    }
    const batch = this.held;
    this.held = [];
    for (let i = batch.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [batch[i], batch[j]] = [batch[j]!, batch[i]!];
    }
    for (const envelope of batch) this.dispatch(envelope);
  }

  private dispatch(envelope: SnsEnvelope): void {
    const duplicate = this.random() < this.config.duplicateProbability;
    this.schedule(envelope, 1, this.config.addedDelayMs, false);
    if (duplicate) this.schedule(envelope, 1, this.config.addedDelayMs, true);
  }

  private schedule(envelope: SnsEnvelope, attempt: number, delayMs: number, duplicate: boolean): void {
    if (delayMs <= 0) void this.attempt(envelope, attempt, duplicate);
    else this.track(() => void this.attempt(envelope, attempt, duplicate), delayMs);
  }

  private track(fn: () => void, delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, delayMs);
    this.timers.add(timer);
    return timer;
  }

  private async attempt(envelope: SnsEnvelope, attempt: number, duplicate: boolean): Promise<void> {
    const url = this.config.url;
    if (this.closed || !url) return;
    const message = JSON.parse(envelope.Message) as { NotificationId: string; ObjectType: string; ObjectId: string };
    const entry: DeliveryAttempt = {
      messageId: envelope.MessageId,
      notificationId: message.NotificationId,
      objectType: message.ObjectType,
      objectId: message.ObjectId,
      attempt,
      duplicate,
      status: null,
      error: null,
      atMs: this.nowMs(),
    };
    const controller = new AbortController();
    this.inflight.add(controller);
    const timeout = setTimeout(() => controller.abort(new Error('timeout')), this.config.timeoutMs);
    let retry = false;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain; charset=UTF-8',
          'x-amz-sns-message-type': envelope.Type,
          'x-amz-sns-message-id': envelope.MessageId,
          'x-amz-sns-topic-arn': envelope.TopicArn,
          'x-amz-sns-subscription-arn': `${envelope.TopicArn}:simulator`,
        },
        body: JSON.stringify(envelope),
        signal: controller.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      entry.status = response.status;
      retry = response.status >= 500;
    } catch (error) {
      entry.error = controller.signal.aborted ? 'timeout' : String((error as Error).message ?? error);
      retry = !this.closed;
    } finally {
      clearTimeout(timeout);
      this.inflight.delete(controller);
    }
    this.log.push(entry);
    const nextDelay = this.config.retryScheduleMs[attempt - 1];
    if (retry && nextDelay !== undefined && !this.closed) this.schedule(envelope, attempt + 1, nextDelay, duplicate);
  }

  /** Number of deliveries still scheduled or in flight (for tests waiting on quiescence). */
  pending(): number {
    return this.timers.size + this.inflight.size + this.held.length;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inflight) controller.abort(new Error('simulator closed'));
    this.held = [];
  }

  reset(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.held = [];
    this.holdTimer = undefined;
    this.log.length = 0;
    this.sent.length = 0;
  }
}
