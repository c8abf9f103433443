// One RSA key pair per test process: generating RSA-2048 takes tens of milliseconds, so it is
// done once and shared. The key is throwaway test material, never a merchant key.
import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privateKeyPem: string;
}

let cached: TestKeyPair | undefined;

export function testKeyPair(): TestKeyPair {
  if (cached === undefined) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    cached = { privateKey, publicKey, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  }
  return cached;
}
