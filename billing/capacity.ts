// What the deployment can send: the lower of the Create Charge quota and the daemon's own
// throughput, the latter learned from the ledger — the highest rate it sustained while charges
// were waiting for it. Pure: client/subscriptions/capacity-evidence.ts reads the ledger, and the
// forecast (billing/forecast.ts) runs at the rate chosen here, with the wake-up delay measured here.
import { modelledLastSendMs } from './forecast.js';

/** One Create Charge send from the ledger. */
export interface SentCharge {
  /** When its first request was sent (the ledger row's requested_at), epoch ms. */
  sentAtMs: number;
  /** When its cycle was due, epoch ms; null when the ledger cannot tell (a dunning retry, a subscription whose plan changed). */
  dueAtMs: number | null;
  /** The Create Charge rate limit it was sent under (calls/s; charges.rate_limit_per_second). */
  rateLimitPerSecond: number;
}

/** A stretch of time in which charges kept waiting and the deployment sent as fast as it could. */
export interface SaturatedStretch {
  startsAt: Date;
  endsAt: Date;
  /** Charges sent in it. */
  charges: number;
  /** Charges sent per second over it (charges ÷ its length). */
  ratePerSecond: number;
  /** The highest Create Charge rate limit its charges were sent under (calls/s). */
  rateLimitPerSecond: number;
  /**
   * quota: it sent at least `quotaShare` of its rate limit — the quota held the charges back and
   * the daemon kept up (its own throughput is at least this); daemon: below that — the daemon's
   * own throughput held them back.
   */
  limitedBy: 'quota' | 'daemon';
  /**
   * Seconds the peak it belongs to finished after the forecast's model (billing/forecast.ts, at
   * this stretch's rate, charges sendable at their due time) would have finished it; at least 0.
   * What a rate alone leaves out: timers firing and workflow tasks starting before the first
   * sends, and a slower start. The forecast adds it to every charge's due time.
   */
  wakeUpSeconds: number;
}

/** When a stretch counts as saturated; see CAPACITY_RULES. */
export interface SaturationRules {
  /** Length of the sliding windows a stretch is made of (s). */
  windowSeconds: number;
  /** A charge counts as held back once it is this late: the wake-up latency of a quiet system stays below it (s). */
  heldBackAfterSeconds: number;
  /** A window holds at least this many charges (one stuck charge among a trickle is no peak). */
  minCharges: number;
  /** …and no longer than this without a send, from its start to its end: the daemon was sending all through it (s). */
  maxGapSeconds: number;
  /** …of which at least this share were held back, among those whose due time is known. */
  lateShare: number;
  /** A stretch sending at least this share of its rate limit was held back by the quota. */
  quotaShare: number;
}

/**
 * A window is saturated when, all through it, some charge was held back (due more than
 * `heldBackAfterSeconds` ago and not yet sent) and the deployment kept sending (no
 * `maxGapSeconds` without a send); it holds at least `minCharges` sends, at least half of them
 * with a known due time, and at least 90 % of those were held back. A quiet system — charges sent
 * on time, a trickle, one charge stuck behind a failure, a daemon that was down while charges
 * came due — has no such window, so it yields no evidence rather than too low a capacity.
 */
export const CAPACITY_RULES: Readonly<SaturationRules> = Object.freeze({
  windowSeconds: 10,
  heldBackAfterSeconds: 5,
  minCharges: 10,
  maxGapSeconds: 5,
  lateShare: 0.9,
  quotaShare: 0.9,
});

/**
 * The saturated stretches in `sent` (any order), earliest first: runs of overlapping saturated
 * windows (CAPACITY_RULES), each with the rate it sustained and what held it back.
 */
