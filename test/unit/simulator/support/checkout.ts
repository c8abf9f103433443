// Helpers for Checkout Session tests: a valid Create body and the buyer's form posts to the
// simulator's buyer page, done over HTTP like a browser without JavaScript would.
import { postBuyerPage } from '../../../../simulator/buyer-client.js';
import type { Harness } from './harness.js';
import { randomUUID } from 'node:crypto';

export const STORE_ID = 'amzn1.application-oa2-client.8b5e45312b5248b69eeaStoreId';

/** A Recurring, AuthorizeWithCapture session paying 9.99 USD now and every month. */
export function recurringSessionBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    storeId: STORE_ID,
    webCheckoutDetails: {
      checkoutReviewReturnUrl: 'http://localhost:9/review',
      checkoutResultReturnUrl: 'http://127.0.0.1:9/result?order=42',
    },
    paymentDetails: { paymentIntent: 'AuthorizeWithCapture', chargeAmount: { amount: '9.99', currencyCode: 'USD' } },
    chargePermissionType: 'Recurring',
    recurringMetadata: { frequency: { unit: 'Month', value: '1' }, amount: { amount: '9.99', currencyCode: 'USD' } },
    merchantMetadata: { merchantStoreName: 'Tea Club', merchantReferenceId: 'order-42' },
    ...overrides,
  };
}

/** Creates a session through the signed API and has the buyer approve it on the page. */
export async function approvedSession(
  h: Harness,
  body: Record<string, unknown>,
  fields: Record<string, string> = { cardSuffix: '1111', save: 'yes' },
): Promise<string> {
  const created = await h.api.call('POST', '/checkoutSessions', body, { idempotencyKey: randomUUID().replace(/-/g, '') });
  if (created.status !== 201) throw new Error(`Create Checkout Session answered ${created.status} ${JSON.stringify(created.body)}`);
  const redirect = created.body.webCheckoutDetails.amazonPayRedirectUrl as string;
  const posted = await postBuyerPage(redirect, fields);
  if (posted.status !== 303) throw new Error(`buyer page answered ${posted.status}: ${posted.html}`);
  return created.body.checkoutSessionId as string;
}

export { postBuyerPage };
