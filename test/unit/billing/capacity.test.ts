// billing/capacity.ts: the daemon's throughput learned from the ledger, and the rate the forecast runs at.
import { describe, expect, it } from 'vitest';
import { chargeRate, describeChargeRate, highestSustained, saturatedStretches, type SaturatedStretch, type SentCharge } from '../../../billing/capacity.js';

const t0 = Date.parse('2026-11-30T06:00:00Z');
const window = { from: new Date('2026-10-26T06:00:00Z'), until: new Date('2026-11-30T06:00:00Z') };

/** `count` charges all due at `dueAtMs`, sent `perSecond` apart from `firstSentMs`, under `rateLimit`. */
function drained(count: number, perSecond: number, rateLimit: number, dueAtMs = t0, firstSentMs = dueAtMs + 200): SentCharge[] {
  return Array.from({ length: count }, (_, i) => ({ sentAtMs: firstSentMs + (i * 1000) / perSecond, dueAtMs, rateLimitPerSecond: rateLimit }));
}

describe('saturatedStretches', () => {
  it('a billing day the daemon drained at 26/s under a quota of 50/s: one stretch at 26/s, held back by the daemon', () => {
    const stretches = saturatedStretches(drained(2000, 26, 50));
    expect(stretches).toHaveLength(1);
    const [s] = stretches as [SaturatedStretch];
    expect(s.limitedBy).toBe('daemon');
    expect(s.rateLimitPerSecond).toBe(50);
    expect(s.ratePerSecond).toBeGreaterThan(25.5);
    expect(s.ratePerSecond).toBeLessThan(26.5);
    // From when the first charges count as held back (T0 + 5 s) to about the last send (T0 + 77 s).
    expect(s.startsAt.getTime()).toBe(t0 + 5000);
    expect(s.endsAt.getTime()).toBeGreaterThan(t0 + 70_000);
    expect(s.endsAt.getTime()).toBeLessThanOrEqual(t0 + 78_000);
  });

  it("a peak's wake-up: how much later it finished than the model at its rate, with charges sendable when due", () => {
    // 2,000 due at T0, the first sent 3 s after it, then 26/s: the model (a bucket of one second's
    // worth, 26 at once) finishes about 4 s before the last send.
    const [late] = saturatedStretches(drained(2000, 26, 50, t0, t0 + 3000));
    expect(late!.wakeUpSeconds).toBeGreaterThan(3.5);
    expect(late!.wakeUpSeconds).toBeLessThan(4.5);
    // Sent 200 ms after due: no more than the bucket's second, and never below 0.
    const [prompt] = saturatedStretches(drained(2000, 26, 50));
    expect(prompt!.wakeUpSeconds).toBeGreaterThanOrEqual(0);
    expect(prompt!.wakeUpSeconds).toBeLessThan(1.5);
  });

  it('a billing day sent at the quota (400 at 4/s): held back by the quota, the daemon kept up', () => {
    const [s] = saturatedStretches(drained(400, 4, 4));
    expect(s).toMatchObject({ limitedBy: 'quota', rateLimitPerSecond: 4 });
    expect(s!.ratePerSecond).toBeCloseTo(4, 1);
  });

  it('a quiet system yields no evidence: charges sent on time, even many of them', () => {
    // One charge every 10 s for a day, and 30/s arriving for a minute, each sent 300 ms after it is due.
    const trickle = Array.from({ length: 8640 }, (_, i) => ({ sentAtMs: t0 + i * 10_000 + 300, dueAtMs: t0 + i * 10_000, rateLimitPerSecond: 50 }));
    const busyOnTime = Array.from({ length: 1800 }, (_, i) => ({ sentAtMs: t0 + i * 33 + 300, dueAtMs: t0 + i * 33, rateLimitPerSecond: 50 }));
    expect(saturatedStretches([...trickle, ...busyOnTime])).toEqual([]);
  });

  it('one charge stuck for ten minutes among charges sent on time is no peak', () => {
    const onTime = Array.from({ length: 1200 }, (_, i) => ({ sentAtMs: t0 + i * 500 + 300, dueAtMs: t0 + i * 500, rateLimitPerSecond: 50 }));
    const stuck = { sentAtMs: t0 + 600_000, dueAtMs: t0, rateLimitPerSecond: 50 };
    expect(saturatedStretches([...onTime, stuck])).toEqual([]);
  });

  it('a daemon down for an hour sends what came due in a burst when back: no window of it was sending all through', () => {
    const restart = t0 + 3_600_000;
    const backlog = Array.from({ length: 60 }, (_, i) => ({ sentAtMs: restart + i * 30, dueAtMs: t0 + i * 60_000, rateLimitPerSecond: 50 }));
    expect(saturatedStretches(backlog)).toEqual([]);
    // The same catch-up, long enough to be sustained: it is evidence (the daemon sent at 30/s for 40 s).
    const longCatchUp = Array.from({ length: 1200 }, (_, i) => ({ sentAtMs: restart + (i * 1000) / 30, dueAtMs: t0 + i * 3000, rateLimitPerSecond: 50 }));
    expect(saturatedStretches(longCatchUp)[0]).toMatchObject({ limitedBy: 'daemon' });
  });

  it('sends whose due time is unknown (dunning retries, changed plans) count as sent, but cannot make a peak alone', () => {
    const unknown = drained(2000, 26, 50).map((c) => ({ ...c, dueAtMs: null }));
    expect(saturatedStretches(unknown)).toEqual([]);
    const mixed = drained(2000, 26, 50).map((c, i) => (i % 3 === 0 ? { ...c, dueAtMs: null } : c));
    expect(saturatedStretches(mixed)[0]!.ratePerSecond).toBeGreaterThan(25.5);
  });

  it('a peak thinner than 10 sends a window (10 s, so 0.5/s) is too noisy to measure', () => {
    expect(saturatedStretches(drained(300, 0.5, 0.5))).toEqual([]);
    expect(saturatedStretches(drained(300, 1, 1))).toHaveLength(1);
  });

  it('a peak too short to sustain a window (10 s) is no evidence', () => {
    expect(saturatedStretches(drained(350, 26, 50))).toEqual([]); // held back from T0 + 5 s to T0 + 13.6 s
    expect(saturatedStretches(drained(500, 26, 50))).toHaveLength(1); // … to T0 + 19.4 s
  });

  it('two billing days: the highest sustained one is the evidence', () => {
    const day1 = drained(1500, 20, 50);
    const day2 = drained(1500, 27, 50, t0 + 86_400_000);
    const stretches = saturatedStretches([...day2, ...day1]);
    expect(stretches).toHaveLength(2);
    expect(stretches[0]!.startsAt.getTime()).toBeLessThan(stretches[1]!.startsAt.getTime());
    expect(highestSustained(stretches)!.ratePerSecond).toBeGreaterThan(26.5);
    expect(highestSustained([])).toBeNull();
  });
});

