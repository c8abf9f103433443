import type { AmazonPayRegion } from './config.js';

/**
 * Where a buyer updates the payment method behind a Charge Permission after a hard decline (Amazon
 * Pay "Manage recurring payments", US and JP pages). Amazon documents no such link for the EU
 * region; there the merchant integrates Amazon Pay's hosted Update page instead, so the answer is
 * null.
 */
export function paymentMethodUpdateUrl(chargePermissionId: string, region: AmazonPayRegion): string | null {
  const prefix = paymentMethodUpdateUrlPrefix(region);
  return prefix === null ? null : prefix + encodeURIComponent(chargePermissionId);
}

/** The link up to the Charge Permission id (which completes it), or null where the region has none; SQL appends the id. */
export function paymentMethodUpdateUrlPrefix(region: AmazonPayRegion): string | null {
  switch (region) {
    case 'na':
      return 'https://payments.amazon.com/jr/your-account/ba/';
    case 'jp':
      return 'https://pay.amazon.com/jp/jr/your-account/ba/';
    case 'eu':
      return null;
  }
}