export function saturatedStretches(sent: readonly SentCharge[], rules: SaturationRules = CAPACITY_RULES): SaturatedStretch[] {
  const rows = [...sent].sort((a, b) => a.sentAtMs - b.sentAtMs);
  const heldBackMs = rules.heldBackAfterSeconds * 1000;
  const windowMs = rules.windowSeconds * 1000;
  const times = rows.map((r) => r.sentAtMs);
  const isHeldBack = (r: SentCharge): boolean => r.dueAtMs !== null && r.sentAtMs - r.dueAtMs >= heldBackMs;
  const known = prefixCounts(rows, (r) => r.dueAtMs !== null);
  const late = prefixCounts(rows, isHeldBack);
  const maxGapMs = rules.maxGapSeconds * 1000;
  // wideGaps[g]: sends before g followed by a wide gap (between send g − 1 and send g counts at g).
  const wideGaps = prefixCounts(times, (t, g) => g > 0 && t - times[g - 1]! > maxGapMs);

  const stretches: Array<{ start: number; end: number; segment: [number, number] }> = [];
  for (const [from, to] of heldBackSegments(rows, heldBackMs)) {
    for (let s = from; s + windowMs <= to; s += 1000) {
      const i = firstAtOrAfter(times, s);
      const j = firstAtOrAfter(times, s + windowMs);
      const n = j - i;
      if (n < rules.minCharges) {
        // No window before the one that reaches the minCharges-th send from here can qualify: skip to it
        // (a charge stuck for days makes a long segment with few sends in it).
        const needed = i + rules.minCharges - 1;
        if (needed >= times.length) break;
        s = Math.max(s, from + Math.ceil((times[needed]! - windowMs + 1 - from) / 1000) * 1000 - 1000);
        continue;
      }
      const k = known[j]! - known[i]!;
      if (2 * k < n || late[j]! - late[i]! < rules.lateShare * k) continue;
      const idle = times[i]! - s > maxGapMs || s + windowMs - times[j - 1]! > maxGapMs || wideGaps[j]! - wideGaps[i + 1]! > 0;
      if (idle) continue;
      const last = stretches.at(-1);
      if (last && s <= last.end) last.end = s + windowMs;
      else stretches.push({ start: s, end: s + windowMs, segment: [from, to] });
    }
  }
  return stretches.map(({ start, end, segment }) => {
    const i = firstAtOrAfter(times, start);
    const j = firstAtOrAfter(times, end);
    const charges = j - i;
    const ratePerSecond = charges / ((end - start) / 1000);
    const rateLimitPerSecond = rows.slice(i, j).reduce((max, r) => Math.max(max, r.rateLimitPerSecond), 0);
    return {
      wakeUpSeconds: peakWakeUpSeconds(rows, segment, heldBackMs, ratePerSecond),
      startsAt: new Date(start),
      endsAt: new Date(end),
      charges,
      ratePerSecond,
      rateLimitPerSecond,
      limitedBy: ratePerSecond >= rules.quotaShare * rateLimitPerSecond ? 'quota' : 'daemon',
    };
  });
}

/**
 * The peak of a held-back segment [from, to): the charges due from its first held-back charge's
 * due time to its last one's. Its wake-up: how much later its last send came than the model's.
 */
function peakWakeUpSeconds(rows: readonly SentCharge[], [from, to]: [number, number], heldBackMs: number, ratePerSecond: number): number {
  const peak = rows.filter((r) => r.dueAtMs !== null && r.dueAtMs >= from - heldBackMs && r.dueAtMs <= to - heldBackMs);
  if (peak.length === 0) return 0;
  const lastSent = peak.reduce((max, r) => Math.max(max, r.sentAtMs), Number.NEGATIVE_INFINITY);
  return Math.max(
    0,
    (lastSent -
      modelledLastSendMs(
        peak.map((r) => r.dueAtMs!),
        ratePerSecond,
      )) /
      1000,
  );
}

/** The stretch with the highest sustained rate, or null when there is none. */
export function highestSustained(stretches: readonly SaturatedStretch[]): SaturatedStretch | null {
  return stretches.reduce<SaturatedStretch | null>((best, s) => (best === null || s.ratePerSecond > best.ratePerSecond ? s : best), null);
}

