// When each billing cycle is due. Billing date n is a pure function of (anchor, interval, n):
// it is never stepped from the previous date, so month-end clamping and DST shifts cannot drift.
//
// Rules (all in the anchor's IANA zone, never the system zone):
// - day/week/month/year: add n * count units to the anchor's *wall-clock* date-time on a
//   zone-less calendar, clamping to the month's last day when the anchor's day does not exist
//   (Jan 31 → Feb 28/29 → Mar 31 → Apr 30; Feb 29 yearly → Feb 28 → … → Feb 29), then resolve
//   that wall time in the zone:
//     * skipped by a spring-forward (DST gap): moves forward by the gap (02:30 → 03:30 EDT);
//     * repeated by a fall-back (overlap): the EARLIER occurrence (01:30 EDT, not 01:30 EST),
//       so the buyer is charged at the first moment the wall clock shows the billing time.
//   The next cycle returns to the anchor's wall time; a shifted cycle does not move later ones.
// - second/minute/hour (sandbox only): elapsed time, anchor instant + n * count units.
//
// Trial: the anchor is the subscription start. Without a trial, cycle 0 is due at the anchor.
// With a trial, the billing anchor is the trial end, computed once by firstBillingAnchor():
// the start's wall-clock date-time plus the trial in the same calendar arithmetic. A trial end
// that was clamped keeps the start's day of month as its intent (anchor.dayOfMonth): a 1-month
// trial from Jan 31 ends Feb 28 and a monthly plan then bills Feb 28, Mar 31, Apr 30, …, never
// the clamped 28th for good. Cycle n is billingInstant(firstBillingAnchor, interval, n).
// Callers use cycleDueAt(spec, n) and never re-derive this.
//
// Wall-clock intent: an anchor's time of day is the wall time asked for (02:30 stays 02:30 even
// when one cycle was moved to 03:30 by a DST gap), and its day of month is `dayOfMonth` when set
// (31 for an anchor on Feb 28 whose schedule means "the last day up to the 31st"). Anchors made
// by the daemon (trial end, plan change: billing/segments.ts) are built from wall-clock parts
// before zone resolution and clamping, never from a resolved (shifted or clamped) date.

import { DateTime, IANAZone } from 'luxon';
import { parseLocalDateTime, validateAnchorFormat, validateSubscriptionSpec } from './plan-rules.js';
import type { LocalDateTimeParts, ValidationOptions } from './plan-rules.js';
import { INTERVAL_UNITS } from './types.js';
import type { BillingAnchor, BillingInterval, IntervalUnit, Problem, SubscriptionSpec } from './types.js';

const DAY_MS = 86_400_000;
const MAX_WINDOW = 10_000;

export interface ScheduledCycle {
  /** 0-based billing cycle. */
  cycle: number;
  /** Due instant, ISO-8601 UTC with milliseconds, e.g. '2025-03-09T07:30:00.000Z'. */
  dueAt: string;
  /** Same instant in the anchor's zone with its offset, e.g. '2025-03-09T03:30:00.000-04:00'. */
  local: string;
  zone: string;
}

// luxon checks a zone by building an Intl.DateTimeFormat (about 1 ms); the answer depends only
// on this runtime's tzdata, so it is remembered for the life of the process.
const knownZones = new Map<string, boolean>();

/** True for an IANA zone name this runtime knows. */
export function isKnownZone(zone: string): boolean {
  let known = knownZones.get(zone);
  if (known === undefined) {
    known = IANAZone.isValidZone(zone);
    knownZones.set(zone, known);
  }
  return known;
}

export function validateZone(zone: unknown, field = 'zone'): Problem[] {
  if (typeof zone === 'string' && zone.length > 0 && isKnownZone(zone)) return [];
  return [
    {
      field,
      message: `must be an IANA time zone name known to this runtime, such as "America/New_York", "Europe/Berlin" or "UTC", got ${JSON.stringify(zone)}`,
    },
  ];
}

/** Anchor format, real calendar date-time, and an IANA zone. */
export function validateAnchor(anchor: unknown, field = 'anchor'): Problem[] {
  const problems = validateAnchorFormat(anchor, field);
  // A non-object anchor or an already-reported zone leaves nothing to look up.
  if (problems.some((p) => p.field === field || p.field === `${field}.zone`)) return problems;
  const { zone, dayOfMonth, localDateTime } = anchor as { zone?: unknown; dayOfMonth?: unknown; localDateTime?: string };
  const day = parseLocalDateTime(localDateTime ?? '')?.day ?? 31;
  if (dayOfMonth !== undefined && (typeof dayOfMonth !== 'number' || !Number.isInteger(dayOfMonth) || dayOfMonth <= day || dayOfMonth > 31)) {
    problems.push({
      field: `${field}.dayOfMonth`,
      message: `must be left out, or a whole number above the anchor's day (${day}) up to 31, got ${JSON.stringify(dayOfMonth)}`,
    });
  }
  return [...problems, ...validateZone(zone, `${field}.zone`)];
}

