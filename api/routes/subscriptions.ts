// /v1/subscriptions: each route validates its shape (zod), calls the admin library (client/)
// and answers with the API's resources (api/views.ts). Errors go to api/problems.ts.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BillingClient } from '../../client/index.js';
import { InvalidInputError } from '../../client/errors.js';
import { ApiProblem, problemResponses } from '../problems.js';
import { CancelBody, ChangePlanBody, ListSubscriptionsQuery, PauseBody, ResumeBody, StartSubscriptionBody } from '../schemas/requests.js';
import { IdempotencyHeaders, SubscriptionIdParams } from '../schemas/common.js';
import {
  CancelResultSchema,
  LifecycleResultSchema,
  PlanChangeResultSchema,
  StartResultSchema,
  SubscriptionDetailsSchema,
  SubscriptionPageSchema,
} from '../schemas/resources.js';
import { chargeOut, liveOut, moneyIn, moneyOut, refundOut, statusEventOut, subscriptionOut } from '../views.js';

const tags = ['subscriptions'];
const WRITE_ERRORS = problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 502, 503);

export const subscriptionRoutes: FastifyPluginAsyncZod<{ client: BillingClient }> = async (app, { client }) => {
  app.post('/v1/subscriptions', {
    schema: {
      operationId: 'createSubscription',
      tags,
      summary: 'Start a subscription (after Complete Checkout Session)',
      description:
        'Checks the Charge Permission with Amazon Pay (Chargeable, Recurring or PaymentMethodOnFile, same currency) and the checkout charge, then starts billing. The same id with the same terms returns the existing subscription (200); with other terms, 409.',
      headers: IdempotencyHeaders,
      body: StartSubscriptionBody,
      response: { 200: StartResultSchema, 201: StartResultSchema, ...WRITE_ERRORS },
    },
    handler: async (request, reply) => {
      const { plan, account, ...rest } = request.body;
      // null is what a subscription is served with today, so sending it back is accepted.
      if (account !== undefined && account !== null)
        throw InvalidInputError.of('account', 'is reserved for several Amazon Pay merchant accounts and not accepted yet: send null or leave it out');
      // zone only sets the default anchor: one that contradicts the anchor given is refused, not ignored.
      if (rest.anchor !== undefined && rest.zone !== undefined && rest.zone !== rest.anchor.zone) {
        throw InvalidInputError.of(
          'zone',
          `is the zone of the default anchor and contradicts anchor.zone ${JSON.stringify(rest.anchor.zone)}: leave it out or send the same zone, got ${JSON.stringify(rest.zone)}`,
        );
      }
      const price = moneyIn(plan.price, 'plan.price');
      const started = await client.startSubscription({ ...rest, plan: { ...price, interval: plan.interval } });
      return reply.code(started.created ? 201 : 200).send({ subscription: subscriptionOut(started.subscription), created: started.created });
    },
  });

  app.get('/v1/subscriptions', {
    schema: {
      operationId: 'listSubscriptions',
      tags,
      summary: 'List subscriptions (filters as `billing list`), in id order, with cursor pagination',
      querystring: ListSubscriptionsQuery,
      response: { 200: SubscriptionPageSchema, ...problemResponses(400, 401, 422, 503) },
    },
    handler: async (request) => {
      const page = await client.listSubscriptions(request.query);
      return { items: page.items.map(subscriptionOut), nextCursor: page.nextCursor };
    },
  });

  app.get('/v1/subscriptions/:id', {
    schema: {
      operationId: 'getSubscription',
      tags,
      summary: 'A subscription: row, live workflow state, charges, refunds and status history',
      params: SubscriptionIdParams,
      response: { 200: SubscriptionDetailsSchema, ...problemResponses(400, 401, 404, 422, 503) },
    },
    handler: async (request) => {
      const d = await client.getSubscription(request.params.id);
      return {
        subscription: subscriptionOut(d.subscription),
        live: d.workflow.live ? liveOut(d.workflow.live) : null,
        workflow: { workflowId: d.workflow.workflowId, status: d.workflow.status, note: d.workflow.note },
        charges: d.charges.map(chargeOut),
        refunds: d.refunds.map(refundOut),
        history: d.history.map(statusEventOut),
        paymentMethodUpdateUrl: d.paymentMethodUpdateUrl,
      };
    },
  });

  app.post('/v1/subscriptions/:id/pause', {
    schema: {
      operationId: 'pauseSubscription',
      tags,
      headers: IdempotencyHeaders,
      summary: 'Pause: no charge until resumed; cycles due meanwhile are skipped, not billed later',
      params: SubscriptionIdParams,
      body: PauseBody.nullish(),
      response: { 200: LifecycleResultSchema, ...WRITE_ERRORS },
    },
    handler: async (request) => {
      const live = await client.pause(request.params.id, { ...(request.body?.reason === undefined ? {} : { reason: request.body.reason }) });
      return { subscriptionId: request.params.id, live: liveOut(live) };
    },
  });

  app.post('/v1/subscriptions/:id/resume', {
    schema: {
      operationId: 'resumeSubscription',
      tags,
      headers: IdempotencyHeaders,
      summary: 'Resume a paused subscription (or one marked unpaid or needing attention)',
      params: SubscriptionIdParams,
      body: ResumeBody.nullish(),
      response: { 200: LifecycleResultSchema, ...WRITE_ERRORS },
    },
    handler: async (request) => {
      const live = await client.resume(request.params.id, { ...(request.body?.reason === undefined ? {} : { reason: request.body.reason }) });
      return { subscriptionId: request.params.id, live: liveOut(live) };
    },
  });

  app.post('/v1/subscriptions/:id/cancel', {
    schema: {
      operationId: 'cancelSubscription',
      tags,
      headers: IdempotencyHeaders,
      summary: 'Cancel now, or at the end of the paid period',
      params: SubscriptionIdParams,
      body: CancelBody.nullish(),
      response: { 200: CancelResultSchema, ...WRITE_ERRORS },
    },
    handler: async (request) => {
      const mode = request.body?.mode ?? 'now';
      const result = await client.stopSubscription(request.params.id, {
        atPeriodEnd: mode === 'at_period_end',
        ...(request.body?.reason === undefined ? {} : { reason: request.body.reason }),
      });
      const stop = result.periodEnd;
      return {
        subscriptionId: request.params.id,
        mode,
        live: result.state ? liveOut(result.state) : null,
        stopAtPeriodEnd: stop
          ? { at: stop.requestedAt, reason: stop.reason, afterCycle: stop.afterCycle, endsAt: stop.endsAt, workflowRunning: stop.workflowState === 'RUNNING' }
          : null,
      };
    },
  });

  app.post('/v1/subscriptions/:id/plan', {
    schema: {
      operationId: 'changeSubscriptionPlan',
      tags,
      headers: IdempotencyHeaders,
      summary: 'Change price and/or interval from the next cycle that has not started billing',
      params: SubscriptionIdParams,
      body: ChangePlanBody,
      response: { 200: PlanChangeResultSchema, ...WRITE_ERRORS },
    },
    handler: async (request) => {
      const { price, interval } = request.body;
      if (price === undefined && interval === undefined)
        throw new ApiProblem('invalid-request', 'A plan change needs a new price, a new interval or both', {
          errors: [{ field: 'body', message: 'needs price, interval or both' }],
        });
      const current = (await client.getSubscription(request.params.id)).subscription;
      const amountMinor = price === undefined ? undefined : moneyIn(price, 'price', current.plan.currency).amountMinor;
      const result = await client.changePlan(request.params.id, {
        ...(amountMinor === undefined ? {} : { amountMinor }),
        ...(interval === undefined ? {} : { interval }),
      });
      return {
        subscriptionId: request.params.id,
        fromCycle: result.fromCycle,
        plan: { price: moneyOut(result.amountMinor, current.plan.currency), interval: result.interval },
      };
    },
  });
};
