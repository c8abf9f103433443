// Deterministic identifiers: Temporal workflow ids and Amazon Pay idempotency keys.
// Dependency-free pure JS (no node:crypto, no TextEncoder) because workflow code imports it
// and Temporal's sandbox bundle must not reach node: modules.
//
// FROZEN FORMAT: Amazon Pay keeps idempotency keys per merchant forever, and a retry after a
// timeout must send the very key of the first try. Changing anything below that feeds a key
// (prefix, tuple encoding, hash, truncation) makes in-flight retries look like new charges,
// which charges the buyer twice. Add a new versioned function instead of editing these.

import { CHARGE_ID_PATTERN, CHARGE_PERMISSION_ID_PATTERN, SUBSCRIPTION_ID_PATTERN } from './plan-rules.js';

const WORKFLOW_ID_PREFIX = 'subscription-';
/** Amazon Pay: at most 32 characters of a-z A-Z 0-9 - _. Every key we make is exactly this long. */
export const IDEMPOTENCY_KEY_LENGTH = 32;
/** 16 base64url characters = 96 bits; the readable prefix limits below guarantee at least this much hash. */
const MIN_HASH_CHARS = 16;
const MAX_CYCLE = 999_999_999;
const MAX_SEQ = 9_999;

/** Workflow id of a subscription, readable in the Temporal Web UI: 'subscription-<id>'. */
export function subscriptionWorkflowId(subscriptionId: string): string {
  if (!SUBSCRIPTION_ID_PATTERN.test(subscriptionId)) {
    throw new Error(`Invalid subscription id ${JSON.stringify(subscriptionId)}: expected 1 to 64 characters of A-Z a-z 0-9 _ . : -`);
  }
  return WORKFLOW_ID_PREFIX + subscriptionId;
}

/** Inverse of subscriptionWorkflowId; throws for ids that no subscription workflow would have. */
export function subscriptionIdFromWorkflowId(workflowId: string): string {
  const id = workflowId.startsWith(WORKFLOW_ID_PREFIX) ? workflowId.slice(WORKFLOW_ID_PREFIX.length) : undefined;
  if (id === undefined || !SUBSCRIPTION_ID_PATTERN.test(id)) {
    throw new Error(
      `Not a subscription workflow id: ${JSON.stringify(workflowId)}; expected "${WORKFLOW_ID_PREFIX}" followed by 1 to 64 characters of A-Z a-z 0-9 _ . : -`,
    );
  }
  return id;
}

export interface ChargeKeyInput {
  subscriptionId: string;
  chargePermissionId: string;
  /** 0-based billing cycle (cycle 0 is the first charge). */
  cycle: number;
  /**
   * 1-based deliberate attempt for this cycle. A retry after 429/5xx/timeout reuses the same
   * attempt (same key, Amazon replays); a dunning re-try after a decline bumps it (new key).
   */
  attempt: number;
}

/**
 * Create Charge idempotency key: 'c<cycle>a<attempt>_' + base64url(SHA-256(tuple)) truncated so the
 * key is exactly 32 characters (at least 96 bits of hash). The hash covers the whole tuple,
 * including the Charge Permission, so a subscription id reused on a new permission gets new keys.
 */
export function chargeIdempotencyKey(input: ChargeKeyInput): string {
  const { subscriptionId, chargePermissionId, cycle, attempt } = input;
  if (!SUBSCRIPTION_ID_PATTERN.test(subscriptionId)) {
    throw new Error(`Invalid subscriptionId ${JSON.stringify(subscriptionId)} for a charge key: expected 1 to 64 characters of A-Z a-z 0-9 _ . : -`);
  }
  if (!CHARGE_PERMISSION_ID_PATTERN.test(chargePermissionId)) {
    throw new Error(`Invalid chargePermissionId ${JSON.stringify(chargePermissionId)} for a charge key: expected e.g. "S01-1234567-1234567"`);
  }
  assertIntegerInRange('cycle', cycle, 0, MAX_CYCLE);
  assertIntegerInRange('attempt', attempt, 1, MAX_SEQ);
  // JSON of an array of strings/numbers is an unambiguous encoding of the tuple.
  const encoding = JSON.stringify(['amazon-pay-charge/v1', subscriptionId, chargePermissionId, cycle, attempt]);
  return keyFromParts(`c${cycle}a${attempt}_`, encoding);
}

export interface RefundKeyInput {
  chargeId: string;
  /** 1-based sequence of refunds against this charge (first refund = 1). */
  refundSeq: number;
}