/** How an end instant is written, for the messages below (plan-rules validateEnd checks the form). */
const END_INSTANT_FORM = 'ISO-8601 with Z or an offset';

/**
 * plan-rules' validateSubscriptionSpec plus the checks that need the zone database: the anchor's
 * zone, and an end.at after the start and after a trial's end (an end at or before the trial's
 * end bills nothing). Each refusal names the value and says which ends are accepted: an instant
 * (end.at), a number of cycles (end.afterCycles) or none; the words avoid the fields' names, which
 * each surface shows its own way (--end-at, end_at, end.at).
 */
export function validateSubscriptionSpecWithSchedule(spec: unknown, options: ValidationOptions): Problem[] {
  const problems = validateSubscriptionSpec(spec, options);
  if (problems.some((p) => p.field === 'spec')) return problems;
  const s = spec as Partial<SubscriptionSpec>;
  if (!problems.some((p) => p.field.startsWith('anchor'))) {
    problems.push(...validateZone(s.anchor?.zone, 'anchor.zone'));
  }
  const scheduleUsable = !problems.some((p) => p.field.startsWith('anchor') || p.field.startsWith('trial') || p.field.startsWith('end'));
  if (scheduleUsable && s.end !== undefined && 'at' in s.end && s.anchor !== undefined) {
    const endAt = DateTime.fromISO(s.end.at, { zone: 'utc', setZone: true });
    const start = resolveWallTime(requireParts(s.anchor), s.anchor.zone);
    if (endAt.toMillis() <= start.toMillis()) {
      problems.push({
        field: 'end.at',
        message: `must be after the subscription start ${start.toISO() ?? ''}, got ${JSON.stringify(s.end.at)}; accepted: an end instant after the start (${END_INSTANT_FORM}), an end after a number of cycles instead, or no end`,
      });
    } else if (s.trial !== undefined && s.plan !== undefined && !problems.some((p) => p.field.startsWith('plan'))) {
      // An end at or before the trial's end bills nothing: the buyer would consent to a plan that never charges.
      const firstDue = cycleDueAt(s as SubscriptionSpec, 0);
      if (endAt.toMillis() <= firstDue.toMillis())
        problems.push({
          field: 'end.at',
          message: `must be after the trial's end ${firstDue.toUTC().toISO() ?? ''} (the first billing date; no cycle would be billed), got ${JSON.stringify(s.end.at)}; accepted: an end instant after the trial's end (${END_INSTANT_FORM}), an end after a number of cycles instead (the first is billed when the trial ends), or no end`,
        });
    }
  }
  return problems;
}

/**
 * Milliseconds of one unit of the elapsed-time intervals (second, minute, hour): their cycle n is
 * cycle 0 plus n × count units exactly (billingInstant), so callers with many cycles can add
 * instead of resolving each. Calendar units are absent.
 */
export const ELAPSED_UNIT_MS: Readonly<Partial<Record<IntervalUnit, number>>> = Object.freeze({ second: 1_000, minute: 60_000, hour: 3_600_000 });

/** Due instant (UTC) of cycle n counted from `anchor`; see the rules at the top of this file. */
export function billingInstant(anchor: BillingAnchor, interval: BillingInterval, n: number): DateTime {
  assertCycle(n);
  assertInterval(interval);
  const parts = requireParts(anchor);
  const amount = n * interval.count;
  if (!Number.isSafeInteger(amount)) throw new Error(`Cycle ${n} × count ${interval.count} is too large to schedule`);
  switch (interval.unit) {
    case 'second':
    case 'minute':
    case 'hour':
      return checked(() => resolveWallTime(parts, anchor.zone).plus({ [`${interval.unit}s`]: amount }), anchor, n);
    case 'day':
    case 'week':
    case 'month':
    case 'year':
      return resolveWallTime(addCalendar(parts, interval.unit, amount, anchor.dayOfMonth), anchor.zone);
  }
}

/**
 * Wall-clock date-time of cycle n before zone resolution: for calendar units the intended wall
 * time (a DST gap has not moved it yet; month ends clamped from the anchor's intended day), for
 * second/minute/hour the wall time the elapsed instant shows in the zone.
 */
export function cycleWallTime(anchor: BillingAnchor, interval: BillingInterval, n: number): LocalDateTimeParts {
  assertCycle(n);
  assertInterval(interval);
  const parts = requireParts(anchor);
  switch (interval.unit) {
    case 'second':
    case 'minute':
    case 'hour': {
      const at = billingInstant(anchor, interval, n).setZone(anchor.zone);
      return { year: at.year, month: at.month, day: at.day, hour: at.hour, minute: at.minute, second: at.second };
    }
    case 'day':
    case 'week':
    case 'month':
    case 'year':
      return addCalendar(parts, interval.unit, n * interval.count, anchor.dayOfMonth);
  }
}

