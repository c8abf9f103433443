// Reads Create / Update Checkout Session bodies into a CheckoutSessionRecord (amazon-pay-checkout
// reference §2–§4): nested objects merge field by field, as Woo and Magento update only the fields
// they change. Which check answers which reasonCode is an assumption (§3: rules UNCONFIRMED).
import { AmazonPayError } from './errors.js';
import { parseRecurringMetadata } from './recurring-metadata.js';
import { optionalBoolean, optionalEnum, optionalMerchantMetadata, optionalString, parsePrice, rejectUnknownFields, type JsonObject } from './validation.js';
import { SUPPORTED_CURRENCIES } from './money.js';
import type { CheckoutSessionRecord, Environment, StoredPrice } from './state.js';

export const UPDATE_FIELDS = [
  'webCheckoutDetails',
  'paymentDetails',
  'chargePermissionType',
  'recurringMetadata',
  'paymentMethodOnFileMetadata',
  'merchantMetadata',
  'platformId',
  'providerMetadata',
] as const;

export const CREATE_FIELDS = [...UPDATE_FIELDS, 'storeId', 'scopes', 'deliverySpecifications', 'addressDetails', 'chargePermissionId'] as const;

/** Create-only fields the simulator does not model: refused by name rather than ignored. */
const UNMODELLED_FIELDS: Readonly<Record<string, string>> = {
  deliverySpecifications: 'the simulator models PayOnly checkouts: no shipping',
  addressDetails: 'the simulator models PayOnly checkouts: no shipping',
  chargePermissionId: 'checkout with a saved PaymentMethodOnFile Charge Permission is not simulated',
};

const SCOPES = ['name', 'email', 'postalCode', 'shippingAddress', 'phoneNumber', 'primeStatus', 'billingAddress'];
const URL_FIELDS = ['checkoutReviewReturnUrl', 'checkoutResultReturnUrl', 'checkoutCancelUrl'] as const;
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

function objectField(body: JsonObject, field: string): JsonObject | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new AmazonPayError('InvalidParameterValue', `The parameter ${field} must be an object.`);
  return value as JsonObject;
}

/** A return URL: https, or http to a loopback host in Sandbox (§3 simulator assumption). */
function returnUrl(obj: JsonObject, field: string, environment: Environment): string | null {
  const text = optionalString(obj, field, 1024, 'webCheckoutDetails.');
  if (text === null) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AmazonPayError('InvalidParameterValue', `webCheckoutDetails.${field} ${JSON.stringify(text)} is not an absolute URL.`);
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname) && environment === 'Sandbox';
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw new AmazonPayError(
      'InvalidParameterValue',
      `webCheckoutDetails.${field} must be an https URL (http only to ${LOOPBACK_HOSTS.join(', ')}, in Sandbox); got ${JSON.stringify(text)}.`,
    );
  }
  return text;
}

function storedPrice(value: unknown, field: string): StoredPrice | null {
  if (value === null) return null;
  const p = parsePrice(value, field, { acceptNumbers: true });
  return { minor: p.minor.toString(), currency: p.currency };
}

function applyWebCheckoutDetails(session: CheckoutSessionRecord, body: JsonObject): void {
  const obj = objectField(body, 'webCheckoutDetails');
  if (!obj) return;
  rejectUnknownFields(obj, [...URL_FIELDS, 'checkoutMode'], 'webCheckoutDetails.');
  for (const field of URL_FIELDS) {
    if (field in obj) session.webCheckoutDetails[field] = returnUrl(obj, field, session.environment);
  }
  if ('checkoutMode' in obj) session.webCheckoutDetails.checkoutMode = optionalEnum(obj, 'checkoutMode', ['ProcessOrder']);
}

function applyPaymentDetails(session: CheckoutSessionRecord, body: JsonObject): void {
  const obj = objectField(body, 'paymentDetails');
  if (!obj) return;
  const d = session.paymentDetails;
  rejectUnknownFields(obj, [...Object.keys(d)], 'paymentDetails.');
  if ('paymentIntent' in obj) d.paymentIntent = optionalEnum(obj, 'paymentIntent', ['Confirm', 'Authorize', 'AuthorizeWithCapture']);
  for (const flag of ['canHandlePendingAuthorization', 'allowOvercharge', 'extendExpiration'] as const) {
    if (flag in obj) d[flag] = optionalBoolean(obj, flag) ?? false;
  }
  if ('chargeAmount' in obj) d.chargeAmount = storedPrice(obj['chargeAmount'], 'paymentDetails.chargeAmount');
  if ('totalOrderAmount' in obj) d.totalOrderAmount = storedPrice(obj['totalOrderAmount'], 'paymentDetails.totalOrderAmount');
  if ('softDescriptor' in obj) d.softDescriptor = optionalString(obj, 'softDescriptor', 16, 'paymentDetails.');
  if ('presentmentCurrency' in obj) d.presentmentCurrency = optionalEnum(obj, 'presentmentCurrency', SUPPORTED_CURRENCIES);
}

