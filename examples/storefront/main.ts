// Runs the sample storefront on its own against a running daemon (`npm run dev` starts it for you):
//   BILLING_API_KEY=$(npx billing api-keys create --name storefront --json | jq -r .secret) \
//   npx tsx examples/storefront/main.ts
// Settings: BILLING_API_URL (default http://127.0.0.1:8788), STOREFRONT_PORT (8790),
// AMAZON_PAY_CHECKOUT_JS (default: the dev stack's simulator, http://127.0.0.1:4010/checkout.js).
import { startStorefront } from './server.js';

const apiKey = process.env.BILLING_API_KEY;
if (!apiKey) {
  console.error('BILLING_API_KEY is not set: create a read-write key with `npx billing api-keys create --name storefront` and pass it');
  process.exit(2);
}
const storefront = await startStorefront({
  apiUrl: process.env.BILLING_API_URL ?? 'http://127.0.0.1:8788',
  apiKey,
  checkoutJsUrl: process.env.AMAZON_PAY_CHECKOUT_JS ?? 'http://127.0.0.1:4010/checkout.js',
  port: Number(process.env.STOREFRONT_PORT ?? 8790),
});
console.log(`storefront at ${storefront.url}`);
const stop = () => void storefront.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
