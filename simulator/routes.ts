// Maps an Amazon Pay API path to an operation (Amazon Pay API v2 reference, official SDKs' paths).
// Three layouts are served: /v2/…, /sandbox/v2/… and /live/v2/…; the environment prefix, if any, is
// returned for the caller.
import { AmazonPayError } from './errors.js';
import { createCharge, getCharge, captureCharge, cancelCharge } from './ops-charges.js';
import { getChargePermission, updateChargePermission, closeChargePermission } from './ops-permissions.js';
import { createRefund, getRefund } from './ops-refunds.js';
import { completeCheckoutSession, createCheckoutSession, getCheckoutSession, updateCheckoutSession } from './ops-checkout-sessions.js';
import type { OperationName } from './throttle.js';
import type { OperationContext, OperationResult } from './context.js';

export interface RouteMatch {
  operation: OperationName;
  handler: (ctx: OperationContext) => OperationResult;
  id: string | undefined;
  /** 'sandbox' | 'live' from the path, undefined for the unified /v2 layout. */
  pathEnvironment: 'sandbox' | 'live' | undefined;
  /** The path after /v2, used in idempotency fingerprints. */
  resourcePath: string;
}

interface RouteSpec {
  pattern: RegExp;
  methods: Partial<Record<string, [OperationName, (ctx: OperationContext) => OperationResult]>>;
}

const ID = '([A-Za-z0-9-]{1,64})';
// Checkout Session ids are UUIDs (amazon-pay-checkout reference §1); the pattern above admits them.

const ROUTES: RouteSpec[] = [
  { pattern: /^\/charges$/, methods: { POST: ['createCharge', createCharge] } },
  { pattern: new RegExp(`^/charges/${ID}$`), methods: { GET: ['getCharge', getCharge] } },
  { pattern: new RegExp(`^/charges/${ID}/capture$`), methods: { POST: ['captureCharge', captureCharge] } },
  { pattern: new RegExp(`^/charges/${ID}/cancel$`), methods: { DELETE: ['cancelCharge', cancelCharge] } },
  {
    pattern: new RegExp(`^/chargePermissions/${ID}$`),
    methods: { GET: ['getChargePermission', getChargePermission], PATCH: ['updateChargePermission', updateChargePermission] },
  },
  { pattern: new RegExp(`^/chargePermissions/${ID}/close$`), methods: { DELETE: ['closeChargePermission', closeChargePermission] } },
  { pattern: /^\/refunds$/, methods: { POST: ['createRefund', createRefund] } },
  { pattern: new RegExp(`^/refunds/${ID}$`), methods: { GET: ['getRefund', getRefund] } },
  { pattern: /^\/checkoutSessions$/, methods: { POST: ['createCheckoutSession', createCheckoutSession] } },
  {
    pattern: new RegExp(`^/checkoutSessions/${ID}$`),
    methods: { GET: ['getCheckoutSession', getCheckoutSession], PATCH: ['updateCheckoutSession', updateCheckoutSession] },
  },
  { pattern: new RegExp(`^/checkoutSessions/${ID}/complete$`), methods: { POST: ['completeCheckoutSession', completeCheckoutSession] } },
];

/** True when the path looks like an Amazon Pay API path (so the server answers in Amazon's format). */
export function isApiPath(path: string): boolean {
  return /^\/(?:(?:sandbox|live)\/)?v2(?:\/|$)/.test(path);
}

export function matchRoute(method: string, path: string): RouteMatch {
  const prefix = /^\/(?:(sandbox|live)\/)?v2(\/.*)?$/.exec(path);
  if (!prefix) throw new AmazonPayError('ResourceNotFound', `No resource at ${path}.`);
  const pathEnvironment = prefix[1] as 'sandbox' | 'live' | undefined;
  const resourcePath = prefix[2] ?? '/';
  for (const route of ROUTES) {
    const match = route.pattern.exec(resourcePath);
    if (!match) continue;
    const entry = route.methods[method];
    if (!entry) {
      throw new AmazonPayError('UnsupportedOperation', `${method} is not supported on ${resourcePath}; allowed: ${Object.keys(route.methods).join(', ')}.`);
    }
    return { operation: entry[0], handler: entry[1], id: match[1], pathEnvironment, resourcePath };
  }
  throw new AmazonPayError('ResourceNotFound', `No resource at ${path}.`);
}
