import { generateKeyPairSync, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAmazonPayConfig, type AmazonPayConfig } from '../amazonpay/config.js';
import { SIMULATOR_MERCHANT_ID } from '../simulator/ids.js';

export { SIMULATOR_MERCHANT_ID };

/**
 * The Store ID of the simulator's merchant account (Checkout Sessions' storeId): the simulator
 * takes any "amzn1.application-oa2-client." id; a real account's comes from AMAZON_PAY_STORE_ID.
 */
export const SIMULATOR_STORE_ID = 'amzn1.application-oa2-client.billingsimulator';

export interface SandboxCredentials {
  publicKeyId: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

/** The sandbox key pair `npm run dev` made in `dir`, or undefined when it has not run there yet. */
export function readSandboxCredentials(dir: string): SandboxCredentials | undefined {
  const file = join(dir, 'sandbox-key.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SandboxCredentials) : undefined;
}

/**
 * The key pair the daemon signs with when the simulator stands in for Amazon Pay. Kept in the
 * data folder so the simulator's persisted idempotency keys stay tied to the same merchant key.
 */
export async function ensureSandboxCredentials(dir: string): Promise<SandboxCredentials> {
  const existing = readSandboxCredentials(dir);
  if (existing) return existing;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const credentials: SandboxCredentials = {
    publicKeyId: `SANDBOX-${Array.from({ length: 24 }, () => alphabet[randomInt(alphabet.length)]).join('')}`,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'sandbox-key.json'), JSON.stringify(credentials, null, 2), { mode: 0o600 });
  return credentials;
}

/**
 * The Amazon Pay client settings for the simulator at `endpoint`, signing with the sandbox key
 * pair, with the simulated merchant account's Store ID and merchant ID (the button's merchantId),
 * naming `region` (the simulator applies the EU/UK rules to requests that name eu).
 */
export function simulatorAmazonPay(credentials: SandboxCredentials, endpoint: string, region: 'na' | 'eu' | 'jp' = 'na'): AmazonPayConfig {
  return parseAmazonPayConfig({
    publicKeyId: credentials.publicKeyId,
    privateKey: credentials.privateKeyPem,
    region,
    endpoint,
    storeId: SIMULATOR_STORE_ID,
    merchantId: SIMULATOR_MERCHANT_ID,
  });
}