/** The anchor's intended day of month: `dayOfMonth` when its date was clamped, else its own day. */
export function intendedDayOfMonth(anchor: BillingAnchor): number {
  return anchor.dayOfMonth ?? requireParts(anchor).day;
}

/** An anchor at wall time `parts` that keeps `intendedDay` as its day of month where a month has it. */
export function anchorAtWallTime(parts: LocalDateTimeParts, zone: string, intendedDay?: number): BillingAnchor {
  return { localDateTime: formatParts(parts), zone, ...(intendedDay !== undefined && intendedDay > parts.day ? { dayOfMonth: intendedDay } : {}) };
}

/** The anchor that cycle 0 is due at: the start, or the trial end when there is a trial (see top of file). */
export function firstBillingAnchor(spec: Pick<SubscriptionSpec, 'anchor' | 'trial'>): BillingAnchor {
  const { anchor, trial } = spec;
  const parts = requireParts(anchor);
  // A clamped start keeps its intended day (a replacement continuing a Jan 31 plan from Feb 28).
  if (trial === undefined)
    return { localDateTime: anchor.localDateTime, zone: anchor.zone, ...(anchor.dayOfMonth === undefined ? {} : { dayOfMonth: anchor.dayOfMonth }) };
  assertInterval(trial, 'trial');
  switch (trial.unit) {
    case 'second':
    case 'minute':
    case 'hour': {
      // Elapsed-time trial: the wall time reached after the trial. If it falls in a fall-back
      // overlap, later resolution picks the earlier occurrence (sandbox-only units; accepted).
      const end = resolveWallTime(parts, anchor.zone)
        .plus({ [`${trial.unit}s`]: trial.count })
        .setZone(anchor.zone);
      return { localDateTime: formatParts(end), zone: anchor.zone };
    }
    case 'day':
    case 'week':
    case 'month':
    case 'year':
      // A month/year trial that clamped the day (Jan 31 + 1 month = Feb 28) keeps the 31st as intent.
      return anchorAtWallTime(
        addCalendar(parts, trial.unit, trial.count, anchor.dayOfMonth),
        anchor.zone,
        trial.unit === 'month' || trial.unit === 'year' ? intendedDayOfMonth(anchor) : undefined,
      );
  }
}

/** Due instant (UTC) of cycle n of a subscription, trial included. */
export function cycleDueAt(spec: Pick<SubscriptionSpec, 'anchor' | 'trial' | 'plan'>, cycle: number): DateTime {
  return billingInstant(firstBillingAnchor(spec), spec.plan.interval, cycle);
}

/**
 * Whether cycle n is still inside the subscription's end rule: with { afterCycles: N } cycles
 * 0..N-1 are billed; with { at } a cycle is billed only if due strictly before `at` (half-open).
 */
export function isCycleBeforeEnd(spec: Pick<SubscriptionSpec, 'anchor' | 'trial' | 'plan' | 'end'>, cycle: number): boolean {
  assertCycle(cycle);
  const end = spec.end;
  if (end === undefined) return true;
  if ('afterCycles' in end) return cycle < end.afterCycles;
  const endAt = validDateTime(() => DateTime.fromISO(end.at, { zone: 'utc', setZone: true }));
  if (endAt === undefined) throw new Error(`Invalid end.at ${JSON.stringify(end.at)}: expected an ISO-8601 instant such as "2026-01-01T00:00:00Z"`);
  return cycleDueAt(spec, cycle).toMillis() < endAt.toMillis();
}

/** Schedule preview of `count` cycles starting at `fromCycle`. */
export function scheduleWindow(anchor: BillingAnchor, interval: BillingInterval, fromCycle: number, count: number): ScheduledCycle[] {
  assertCycle(fromCycle, 'fromCycle');
  if (!Number.isInteger(count) || count < 0 || count > MAX_WINDOW) {
    throw new Error(`Invalid window size ${String(count)}: expected a whole number from 0 to ${MAX_WINDOW}`);
  }
  const window: ScheduledCycle[] = [];
  for (let cycle = fromCycle; cycle < fromCycle + count; cycle++) {
    const due = billingInstant(anchor, interval, cycle);
    window.push({ cycle, dueAt: iso(due), local: iso(due.setZone(anchor.zone)), zone: anchor.zone });
  }
  return window;
}

/**
 * Resolves a wall-clock date-time in an IANA zone to one UTC instant: a time inside a DST gap
 * moves forward by the gap; a repeated time picks the earlier instant. luxon's own fromObject
 * picks the later occurrence of a repeated time, so the choice is made explicitly here.
 */