/** Create Refund idempotency key: 'r<refundSeq>_' + truncated base64url SHA-256 of (chargeId, refundSeq); exactly 32 characters. */
export function refundIdempotencyKey(input: RefundKeyInput): string {
  const { chargeId, refundSeq } = input;
  if (!CHARGE_ID_PATTERN.test(chargeId)) {
    throw new Error(`Invalid chargeId ${JSON.stringify(chargeId)} for a refund key: expected e.g. "S01-1234567-1234567-C123456"`);
  }
  assertIntegerInRange('refundSeq', refundSeq, 1, MAX_SEQ);
  const encoding = JSON.stringify(['amazon-pay-refund/v1', chargeId, refundSeq]);
  return keyFromParts(`r${refundSeq}_`, encoding);
}

function assertIntegerInRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`Invalid ${name} ${String(value)} for an idempotency key: expected a whole number from ${min} to ${max}`);
  }
}

function keyFromParts(readable: string, encoding: string): string {
  const hashChars = IDEMPOTENCY_KEY_LENGTH - readable.length;
  if (hashChars < MIN_HASH_CHARS) throw new Error(`Readable key part ${readable} is too long`);
  return readable + base64url(sha256(utf8Encode(encoding))).slice(0, hashChars);
}

/** UTF-8 bytes of a string (TextEncoder is avoided to keep the sandbox surface minimal). */
export function utf8Encode(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const ch of text) {
    let cp = ch.codePointAt(0) ?? 0;
    // A lone surrogate cannot be encoded; use U+FFFD like TextEncoder and Buffer do.
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return Uint8Array.from(bytes);
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] ?? 0;
    const b1 = bytes[i + 1] ?? 0;
    const b2 = bytes[i + 2] ?? 0;
    const triple = (b0 << 16) | (b1 << 8) | b2;
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2;
    for (let j = 0; j < chars; j++) out += BASE64URL_ALPHABET[(triple >> (18 - 6 * j)) & 63];
  }
  return out;
}

// SHA-256 round constants: first 32 bits of the fractional parts of the cube roots of the first 64 primes (FIPS 180-4 §4.2.2).
const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 (FIPS 180-4) of a byte array; verified against node:crypto in test/unit/billing/keys.test.ts. */
export function sha256(message: Uint8Array): Uint8Array {
  // Pad: 0x80, zeros, then the bit length as a 64-bit big-endian integer, to a multiple of 64 bytes.
  const paddedLength = Math.ceil((message.length + 9) / 64) * 64;
  const padded = new Uint8Array(paddedLength);
  padded.set(message);
  padded[message.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bitLength = message.length * 8;
  view.setUint32(paddedLength - 8, Math.floor(bitLength / 0x100000000));
  view.setUint32(paddedLength - 4, bitLength >>> 0);

  const h = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(offset + t * 4);
    for (let t = 16; t < 64; t++) {
      const w15 = w[t - 15] ?? 0;
      const w2 = w[t - 2] ?? 0;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[t] = ((w[t - 16] ?? 0) + s0 + (w[t - 7] ?? 0) + s1) >>> 0;
    }
    let a = h[0] ?? 0, b = h[1] ?? 0, c = h[2] ?? 0, d = h[3] ?? 0;
    let e = h[4] ?? 0, f = h[5] ?? 0, g = h[6] ?? 0, hh = h[7] ?? 0;
    for (let t = 0; t < 64; t++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const temp1 = (hh + S1 + ch + (K[t] ?? 0) + (w[t] ?? 0)) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const temp2 = (S0 + maj) >>> 0;
      hh = g; g = f; f = e; e = (d + temp1) >>> 0;
      d = c; c = b; b = a; a = (temp1 + temp2) >>> 0;
    }
    h[0] = ((h[0] ?? 0) + a) >>> 0; h[1] = ((h[1] ?? 0) + b) >>> 0;
    h[2] = ((h[2] ?? 0) + c) >>> 0; h[3] = ((h[3] ?? 0) + d) >>> 0;
    h[4] = ((h[4] ?? 0) + e) >>> 0; h[5] = ((h[5] ?? 0) + f) >>> 0;
    h[6] = ((h[6] ?? 0) + g) >>> 0; h[7] = ((h[7] ?? 0) + hh) >>> 0;
  }
  const digest = new Uint8Array(32);
  const out = new DataView(digest.buffer);
  for (let i = 0; i < 8; i++) out.setUint32(i * 4, h[i] ?? 0);
  return digest;
}
