// Amazon Pay renders timestamps in the compact ISO-8601 form yyyyMMddTHHmmssZ.

export function compactTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Parses an x-amz-pay-date value. Both forms clients send are accepted: compact
 * (PHP/Java/.NET: 20190923T231908Z) and ISO extended (Node SDK: 2019-09-23T23:19:08Z).
 */
export function parseAmzPayDate(value: string): Date | undefined {
  const compact = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  const extended = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?Z$/.exec(value);
  const m = compact ?? extended;
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const date = new Date(ms);
  // Reject values such as month 13 that Date.UTC would silently roll over.
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return date;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
