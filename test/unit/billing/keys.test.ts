import { describe, expect, it } from 'vitest';
import {
  captureIdempotencyKey,
  chargeIdempotencyKey,
  checkoutCompleteIdempotencyKey,
  refundIdempotencyKey,
  subscriptionIdFromWorkflowId,
  subscriptionWorkflowId,
} from '../../../billing/keys.js';

const KEY_FORMAT = /^[A-Za-z0-9_-]{32}$/;
const base = { subscriptionId: 'sub_123', chargePermissionId: 'S01-1234567-1234567', cycle: 3, attempt: 1 };

describe('workflow ids', () => {
  it('prefixes the subscription id and inverts', () => {
    expect(subscriptionWorkflowId('sub_123')).toBe('subscription-sub_123');
    expect(subscriptionIdFromWorkflowId('subscription-sub_123')).toBe('sub_123');
  });

  it('round-trips an id that itself starts with "subscription-"', () => {
    expect(subscriptionIdFromWorkflowId(subscriptionWorkflowId('subscription-x'))).toBe('subscription-x');
  });

  it.each(['', 'has space', 'a/b', 'x'.repeat(65)])('rejects subscription id %j', (id) => {
    expect(() => subscriptionWorkflowId(id)).toThrow(/Invalid subscription id/);
  });

  it.each(['sub_123', 'subscription-', 'order-sub_123'])('rejects workflow id %j', (workflowId) => {
    expect(() => subscriptionIdFromWorkflowId(workflowId)).toThrow(/Not a subscription workflow id/);
  });
});

describe('chargeIdempotencyKey', () => {
  it('is frozen: the same tuple gives this exact key forever (Amazon Pay keeps keys indefinitely)', () => {
    // If this fails, in-flight retries would send new keys and charge twice. Do not update the literal.
    expect(chargeIdempotencyKey(base)).toBe(GOLDEN_CHARGE_KEY);
  });

  it('is exactly 32 characters of [A-Za-z0-9_-] with a readable cycle/attempt prefix', () => {
    const key = chargeIdempotencyKey(base);
    expect(key).toMatch(KEY_FORMAT);
    expect(key.startsWith('c3a1_')).toBe(true);
  });

  it('keeps 32 characters at the largest cycle and attempt', () => {
    const key = chargeIdempotencyKey({ ...base, cycle: 999_999_999, attempt: 9_999 });
    expect(key).toMatch(KEY_FORMAT);
    expect(key.startsWith('c999999999a9999_')).toBe(true);
  });

  it('is deterministic', () => {
    expect(chargeIdempotencyKey({ ...base })).toBe(chargeIdempotencyKey({ ...base }));
  });

  it('differs when only the Charge Permission differs (reused subscription id on a new permission)', () => {
    expect(chargeIdempotencyKey(base)).not.toBe(chargeIdempotencyKey({ ...base, chargePermissionId: 'S01-1234567-1234568' }));
  });

  it('differs when only the subscription id differs', () => {
    expect(chargeIdempotencyKey(base)).not.toBe(chargeIdempotencyKey({ ...base, subscriptionId: 'sub_124' }));
  });

  it('gives 10,000 distinct tuples 10,000 distinct keys', () => {
    const keys = new Set<string>();
    for (let s = 0; s < 5; s++) {
      for (let p = 0; p < 4; p++) {
        for (let cycle = 0; cycle < 100; cycle++) {
          for (let attempt = 1; attempt <= 5; attempt++) {
            const key = chargeIdempotencyKey({ subscriptionId: `sub-${s}`, chargePermissionId: `S01-000000${p}-0000000`, cycle, attempt });
            expect(key).toMatch(KEY_FORMAT);
            keys.add(key);
          }
        }
      }
    }
    expect(keys.size).toBe(10_000);
  });

  it.each([
    [{ cycle: -1 }, /Invalid cycle -1.*0 to 999999999/],
    [{ cycle: 1.5 }, /Invalid cycle 1.5/],
    [{ cycle: 1_000_000_000 }, /Invalid cycle/],
    [{ attempt: 0 }, /Invalid attempt 0.*1 to 9999/],
    [{ attempt: 10_000 }, /Invalid attempt/],
    [{ chargePermissionId: 'S01-123-456' }, /Invalid chargePermissionId "S01-123-456"/],
    [{ subscriptionId: 'bad id' }, /Invalid subscriptionId "bad id"/],
  ])('rejects %j', (override, message) => {
    expect(() => chargeIdempotencyKey({ ...base, ...override })).toThrow(message);
  });
});