export function resolveWallTime(parts: LocalDateTimeParts, zoneName: string): DateTime {
  if (!isKnownZone(zoneName)) {
    throw new Error(`Invalid time zone ${JSON.stringify(zoneName)}: expected an IANA name such as "America/New_York"`);
  }
  const zone = IANAZone.create(zoneName);
  const wallMs = DateTime.fromObject(parts, { zone: 'utc' }).toMillis();
  // Offsets (minutes) a day either side cover any single transition near this wall time.
  const offsetBefore = zone.offset(wallMs - DAY_MS);
  const offsetAfter = zone.offset(wallMs + DAY_MS);
  const candidates = [offsetBefore, offsetAfter].map((offset) => wallMs - offset * 60_000).filter((ts) => zone.offset(ts) === (wallMs - ts) / 60_000);
  // No candidate means a gap: keep the pre-transition offset, which lands `gap` later on the wall.
  const ts = candidates.length > 0 ? Math.min(...candidates) : wallMs - offsetBefore * 60_000;
  return DateTime.fromMillis(ts, { zone: 'utc' });
}

/**
 * Calendar arithmetic on a zone-less wall clock (UTC stands in: it has no DST); luxon clamps
 * month ends. Months and years start from `intendedDay` (default: the parts' own day), so an
 * anchor on a clamped Feb 28 meaning the 31st reaches Mar 31.
 */
function addCalendar(parts: LocalDateTimeParts, unit: 'day' | 'week' | 'month' | 'year', amount: number, intendedDay?: number): LocalDateTimeParts {
  const monthly = unit === 'month' || unit === 'year';
  const start = monthly && intendedDay !== undefined && intendedDay > parts.day ? { ...parts, day: 1 } : parts;
  const moved = validDateTime(() => {
    const added = DateTime.fromObject(start, { zone: 'utc' }).plus({ [`${unit}s`]: amount });
    return start !== parts && added.isValid ? added.set({ day: Math.min(intendedDay ?? parts.day, added.daysInMonth ?? 28) }) : added;
  });
  if (moved === undefined) throw new Error(`Cannot add ${amount} ${unit}(s) to ${formatPartsRaw(parts)}: outside the supported date range`);
  return { year: moved.year, month: moved.month, day: moved.day, hour: moved.hour, minute: moved.minute, second: moved.second };
}

function requireParts(anchor: BillingAnchor): LocalDateTimeParts {
  const problems = validateAnchor(anchor);
  const parts = parseLocalDateTime(anchor.localDateTime);
  if (problems.length > 0 || parts === undefined) {
    throw new Error(`Invalid billing anchor: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
  }
  return parts;
}

function assertCycle(n: number, name = 'cycle'): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`Invalid ${name} ${String(n)}: expected a whole number ≥ 0 (cycles are 0-based)`);
}

function assertInterval(interval: BillingInterval, name = 'interval'): void {
  if (!(INTERVAL_UNITS as readonly string[]).includes(interval.unit) || !Number.isSafeInteger(interval.count) || interval.count < 1) {
    throw new Error(`Invalid ${name} ${JSON.stringify(interval)}: expected { unit: ${INTERVAL_UNITS.join('|')}, count: whole number ≥ 1 }`);
  }
}

function checked(make: () => DateTime, anchor: BillingAnchor, n: number): DateTime {
  const dt = validDateTime(make);
  if (dt === undefined) throw new Error(`Cycle ${n} from anchor ${anchor.localDateTime} ${anchor.zone} is outside the supported date range`);
  return dt;
}

/**
 * The DateTime `make` builds, or undefined when it is invalid. The same answer whether Luxon's
 * Settings.throwOnInvalid is on (every entry point, config/luxon-strict.ts: Luxon throws) or off
 * (a library caller: Luxon returns an invalid DateTime), so our own error message wins in both.
 */
export function validDateTime(make: () => DateTime): DateTime | undefined {
  try {
    const dt = make();
    return dt.isValid ? dt : undefined;
  } catch (error) {
    // Luxon does not export its InvalidDateTimeError class; its constructor name is stable.
    if (error instanceof Error && error.constructor.name === 'InvalidDateTimeError') return undefined;
    throw error;
  }
}

function iso(dt: DateTime): string {
  const text = dt.toISO();
  if (text === null) throw new Error('Cannot format an invalid DateTime');
  return text;
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

function formatPartsRaw(p: LocalDateTimeParts): string {
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

function formatParts(p: LocalDateTimeParts | DateTime): string {
  return formatPartsRaw({ year: p.year, month: p.month, day: p.day, hour: p.hour, minute: p.minute, second: p.second });
}
