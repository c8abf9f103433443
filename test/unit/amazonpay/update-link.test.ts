import { describe, expect, it } from 'vitest';
import { paymentMethodUpdateUrl } from '../../../amazonpay/update-link.js';

describe('the buyer’s payment-method update link', () => {
  it.each([
    ['na', 'https://payments.amazon.com/jr/your-account/ba/S01-1234567-1234567'],
    ['jp', 'https://pay.amazon.com/jp/jr/your-account/ba/S01-1234567-1234567'],
    ['eu', null],
  ] as const)('%s → %s', (region, url) => {
    expect(paymentMethodUpdateUrl('S01-1234567-1234567', region)).toBe(url);
  });
});