describe('refundIdempotencyKey', () => {
  const chargeId = 'S01-1234567-1234567-C000001';

  it('is frozen, 32 characters, prefixed with the refund sequence', () => {
    const key = refundIdempotencyKey({ chargeId, refundSeq: 1 });
    expect(key).toBe(GOLDEN_REFUND_KEY);
    expect(key).toMatch(KEY_FORMAT);
    expect(key.startsWith('r1_')).toBe(true);
  });

  it('differs across refund sequences and charges, and from charge keys', () => {
    const keys = new Set<string>();
    for (let c = 0; c < 100; c++) {
      for (let refundSeq = 1; refundSeq <= 20; refundSeq++) {
        keys.add(refundIdempotencyKey({ chargeId: `S01-1234567-1234567-C${c}`, refundSeq }));
      }
    }
    expect(keys.size).toBe(2000);
  });

  it.each([
    [{ chargeId: 'S01-1234567-1234567', refundSeq: 1 }, /Invalid chargeId "S01-1234567-1234567"/],
    [{ chargeId, refundSeq: 0 }, /Invalid refundSeq 0.*1 to 9999/],
  ])('rejects %j', (input, message) => {
    expect(() => refundIdempotencyKey(input)).toThrow(message);
  });
});

describe('checkout keys (Complete Checkout Session, Capture Charge of a checkout authorization)', () => {
  it('are frozen, 32 characters, one per session / charge', () => {
    // Do not update the literals: a complete or capture retried after a deploy must send the same key.
    expect(checkoutCompleteIdempotencyKey('bd504926-f659-4ad7-a1a9-9a747aaf5275')).toBe('k_FZtCOkYWqo7hdoFd8HwYpywJPmkTZP');
    expect(captureIdempotencyKey('S01-1234567-1234567-C000001')).toBe('cap_dNA_pzOahhiKtqIbx0jEhJUKBjxw');
    expect(checkoutCompleteIdempotencyKey('bd504926-f659-4ad7-a1a9-9a747aaf5276')).toMatch(KEY_FORMAT);
    expect(checkoutCompleteIdempotencyKey('bd504926-f659-4ad7-a1a9-9a747aaf5275')).not.toBe(
      checkoutCompleteIdempotencyKey('bd504926-f659-4ad7-a1a9-9a747aaf5276'),
    );
  });

  it('refuse ids that are not Amazon ids', () => {
    expect(() => checkoutCompleteIdempotencyKey('../x')).toThrow(/Invalid checkoutSessionId/);
    // Letters, digits and hyphens are not enough: only Amazon's UUID form is a Checkout Session id.
    expect(() => checkoutCompleteIdempotencyKey('a')).toThrow(/Invalid checkoutSessionId/);
    expect(() => checkoutCompleteIdempotencyKey('BD504926-F659-4AD7-A1A9-9A747AAF5275')).toThrow(/Invalid checkoutSessionId/);
    expect(() => captureIdempotencyKey('S01-1234567-1234567')).toThrow(/Invalid chargeId/);
  });

  it('a complete after a refusal that left the session Open gets a new key; refusals 0 is the frozen key', () => {
    const id = 'bd504926-f659-4ad7-a1a9-9a747aaf5275';
    expect(checkoutCompleteIdempotencyKey(id, 0)).toBe('k_FZtCOkYWqo7hdoFd8HwYpywJPmkTZP');
    const keys = [0, 1, 2, 9_999].map((n) => checkoutCompleteIdempotencyKey(id, n));
    for (const key of keys) expect(key).toMatch(KEY_FORMAT);
    expect(new Set(keys).size).toBe(4);
    expect(keys[1]).toMatch(/^k1_/);
    expect(checkoutCompleteIdempotencyKey(id, 1)).toBe(keys[1]);
    expect(() => checkoutCompleteIdempotencyKey(id, -1)).toThrow(/Invalid refusals -1/);
    expect(() => checkoutCompleteIdempotencyKey(id, 10_000)).toThrow(/Invalid refusals/);
    expect(() => checkoutCompleteIdempotencyKey(id, 1.5)).toThrow(/Invalid refusals/);
  });
});

// Computed independently with node:crypto: 'c3a1_' + sha256(JSON tuple) base64url, first 27 chars.
const GOLDEN_CHARGE_KEY = 'c3a1_8Wu1f1ZChzDeFzhfF2ofXICuqGX';
const GOLDEN_REFUND_KEY = 'r1_ZZNTrotfnyaHLWn8X88rVjlLKlOkh';