describe('chargeRate', () => {
  const stretch = (ratePerSecond: number, rateLimitPerSecond: number, limitedBy: 'quota' | 'daemon'): SaturatedStretch => ({
    startsAt: new Date('2026-11-30T06:00:05Z'),
    endsAt: new Date('2026-11-30T06:01:15Z'),
    charges: Math.round(ratePerSecond * 70),
    ratePerSecond,
    rateLimitPerSecond,
    limitedBy,
    wakeUpSeconds: 2,
  });
  const rate = (quotaPerSecond: number, evidence: SaturatedStretch | null, configured: number | null = null) =>
    chargeRate({ quotaPerSecond, evidence, configuredCapacityPerSecond: configured, evidenceWindow: window });

  it('a peak the daemon held back: its rate is the capacity, and the forecast runs at it when the quota is higher', () => {
    const r = rate(50, stretch(26.2, 50, 'daemon'), 40);
    expect(r).toMatchObject({ ratePerSecond: 26.2, quotaPerSecond: 50, capacityPerSecond: 26.2, capacitySource: 'ledger', limitedBy: 'capacity' });
    expect(describeChargeRate(r)).toBe(
      "Limit: the daemon's own throughput, 26.2 charges/s, measured: 26.2 charges/s over 70 s from 2026-11-30T06:00:05Z (1834 charges, its quota then 50/s); the quota is 50/s." +
        ' Each charge counts from 2 s after it is due: that peak finished so much later than its rate alone explains.',
    );
    // A lower quota now: the quota is the limit.
    expect(rate(4, stretch(26.2, 50, 'daemon'))).toMatchObject({ ratePerSecond: 4, capacityPerSecond: 26.2, limitedBy: 'quota' });
  });

  it('a peak the quota held back proves only a floor: the quota at the share of it sent then, or the configured capacity when the ledger does not contradict it', () => {
    const kept = stretch(3.9, 4, 'quota');
    const alone = rate(10, kept);
    expect(alone).toMatchObject({
      ratePerSecond: 9.75,
      quotaShareSent: 0.975,
      capacityPerSecond: null,
      capacitySource: null,
      limitedBy: 'quota',
      wakeUpSeconds: 2,
    });
    expect(describeChargeRate(alone)).toBe(
      'Limit: the quota, 10/s, of which the deployment sends 98 %: 9.8 charges/s; the daemon kept up with its quota at 3.9 charges/s over 70 s from 2026-11-30T06:00:05Z (273 charges, its quota then 4/s); above 3.9/s its throughput is not measured.' +
        ' Each charge counts from 2 s after it is due: that peak finished so much later than its rate alone explains.',
    );
    expect(rate(10, kept, 8)).toMatchObject({ ratePerSecond: 8, capacityPerSecond: 8, capacitySource: 'configured', limitedBy: 'capacity' });
    // Configured at 2/s, but the ledger shows 3.9/s: the setting is contradicted and left out.
    expect(rate(10, kept, 2)).toMatchObject({ ratePerSecond: 9.75, capacityPerSecond: null, limitedBy: 'quota' });
    // The bench's idle billing day: 1,000 due at once sent at 44.5/s under 50/s runs the forecast at 44.5/s, not 50.
    expect(rate(50, stretch(44.5, 50, 'quota')).ratePerSecond).toBeCloseTo(44.5, 6);
  });

  it('no evidence: the configured capacity when set and lower, else the quota alone', () => {
    const none = rate(4, null);
    expect(none).toMatchObject({ ratePerSecond: 4, capacityPerSecond: null, capacitySource: null, limitedBy: 'quota', evidence: null });
    expect(describeChargeRate(none)).toBe("Limit: the quota, 4/s; no peak in the ledger's last 35 days measured the daemon's own throughput.");
    const configured = rate(50, null, 20);
    expect(configured).toMatchObject({ ratePerSecond: 20, capacitySource: 'configured', limitedBy: 'capacity' });
    expect(describeChargeRate(configured)).toBe(
      "Limit: the daemon's throughput as configured, 20 charges/s (billing.yaml forecast.capacityPerSecond); no peak in the ledger's last 35 days measured the daemon's own throughput; the quota is 50/s.",
    );
    expect(rate(4, null, 20)).toMatchObject({ ratePerSecond: 4, capacityPerSecond: 20, limitedBy: 'quota' });
  });

  it('refuses a quota or a configured capacity ≤ 0', () => {
    expect(() => rate(0, null)).toThrow(RangeError);
    expect(() => rate(4, null, 0)).toThrow(RangeError);
  });
});