function applyRecurringFields(session: CheckoutSessionRecord, body: JsonObject): void {
  if ('chargePermissionType' in body) {
    session.chargePermissionType = optionalEnum(body, 'chargePermissionType', ['OneTime', 'Recurring', 'PaymentMethodOnFile']) ?? 'OneTime';
  }
  if ('recurringMetadata' in body) {
    const value = body['recurringMetadata'];
    if (value === null) session.recurringMetadata = null;
    else {
      const parsed = parseRecurringMetadata(value);
      const amount = parsed.amount ? { minor: parsed.amount.minor.toString(), currency: parsed.amount.currency } : null;
      session.recurringMetadata = { frequency: parsed.frequency, amount };
    }
  }
  const pmof = objectField(body, 'paymentMethodOnFileMetadata');
  if (pmof) {
    rejectUnknownFields(pmof, ['setupOnly'], 'paymentMethodOnFileMetadata.');
    session.paymentMethodOnFileMetadata = { setupOnly: optionalBoolean(pmof, 'setupOnly') ?? false };
  } else if (body['paymentMethodOnFileMetadata'] === null) session.paymentMethodOnFileMetadata = null;
}

function applyMerchantFields(session: CheckoutSessionRecord, body: JsonObject): void {
  const metadata = optionalMerchantMetadata(body);
  if (metadata) session.merchantMetadata = metadata;
  if ('platformId' in body) session.platformId = optionalString(body, 'platformId', 64);
  const provider = objectField(body, 'providerMetadata');
  if (provider) {
    rejectUnknownFields(provider, ['providerReferenceId'], 'providerMetadata.');
    session.providerMetadata = { providerReferenceId: optionalString(provider, 'providerReferenceId', 256, 'providerMetadata.') };
  }
}

/** Combinations the documentation rules out (§4: TS typings, .NET PaymentDetails.cs, Woo). */
function checkCombinations(session: CheckoutSessionRecord): void {
  const d = session.paymentDetails;
  if (d.softDescriptor !== null && d.paymentIntent !== 'AuthorizeWithCapture') {
    throw new AmazonPayError('InvalidParameterCombination', 'paymentDetails.softDescriptor is allowed only with paymentIntent AuthorizeWithCapture.');
  }
  if (d.canHandlePendingAuthorization && d.paymentIntent === 'AuthorizeWithCapture') {
    throw new AmazonPayError(
      'InvalidParameterCombination',
      'paymentDetails.canHandlePendingAuthorization: true is not allowed with paymentIntent AuthorizeWithCapture.',
    );
  }
  if (session.recurringMetadata && session.chargePermissionType === 'OneTime') {
    throw new AmazonPayError('InvalidParameterCombination', 'recurringMetadata needs chargePermissionType Recurring (or PaymentMethodOnFile).');
  }
  if (
    session.paymentMethodOnFileMetadata?.setupOnly &&
    (session.chargePermissionType !== 'PaymentMethodOnFile' || d.paymentIntent === 'Authorize' || d.paymentIntent === 'AuthorizeWithCapture')
  ) {
    throw new AmazonPayError(
      'InvalidParameterCombination',
      'paymentMethodOnFileMetadata.setupOnly needs chargePermissionType PaymentMethodOnFile and paymentIntent Confirm.',
    );
  }
  const currencies = new Set(
    [d.chargeAmount?.currency, d.totalOrderAmount?.currency, session.recurringMetadata?.amount?.currency, d.presentmentCurrency].filter(
      (c) => c !== undefined && c !== null,
    ),
  );
  if (currencies.size > 1) {
    throw new AmazonPayError('CurrencyMismatch', `The session's amounts and presentmentCurrency must share one currency; got ${[...currencies].join(', ')}.`);
  }
}

/** Applies the fields Create and Update share; throws before changing anything when the body is invalid. */
export function applyCheckoutSessionFields(session: CheckoutSessionRecord, body: JsonObject, allowed: readonly string[]): CheckoutSessionRecord {
  rejectUnknownFields(body, allowed);
  const next: CheckoutSessionRecord = structuredClone(session);
  applyWebCheckoutDetails(next, body);
  applyPaymentDetails(next, body);
  applyRecurringFields(next, body);
  applyMerchantFields(next, body);
  checkCombinations(next);
  return next;
}

/** Create's own fields: storeId, scopes; the fields the simulator does not model are refused by name. */
export function readCreateOnlyFields(body: JsonObject): { storeId: string; scopes: string[] | null } {
  for (const [field, why] of Object.entries(UNMODELLED_FIELDS)) {
    if (body[field] !== undefined && body[field] !== null) throw new AmazonPayError('InvalidParameterValue', `${field} is not supported: ${why}.`);
  }
  const storeId = body['storeId'];
  if (storeId === undefined || storeId === null || storeId === '') throw new AmazonPayError('MissingParameterValue', 'The parameter storeId is missing.');
  if (typeof storeId !== 'string' || !/^amzn1\.application-oa2-client\.[A-Za-z0-9]{1,64}$/.test(storeId)) {
    throw new AmazonPayError(
      'InvalidParameterValue',
      `storeId must be your Amazon Pay Store ID, "amzn1.application-oa2-client." followed by letters and digits; got ${JSON.stringify(storeId)}.`,
    );
  }
  const scopes = body['scopes'];
  if (scopes === undefined || scopes === null) return { storeId, scopes: null };
  if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string' || !SCOPES.includes(s))) {
    throw new AmazonPayError('InvalidParameterValue', `scopes must be an array of ${SCOPES.join(', ')}.`);
  }
  return { storeId, scopes: scopes as string[] };
}
