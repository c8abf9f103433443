// Human-readable output: money with its currency, dates in the subscription's zone and in UTC, tables.
import { DateTime } from 'luxon';
import { formatMoney, money } from '../../billing/money.js';
import { validDateTime } from '../../billing/schedule.js';
import type { BillingInterval } from '../../billing/types.js';
import { escapeControls } from './terminal.js';

export function showMoney(amountMinor: string | bigint, currency: string): string {
  try {
    return formatMoney(money(BigInt(amountMinor), currency));
  } catch {
    return `${String(amountMinor)} (minor units) ${currency}`;
  }
}

export function showInterval(interval: BillingInterval): string {
  return interval.count === 1 ? `every ${interval.unit}` : `every ${interval.count} ${interval.unit}s`;
}

/** "2025-03-01 09:00:00 America/New_York (14:00:00 UTC)"; the UTC date is repeated only when it differs. */
export function showInstant(iso: string | null, zone: string): string {
  if (iso === null) return '—';
  const utc = validDateTime(() => DateTime.fromISO(iso, { zone: 'utc' }));
  if (utc === undefined) return iso;
  const local = utc.setZone(zone);
  const utcText = utc.toFormat(local.toISODate() === utc.toISODate() ? 'HH:mm:ss' : 'yyyy-MM-dd HH:mm:ss');
  if (zone === 'UTC' || zone === 'Etc/UTC') return `${utc.toFormat('yyyy-MM-dd HH:mm:ss')} UTC`;
  return `${local.toFormat('yyyy-MM-dd HH:mm:ss')} ${zone} (${utcText} UTC)`;
}

/**
 * A recorded stop at period end as one status note: "stops at period end (reason), after cycle 3 /
 * on 2026-04-15 09:00:00 America/New_York (13:00:00 UTC)" — "before its first charge" when no cycle
 * may be billed (afterCycle -1), no date when it was not known. `zone`: the subscription's zone.
 */
export function periodEndStopNote(stop: { reason: string; afterCycle: number; endsAt: string | null }, zone: string): string {
  const after = stop.afterCycle < 0 ? 'before its first charge' : `after cycle ${stop.afterCycle}`;
  return `stops at period end (${stop.reason}), ${after}${stop.endsAt ? ` / on ${showInstant(stop.endsAt, zone)}` : ''}`;
}

/** Plain-text table: left-aligned columns, a header and a rule. */
export function table(headers: string[], rawRows: string[][]): string {
  // A line break inside a cell would start a fake row: cells are escaped whole.
  const rows = rawRows.map((row) => row.map((cell) => escapeControls(cell)));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** Key/value block: "  key   value" lines aligned on the longest key. */
export function fields(pairs: Array<[string, string]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `  ${k.padEnd(width)}  ${escapeControls(v)}`).join('\n') + '\n';
}

/** JSON for --json: bigint-safe, two-space indent, trailing newline. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}
