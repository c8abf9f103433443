// /v1/checkout-sessions: the Amazon Pay button for a plan (signed by the daemon), and the complete
// that starts the subscription once the buyer returns (client/checkout/). Errors: api/problems.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BillingClient } from '../../client/index.js';
import { InvalidInputError } from '../../client/errors.js';
import { problemResponses } from '../problems.js';
import {
  CheckoutButtonSchema,
  CheckoutSessionIdParams,
  CompleteCheckoutResultSchema,
  CompleteCheckoutSessionBody,
  CreateCheckoutSessionBody,
} from '../schemas/checkout.js';
import { IdempotencyHeaders } from '../schemas/common.js';
import { moneyIn, moneyOut, subscriptionOut } from '../views.js';

const tags = ['checkout'];

export const checkoutRoutes: FastifyPluginAsyncZod<{ client: BillingClient }> = async (app, { client }) => {
  app.post('/v1/checkout-sessions', {
    schema: {
      operationId: 'createCheckoutSession',
      tags,
      summary: 'The Amazon Pay button for a plan: a Checkout Session payload with its recurring terms, signed by the daemon',
      description:
        'Builds the Create Checkout Session payload (ProcessOrder, chargePermissionType Recurring, recurringMetadata from the plan; paymentIntent Confirm with a trial or a replacement (replacesSubscriptionId), else AuthorizeWithCapture, or Authorize with canHandlePendingAuthorization) and signs it. Nothing is sent to Amazon Pay: the button creates the Checkout Session when the buyer clicks it. The terms are stored for the complete that follows.',
      headers: IdempotencyHeaders,
      body: CreateCheckoutSessionBody,
      response: { 200: CheckoutButtonSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 501, 503) },
    },
    handler: async (request) => {
      const { plan, account, ...rest } = request.body;
      if (account !== undefined && account !== null)
        throw InvalidInputError.of('account', 'is reserved for several Amazon Pay merchant accounts and not accepted yet: send null or leave it out');
      const price = moneyIn(plan.price, 'plan.price');
      const button = await client.createCheckout({ ...rest, plan: { ...price, interval: plan.interval } });
      return {
        subscriptionId: button.subscriptionId,
        replacesSubscriptionId: button.replacesSubscriptionId,
        paymentIntent: button.paymentIntent,
        chargeAmount: button.chargeAmount ? moneyOut(button.chargeAmount.amountMinor, button.chargeAmount.currency) : null,
        plan: { price: moneyOut(price.amountMinor, price.currency), interval: plan.interval },
        button: {
          merchantId: button.merchantId,
          sandbox: button.sandbox,
          productType: button.productType,
          createCheckoutSessionConfig: button.createCheckoutSessionConfig,
        },
      };
    },
  });

  app.post('/v1/checkout-sessions/:id/complete', {
    schema: {
      operationId: 'completeCheckoutSession',
      tags,
      summary: 'Complete the buyer’s Checkout Session and start its subscription (idempotent)',
      description:
        'Reads the Checkout Session, completes it with exactly its amount (one Amazon Pay idempotency key per session) and starts the subscription on the Charge Permission the buyer agreed to, cycle 0 being the checkout charge when there is one; a replacement checkout then stops the subscription it replaces and closes its Charge Permission. A repeat returns the same subscription (200). A OneTime Charge Permission (the buyer did not agree to save the payment method) starts nothing: 422 one-time-charge-permission.',
      headers: IdempotencyHeaders,
      params: CheckoutSessionIdParams,
      body: CompleteCheckoutSessionBody.nullish(),
      response: {
        200: CompleteCheckoutResultSchema,
        201: CompleteCheckoutResultSchema,
        ...problemResponses(400, 401, 403, 404, 409, 410, 413, 415, 422, 501, 502, 503),
      },
    },
    handler: async (request, reply) => {
      const done = await client.completeCheckout(request.params.id);
      return reply.code(done.created ? 201 : 200).send({
        subscription: subscriptionOut(done.subscription),
        created: done.created,
        checkoutSessionId: done.checkoutSessionId,
        chargePermissionId: done.chargePermissionId,
        chargeId: done.chargeId,
        nextBillingAt: done.nextBillingAt,
        replaced: done.replaced,
      });
    },
  });
};
