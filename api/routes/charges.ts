// /v1/charges/{chargeId} and its refunds, and /v1/schedule-preview.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { BillingClient } from '../../client/index.js';
import { InvalidInputError } from '../../client/errors.js';
import { anchorAt } from '../../client/subscriptions/start.js';
import { problemResponses } from '../problems.js';
import { ChargeIdParams, IdempotencyHeaders } from '../schemas/common.js';
import { RefundBody, SchedulePreviewQuery } from '../schemas/requests.js';
import { ChargeDetailsSchema, RefundResultSchema, SchedulePreviewSchema } from '../schemas/resources.js';
import { chargeOut, moneyIn, moneyOut, refundOut } from '../views.js';

export const chargeRoutes: FastifyPluginAsyncZod<{ client: BillingClient; now: () => Date }> = async (app, { client, now }) => {
  app.get('/v1/charges/:chargeId', {
    schema: {
      operationId: 'getCharge',
      tags: ['charges'],
      summary: 'A charge of the ledger by its Amazon Pay ChargeId, with its refunds',
      params: ChargeIdParams,
      response: { 200: ChargeDetailsSchema, ...problemResponses(400, 401, 404, 422, 503) },
    },
    handler: async (request) => {
      const d = await client.getCharge(request.params.chargeId);
      return {
        subscriptionId: d.subscriptionId,
        charge: chargeOut(d.charge),
        refunds: d.refunds.map(refundOut),
        refundable: moneyOut(d.refundableMinor, d.charge.currency),
      };
    },
  });

  app.post('/v1/charges/:chargeId/refunds', {
    schema: {
      operationId: 'refundCharge',
      tags: ['charges'],
      summary: 'Refund a charge in full or in part (never more than captured minus earlier refunds)',
      description:
        'The refund is recorded before Amazon Pay is asked, with an Amazon Pay idempotency key of its own; a 503 after Amazon Pay did not answer is safe to retry. An Idempotency-Key is bound to the refund its request recorded or re-sent: a retry with it continues that refund, never records another.',
      params: ChargeIdParams,
      headers: IdempotencyHeaders,
      body: RefundBody.nullish(),
      response: { 201: RefundResultSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 502, 503) },
    },
    handler: async (request, reply) => {
      const { chargeId } = request.params;
      const amount = request.body?.amount;
      // Amounts are in the charge's currency: read it first (404 for an unknown charge).
      const amountMinor = amount === undefined ? undefined : moneyIn(amount, 'amount', (await client.getCharge(chargeId)).charge.currency).amountMinor;
      const reason = request.body?.reason;
      // The claimed Idempotency-Key is bound to the refund this request records or re-sends.
      const { idempotencyKey } = request;
      const result = await client.refund({
        chargeId,
        ...(amountMinor === undefined ? {} : { amountMinor }),
        ...(reason === undefined ? {} : { reason }),
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      });
      return reply.code(201).send({
        subscriptionId: result.subscriptionId,
        refund: refundOut(result.refund),
        remaining: moneyOut(result.remainingMinor, result.refund.currency),
        resent: result.resent,
      });
    },
  });

  app.get('/v1/schedule-preview', {
    schema: {
      operationId: 'previewSchedule',
      tags: ['schedule'],
      summary: 'The billing dates of a plan: the same function the workflow bills by (`billing preview`)',
      querystring: SchedulePreviewQuery,
      response: { 200: SchedulePreviewSchema, ...problemResponses(400, 401, 422, 503) },
    },
    handler: async (request) => {
      const q = request.query;
      // A count without its unit is an inconsistent request, not one to answer without the trial.
      if (q.trialCount !== undefined && q.trial === undefined)
        throw InvalidInputError.of('trialCount', `needs trial, the unit of the trial (e.g. trial=day&trialCount=${q.trialCount}); leave both out for no trial`);
      const zone = q.zone ?? 'UTC';
      const items = client.previewSchedule({
        anchor: q.anchor === undefined ? anchorAt(now(), zone) : { localDateTime: q.anchor, zone },
        interval: { unit: q.interval, count: q.intervalCount },
        ...(q.trial === undefined ? {} : { trial: { unit: q.trial, count: q.trialCount ?? 1 } }),
        count: q.count,
        fromCycle: q.fromCycle,
      });
      return { items };
    },
  });
};
