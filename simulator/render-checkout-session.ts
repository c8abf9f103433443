// The Checkout Session object (amazon-pay-checkout reference §2): the 28 keys in the order the
// Node SDK's tests compare, null when unset; constraints and amazonPayRedirectUrl derived from it.
import { price } from './money.js';
import { compactTimestamp, DAY_MS } from './timestamps.js';
import type { CheckoutSessionRecord, StoredPrice } from './state.js';

/** An Open session becomes Canceled/Expired 24 hours after creation (§2.2). */
export const CHECKOUT_SESSION_LIFETIME_MS = DAY_MS;

const CONSTRAINT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  BuyerNotAssociated:
    'There is no buyer associated with the Checkout Session. Return the checkout session id to the Amazon Pay Button to allow buyer to login.',
  ChargeAmountNotSet: 'chargeAmount is not set.',
  CheckoutResultReturnUrlNotSet: 'checkoutResultReturnUrl is not set.',
  PaymentIntentNotSet: 'paymentIntent is not set.',
  RecurringFrequencyNotSet: 'recurringMetadata.frequency is not set.',
};

const REASON_DESCRIPTIONS: Readonly<Record<string, string>> = {
  BuyerCanceled: 'The buyer canceled the checkout.',
  Declined: 'The payment was declined.',
  AmazonCanceled: 'Amazon canceled the checkout.',
  Expired: 'The Checkout Session was not completed within 24 hours.',
};

/**
 * What still blocks the checkout (§2.3). ChargeAmountNotSet is not raised for a Confirm session
 * with recurringMetadata nor for a PaymentMethodOnFile setupOnly session (§5.2);
 * RecurringFrequencyNotSet is UNCONFIRMED (TS typings only) and raised for a Recurring session.
 */
export function checkoutConstraints(session: CheckoutSessionRecord): string[] {
  const d = session.paymentDetails;
  const amountOptional = (d.paymentIntent === 'Confirm' && session.recurringMetadata !== null) || session.paymentMethodOnFileMetadata?.setupOnly === true;
  const constraints: string[] = [];
  if (session.buyer === null) constraints.push('BuyerNotAssociated');
  if (d.chargeAmount === null && !amountOptional) constraints.push('ChargeAmountNotSet');
  if (session.webCheckoutDetails.checkoutResultReturnUrl === null) constraints.push('CheckoutResultReturnUrlNotSet');
  if (d.paymentIntent === null) constraints.push('PaymentIntentNotSet');
  if (session.chargePermissionType === 'Recurring' && !session.recurringMetadata?.frequency) constraints.push('RecurringFrequencyNotSet');
  return constraints;
}

/**
 * The constraints the merchant must clear. The simulator's one buyer page stands for both Amazon's
 * sign-in and its payment page, so BuyerNotAssociated does not hold back amazonPayRedirectUrl.
 */
export function merchantConstraints(session: CheckoutSessionRecord): string[] {
  return checkoutConstraints(session).filter((c) => c !== 'BuyerNotAssociated');
}

/** Where the buyer page for a session lives, shaped like Amazon's .../checkout/processing?amazonCheckoutSessionId=… */
export function buyerPageUrl(baseUrl: string, checkoutSessionId: string): string {
  return `${baseUrl}/checkout/processing?amazonCheckoutSessionId=${encodeURIComponent(checkoutSessionId)}`;
}

const money = (p: StoredPrice | null): ReturnType<typeof price> | null => (p === null ? null : price(p.minor, p.currency));
const ts = (ms: number): string => compactTimestamp(new Date(ms));

export function renderCheckoutSession(session: CheckoutSessionRecord, baseUrl: string): Record<string, unknown> {
  const open = session.state === 'Open';
  const constraints = open ? checkoutConstraints(session) : [];
  const redirect = open && merchantConstraints(session).length === 0 ? buyerPageUrl(baseUrl, session.checkoutSessionId) : null;
  // Buyer data is readable only while the session is Open (§2.2).
  const buyer = open && session.buyer !== null;
  const d = session.paymentDetails;
  return {
    checkoutSessionId: session.checkoutSessionId,
    webCheckoutDetails: { ...session.webCheckoutDetails, amazonPayRedirectUrl: redirect },
    productType: 'PayOnly',
    paymentDetails: {
      paymentIntent: d.paymentIntent,
      canHandlePendingAuthorization: d.canHandlePendingAuthorization,
      chargeAmount: money(d.chargeAmount),
      totalOrderAmount: money(d.totalOrderAmount),
      softDescriptor: d.softDescriptor,
      presentmentCurrency: d.presentmentCurrency ?? d.chargeAmount?.currency ?? session.recurringMetadata?.amount?.currency ?? null,
      allowOvercharge: d.allowOvercharge,
      extendExpiration: d.extendExpiration,
    },
    chargePermissionType: session.acceptedChargePermissionType ?? session.chargePermissionType,
    orderType: null,
    recurringMetadata: session.recurringMetadata && { frequency: session.recurringMetadata.frequency, amount: money(session.recurringMetadata.amount) },
    paymentMethodOnFileMetadata: session.paymentMethodOnFileMetadata,
    merchantDetails: null,
    merchantMetadata: session.merchantMetadata,
    supplementaryData: null,
    buyer: buyer
      ? {
          name: 'Simulated Buyer',
          email: 'buyer@example.invalid',
          buyerId: `amzn1.account.SIM${session.checkoutSessionId.replace(/-/g, '').slice(0, 20).toUpperCase()}`,
          phoneNumber: null,
          primeMembershipTypes: null,
        }
      : null,
    billingAddress: null,
    paymentPreferences: buyer ? [{ paymentDescriptor: `Visa ****${session.buyer?.cardSuffix ?? ''}` }] : null,
    statusDetails: {
      state: session.state,
      reasonCode: session.reasonCode,
      reasonDescription: session.reasonCode === null ? null : (REASON_DESCRIPTIONS[session.reasonCode] ?? session.reasonCode),
      lastUpdatedTimestamp: ts(session.updatedAt),
    },
    shippingAddress: null,
    platformId: session.platformId,
    chargePermissionId: session.chargePermissionId,
    chargeId: session.chargeId,
    constraints: constraints.map((constraintId) => ({ constraintId, description: CONSTRAINT_DESCRIPTIONS[constraintId] ?? constraintId })),
    creationTimestamp: ts(session.createdAt),
    expirationTimestamp: open ? ts(session.createdAt + CHECKOUT_SESSION_LIFETIME_MS) : null,
    storeId: session.storeId,
    providerMetadata: session.providerMetadata,
    releaseEnvironment: session.environment,
    checkoutButtonText: null,
    deliverySpecifications: null,
    tokens: null,
  };
}
