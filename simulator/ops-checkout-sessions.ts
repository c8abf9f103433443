// Checkout Session operations (amazon-pay-checkout reference §1–§5): Create (201), Get, Update
// (PATCH), Complete.
import { randomUUID } from 'node:crypto';
import { AmazonPayError } from './errors.js';
import { applyCheckoutSessionFields, CREATE_FIELDS, readCreateOnlyFields, UPDATE_FIELDS } from './checkout-session-input.js';
import { completeSession } from './checkout-complete.js';
import { lookUpCheckoutSession } from './checkout-session-store.js';
import { renderCheckoutSession } from './render-checkout-session.js';
import { emptyMerchantMetadata, type CheckoutSessionRecord, type Environment } from './state.js';
import { parseJsonObject, type JsonObject } from './validation.js';
import type { Engine } from './engine.js';
import type { OperationContext, OperationResult } from './context.js';

function findCheckoutSession(ctx: OperationContext): CheckoutSessionRecord {
  const session = lookUpCheckoutSession(ctx.engine, ctx.id ?? '');
  if (!session || session.environment !== ctx.environment) {
    throw new AmazonPayError('ResourceNotFound', `Checkout Session ${ctx.id ?? ''} does not exist in ${ctx.environment}.`);
  }
  return session;
}

function blankSession(environment: Environment, storeId: string, origin: CheckoutSessionRecord['origin'], now: number): CheckoutSessionRecord {
  return {
    checkoutSessionId: randomUUID(),
    environment,
    storeId,
    origin,
    webCheckoutDetails: { checkoutReviewReturnUrl: null, checkoutResultReturnUrl: null, checkoutCancelUrl: null, checkoutMode: null },
    paymentDetails: {
      paymentIntent: null,
      canHandlePendingAuthorization: false,
      chargeAmount: null,
      totalOrderAmount: null,
      softDescriptor: null,
      presentmentCurrency: null,
      allowOvercharge: false,
      extendExpiration: false,
    },
    chargePermissionType: 'OneTime',
    recurringMetadata: null,
    paymentMethodOnFileMetadata: null,
    merchantMetadata: emptyMerchantMetadata(),
    platformId: null,
    providerMetadata: null,
    scopes: null,
    buyer: null,
    state: 'Open',
    reasonCode: null,
    cancelReported: false,
    chargePermissionId: null,
    chargeId: null,
    acceptedChargePermissionType: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Validates a Create body (the API's, or a button's signed payloadJSON) and stores an Open session.
 * Needs storeId and either webCheckoutDetails.checkoutReviewReturnUrl or checkoutMode ProcessOrder
 * with checkoutResultReturnUrl (§3 simulator assumption), else 400 MissingParameterValue.
 */
export function createCheckoutSessionRecord(
  engine: Engine,
  environment: Environment,
  body: JsonObject,
  origin: CheckoutSessionRecord['origin'],
): CheckoutSessionRecord {
  const { storeId, scopes } = readCreateOnlyFields(body);
  const session = applyCheckoutSessionFields(blankSession(environment, storeId, origin, engine.nowMs()), body, CREATE_FIELDS);
  session.scopes = scopes;
  const w = session.webCheckoutDetails;
  if (w.checkoutMode === 'ProcessOrder' ? w.checkoutResultReturnUrl === null : w.checkoutReviewReturnUrl === null) {
    throw new AmazonPayError(
      'MissingParameterValue',
      w.checkoutMode === 'ProcessOrder'
        ? 'webCheckoutDetails.checkoutResultReturnUrl is required with checkoutMode ProcessOrder.'
        : 'webCheckoutDetails.checkoutReviewReturnUrl is required (or checkoutMode ProcessOrder with checkoutResultReturnUrl).',
    );
  }
  engine.state.checkoutSessions[session.checkoutSessionId] = session;
  engine.save();
  return session;
}

export function createCheckoutSession(ctx: OperationContext): OperationResult {
  const session = createCheckoutSessionRecord(ctx.engine, ctx.environment, parseJsonObject(ctx.rawBody), 'api');
  return { status: 201, body: renderCheckoutSession(session, ctx.engine.baseUrl) };
}

export function getCheckoutSession(ctx: OperationContext): OperationResult {
  return { status: 200, body: renderCheckoutSession(findCheckoutSession(ctx), ctx.engine.baseUrl) };
}

/** Update: only while Open and before the buyer approved the payment (§4), else 422 InvalidCheckoutSessionStatus. */
export function updateCheckoutSession(ctx: OperationContext): OperationResult {
  const body = parseJsonObject(ctx.rawBody);
  const session = findCheckoutSession(ctx);
  if (session.state !== 'Open') {
    throw new AmazonPayError(
      'InvalidCheckoutSessionStatus',
      `The Checkout Session is ${session.state}${session.reasonCode ? ` (${session.reasonCode})` : ''}; only an Open session can be updated.`,
    );
  }
  if (session.buyer?.approved) {
    throw new AmazonPayError(
      'InvalidCheckoutSessionStatus',
      'The buyer already approved the payment on the Amazon Pay page; the Checkout Session can no longer be updated.',
    );
  }
  const updated = applyCheckoutSessionFields(session, body, UPDATE_FIELDS);
  updated.updatedAt = ctx.engine.nowMs();
  ctx.engine.state.checkoutSessions[session.checkoutSessionId] = updated;
  ctx.engine.save();
  return { status: 200, body: renderCheckoutSession(updated, ctx.engine.baseUrl) };
}

export function completeCheckoutSession(ctx: OperationContext): OperationResult {
  const body = parseJsonObject(ctx.rawBody, { allowEmpty: true });
  const session = findCheckoutSession(ctx);
  const pending = completeSession(ctx.engine, session, body, ctx.simulationCode);
  return { status: pending ? 202 : 200, body: renderCheckoutSession(session, ctx.engine.baseUrl) };
}
