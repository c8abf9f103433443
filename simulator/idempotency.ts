// Idempotency-key rules (Amazon Pay API v2 idempotency): format checks, request fingerprints, and a
// per-key lock so concurrent requests with the same key run one after the other (an assumption: the
// second gets the replay).
import { AmazonPayError } from './errors.js';

const KEY_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Validates x-amz-pay-idempotency-key on a POST; returns the key. */
export function requireIdempotencyKey(value: string | string[] | undefined): string {
  if (value === undefined) {
    throw new AmazonPayError('MissingHeader', 'POST requests need the x-amz-pay-idempotency-key header.');
  }
  const key = Array.isArray(value) ? value.join(',') : value;
  if (key === '') throw new AmazonPayError('MissingHeaderValue', 'x-amz-pay-idempotency-key is empty.');
  if (!KEY_PATTERN.test(key)) {
    throw new AmazonPayError('InvalidHeaderValue', 'x-amz-pay-idempotency-key must be 1 to 32 characters from A-Z a-z 0-9 - _.');
  }
  return key;
}

/** JSON with object keys sorted, so key order and whitespace do not change a fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestFingerprint(method: string, resourcePath: string, rawBody: string): string {
  let body: string;
  try {
    body = canonicalJson(rawBody === '' ? null : JSON.parse(rawBody));
  } catch {
    body = `raw:${rawBody}`;
  }
  return `${method} ${resourcePath} ${body}`;
}

/** Whether a response is final and must be replayed (429 and 5xx are not stored). */
export function isStorableStatus(status: number): boolean {
  return status !== 429 && status < 500;
}

export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
