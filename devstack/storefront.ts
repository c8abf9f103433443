// The sample storefront (examples/storefront) in `npm run dev`: on its own port, talking to the
// daemon's HTTP API with a key of its own. The key is made at every start (the database keeps only
// its hash, so an earlier one cannot be read back) and the previous starts' keys of that name are
// revoked, so keys do not pile up.
import { createApiKey, listApiKeys, revokeApiKey } from '../client/api-keys.js';
import { createDb } from '../db/client.js';
import type { AmazonPayRegion } from '../amazonpay/config.js';
import { startStorefront, type Storefront } from '../examples/storefront/server.js';

/** Port of the sample storefront in `npm run dev` (`STOREFRONT_PORT`). */
export const DEV_STOREFRONT_PORT = 8790;

/** Name of the storefront's API key in `billing api-keys list`. */
export const DEV_STOREFRONT_KEY_NAME = 'storefront (npm run dev)';

/** Amazon's checkout.js by region (amazon-pay-checkout reference §7.1); the simulator serves its own stand-in. */
const AMAZON_CHECKOUT_JS: Record<AmazonPayRegion, string> = {
  na: 'https://static-na.payments-amazon.com/checkout.js',
  eu: 'https://static-eu.payments-amazon.com/checkout.js',
  jp: 'https://static-fe.payments-amazon.com/checkout.js',
};

export function checkoutJsUrl(target: { simulatorUrl: string } | { region: AmazonPayRegion }): string {
  return 'simulatorUrl' in target ? `${target.simulatorUrl}/checkout.js` : AMAZON_CHECKOUT_JS[target.region];
}

export async function startDevStorefront(input: { databaseUrl: string; apiUrl: string; port: number; checkoutJsUrl: string }): Promise<Storefront> {
  const database = createDb(input.databaseUrl, { max: 1 });
  let apiKey: string;
  try {
    const deps = { db: database.db, now: () => new Date() };
    for (const key of await listApiKeys(deps)) if (key.name === DEV_STOREFRONT_KEY_NAME && !key.revokedAt) await revokeApiKey(deps, key.id);
    apiKey = (await createApiKey(deps, { name: DEV_STOREFRONT_KEY_NAME })).secret;
  } finally {
    await database.close();
  }
  return startStorefront({ apiUrl: input.apiUrl, apiKey, checkoutJsUrl: input.checkoutJsUrl, port: input.port });
}