/** The rate the forecast runs at, and why. */
export interface ChargeRate {
  /** Create Charge calls per second the forecast uses: what the deployment sends under its quota, or the daemon's capacity when that is lower. */
  ratePerSecond: number;
  /** The Create Charge quota: the deployment's rate limit (temporal.yaml rateLimits.createChargePerSecond). */
  quotaPerSecond: number;
  /**
   * The share of its quota the deployment sent on the ledger's peak when the quota held it back
   * (0–1: the server's pacing and the daemon's dispatch leave part of each second unused); null
   * when no such peak is known (the quota is taken whole).
   */
  quotaShareSent: number | null;
  /** The daemon's own charges per second, measured or configured; null: not known. */
  capacityPerSecond: number | null;
  /** Where the capacity comes from: the ledger's evidence, billing.yaml forecast.capacityPerSecond, or nowhere. */
  capacitySource: 'ledger' | 'configured' | null;
  /** Which of the two the forecast runs at. */
  limitedBy: 'quota' | 'capacity';
  /** Seconds after its due time before a charge can go even with nothing waiting (the evidence's wakeUpSeconds; 0 without evidence). */
  wakeUpSeconds: number;
  /** The ledger's highest sustained peak in the evidence window, whatever held it back; null: none. */
  evidence: SaturatedStretch | null;
  /** The part of the ledger read for evidence. */
  evidenceWindow: { from: Date; until: Date };
}

export interface ChargeRateInput {
  quotaPerSecond: number;
  /** highestSustained() of the ledger's stretches in `evidenceWindow`. */
  evidence: SaturatedStretch | null;
  /** billing.yaml forecast.capacityPerSecond; null: not set. */
  configuredCapacityPerSecond: number | null;
  evidenceWindow: { from: Date; until: Date };
}

/**
 * The lower of what the deployment sends under its quota and the daemon's capacity. Under the
 * quota it sends the quota times the share of it sent on the ledger's peak that the quota held
 * back (the whole quota without one). The capacity is the ledger's measurement when its highest
 * sustained peak was held back by the daemon; else the configured capacity, unless the ledger
 * shows the daemon sustaining more than that; else unknown. A peak the quota held back proves
 * only that the daemon does at least that much, never less. The wake-up delay is the evidence's.
 * Throws RangeError for a quota or configured capacity ≤ 0.
 */
export function chargeRate(input: ChargeRateInput): ChargeRate {
  const { quotaPerSecond, evidence, configuredCapacityPerSecond: configured } = input;
  if (!(quotaPerSecond > 0)) throw new RangeError(`quotaPerSecond must be > 0, got ${quotaPerSecond}`);
  if (configured !== null && !(configured > 0)) throw new RangeError(`the configured capacity must be > 0, got ${configured}`);
  let capacity: number | null = null;
  let source: ChargeRate['capacitySource'] = null;
  if (evidence?.limitedBy === 'daemon') {
    capacity = evidence.ratePerSecond;
    source = 'ledger';
  } else if (configured !== null && (evidence === null || configured >= evidence.ratePerSecond)) {
    capacity = configured;
    source = 'configured';
  }
  const quotaShareSent = evidence?.limitedBy === 'quota' ? Math.min(1, evidence.ratePerSecond / evidence.rateLimitPerSecond) : null;
  const underQuota = quotaPerSecond * (quotaShareSent ?? 1);
  const limitedBy = capacity !== null && capacity < underQuota ? 'capacity' : 'quota';
  return {
    ratePerSecond: limitedBy === 'capacity' ? capacity! : underQuota,
    quotaPerSecond,
    quotaShareSent,
    capacityPerSecond: capacity,
    capacitySource: source,
    limitedBy,
    wakeUpSeconds: evidence?.wakeUpSeconds ?? 0,
    evidence,
    evidenceWindow: input.evidenceWindow,
  };
}

/**
 * One or two sentences saying which limit the forecast runs at and from what evidence, e.g.
 * "Limit: the daemon's own throughput, 26.2 charges/s, measured: 26.2 charges/s over 52 s from
 * 2026-11-30T06:02:45Z (1362 charges, its quota then 50/s); the quota is 50/s. Each charge counts
 * from 2.1 s after it is due: …" (`billing forecast` and the dashboard).
 */
