// The SNS envelope's Timestamp: when SNS published the notification (ISO 8601 UTC, e.g.
// "2012-05-02T00:54:06.655Z", https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html).
// The signature covers it, so a genuine message cannot be given a fresh one; an old genuine message
// replayed within the window is a duplicate MessageId and collapses in the inbox.

const SNS_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

export interface TimestampWindow {
  /** Oldest accepted age, ms (billing.yaml ipn.maxMessageAge). */
  maxAgeMs: number;
  /** Furthest accepted distance into the future, ms (billing.yaml ipn.maxClockSkew). */
  maxSkewMs: number;
}

/** null when `timestamp` is an ISO 8601 UTC date within the window around `now`; otherwise why not. */
export function timestampProblem(timestamp: string, now: Date, window: TimestampWindow): string | null {
  const match = SNS_TIMESTAMP.exec(timestamp);
  const ms = match ? Date.parse(timestamp) : NaN;
  // Date.parse rolls 2026-02-30 over to March: the parts must survive the round trip.
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== timestamp.slice(0, 19)) {
    return `Timestamp ${JSON.stringify(timestamp.slice(0, 40))} is not an ISO 8601 UTC date such as "2026-01-31T12:00:00.000Z"`;
  }
  const age = now.getTime() - ms;
  if (age > window.maxAgeMs) return `Timestamp ${timestamp} is older than ${describeMs(window.maxAgeMs)} (ipn.maxMessageAge)`;
  if (-age > window.maxSkewMs) return `Timestamp ${timestamp} is more than ${describeMs(window.maxSkewMs)} ahead of this server's clock (ipn.maxClockSkew)`;
  return null;
}

function describeMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}
