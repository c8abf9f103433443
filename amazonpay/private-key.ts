// The merchant's RSA private key, wrapped so that no logging or serialisation path can print it.
// pino, JSON.stringify, util.inspect, template strings and structuredClone-free copies all go
// through toJSON / inspect.custom / toString, and each of those answers "[redacted]".
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class PrivateKeyError extends Error {
  override readonly name = 'PrivateKeyError';
}

export class RedactedPrivateKey {
  readonly #key: KeyObject;

  private constructor(key: KeyObject) {
    this.#key = key;
  }

  /**
   * Parses a PEM (PKCS#8 or PKCS#1) RSA private key. The error never quotes the input,
   * because the input is the secret.
   */
  static fromPem(pem: string, source: string): RedactedPrivateKey {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch {
      throw new PrivateKeyError(`${source} is not a readable PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----")`);
    }
    if (key.asymmetricKeyType !== 'rsa') {
      throw new PrivateKeyError(`${source} is a ${key.asymmetricKeyType ?? 'non-asymmetric'} key; Amazon Pay requires an RSA key`);
    }
    return new RedactedPrivateKey(key);
  }

  /** The key for node:crypto. Only signing code should call this. */
  keyObject(): KeyObject {
    return this.#key;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