export function describeChargeRate(rate: ChargeRate): string {
  const wakeUp = ` Each charge counts from ${perSecond(rate.wakeUpSeconds)} s after it is due: that peak finished so much later than its rate alone explains.`;
  return `${describeLimit(rate)}${rate.evidence ? wakeUp : ''}`;
}

function describeLimit(rate: ChargeRate): string {
  const e = rate.evidence;
  const days = Math.round((rate.evidenceWindow.until.getTime() - rate.evidenceWindow.from.getTime()) / 86_400_000);
  const measured = e
    ? `${perSecond(e.ratePerSecond)} charges/s over ${Math.round((e.endsAt.getTime() - e.startsAt.getTime()) / 1000)} s from ` +
      `${e.startsAt.toISOString().slice(0, 19)}Z (${e.charges} charges, its quota then ${perSecond(e.rateLimitPerSecond)}/s)`
    : '';
  const share = rate.quotaShareSent;
  const quota =
    share === null || share === 1
      ? `the quota, ${perSecond(rate.quotaPerSecond)}/s`
      : `the quota, ${perSecond(rate.quotaPerSecond)}/s, of which the deployment sends ${Math.round(share * 100)} %: ${perSecond(rate.quotaPerSecond * share)} charges/s`;
  const configured = 'billing.yaml forecast.capacityPerSecond';
  if (rate.capacitySource === 'ledger') {
    return rate.limitedBy === 'capacity'
      ? `Limit: the daemon's own throughput, ${perSecond(rate.ratePerSecond)} charges/s, measured: ${measured}; the quota is ${perSecond(rate.quotaPerSecond)}/s.`
      : `Limit: ${quota}; the daemon has sustained ${measured}.`;
  }
  const kept = e ? `the daemon kept up with its quota at ${measured}` : `no peak in the ledger's last ${days} days measured the daemon's own throughput`;
  if (rate.capacitySource === 'configured') {
    return rate.limitedBy === 'capacity'
      ? `Limit: the daemon's throughput as configured, ${perSecond(rate.ratePerSecond)} charges/s (${configured}); ${kept}; the quota is ${perSecond(rate.quotaPerSecond)}/s.`
      : `Limit: ${quota}, below the configured throughput of ${perSecond(rate.capacityPerSecond!)} charges/s (${configured}); ${kept}.`;
  }
  const above = e && e.ratePerSecond < rate.quotaPerSecond ? `; above ${perSecond(e.ratePerSecond)}/s its throughput is not measured` : '';
  return `Limit: ${quota}; ${kept}${above}.`;
}

/** A rate for people: at most one decimal. */
export function perSecond(rate: number): string {
  return String(Math.round(rate * 10) / 10);
}

/** counts[i]: how many of rows[0..i) pass `test`. */
function prefixCounts<T>(rows: readonly T[], test: (row: T, index: number) => boolean): number[] {
  const counts = [0];
  rows.forEach((row, index) => counts.push(counts.at(-1)! + (test(row, index) ? 1 : 0)));
  return counts;
}

/** The union of the intervals in which each held-back charge waited ([due + heldBack, sent)), as disjoint [from, to) segments. */
function heldBackSegments(rows: readonly SentCharge[], heldBackMs: number): Array<[number, number]> {
  const intervals = rows
    .filter((r) => r.dueAtMs !== null && r.sentAtMs > r.dueAtMs + heldBackMs)
    .map((r): [number, number] => [r.dueAtMs! + heldBackMs, r.sentAtMs])
    .sort((a, b) => a[0] - b[0]);
  const segments: Array<[number, number]> = [];
  for (const [from, to] of intervals) {
    const last = segments.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else segments.push([from, to]);
  }
  return segments;
}

/** Index of the first element ≥ value in an ascending array (its length when none). */
function firstAtOrAfter(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
