// What the dispatcher reports; daemon/metrics.ts turns it into Prometheus series.

/** delivered (2xx) · retry (failed, another attempt scheduled) · failed (schedule used up, or endpoint disabled) · gone (410) · lost (the claim expired before the attempt was recorded). */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'gone' | 'lost';
export type DisableReason = 'operator' | 'gone' | 'failing';

export interface WebhookMetrics {
  onWebhookAttempt(endpointId: string, outcome: DeliveryOutcome): void;
  onWebhookEndpointDisabled(endpointId: string, reason: DisableReason): void;
}
