// /v1/webhook-endpoints: the same library as `billing webhooks` (webhooks/endpoints.ts). Changes
// need a read-write key (api/auth.ts); a secret is in the answers of create and rotate-secret only.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  addWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookAttempts,
  listWebhookEndpoints,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookDeps,
} from '../../webhooks/endpoints.js';
import { problemResponses } from '../problems.js';
import { IdempotencyHeaders } from '../schemas/common.js';
import {
  CreateWebhookEndpointBody,
  DeliveriesQuery,
  DeliveryAttemptListSchema,
  RotateSecretBody,
  UpdateWebhookEndpointBody,
  WebhookEndpointIdParams,
  WebhookEndpointListSchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from '../schemas/webhooks.js';

const tags = ['webhooks'];
const WRITE_ERRORS = problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503);
const READ_ERRORS = problemResponses(400, 401, 404, 422, 503);

export const webhookEndpointRoutes: FastifyPluginAsyncZod<{ deps: WebhookDeps; secretGraceMs: number }> = async (app, { deps, secretGraceMs }) => {
  app.post('/v1/webhook-endpoints', {
    schema: {
      operationId: 'createWebhookEndpoint',
      tags,
      summary: 'Add a webhook endpoint: it receives events from now on; the answer carries its secret, once',
      headers: IdempotencyHeaders,
      body: CreateWebhookEndpointBody,
      response: { 201: WebhookEndpointWithSecretSchema, ...WRITE_ERRORS },
    },
    handler: async (request, reply) => reply.code(201).send(await addWebhookEndpoint(deps, request.body)),
  });

  app.get('/v1/webhook-endpoints', {
    schema: {
      operationId: 'listWebhookEndpoints',
      tags,
      summary: 'Every webhook endpoint, newest first (no secrets)',
      response: { 200: WebhookEndpointListSchema, ...READ_ERRORS },
    },
    handler: async () => ({ items: await listWebhookEndpoints(deps) }),
  });

  app.get('/v1/webhook-endpoints/:id', {
    schema: {
      operationId: 'getWebhookEndpoint',
      tags,
      summary: 'A webhook endpoint (no secret)',
      params: WebhookEndpointIdParams,
      response: { 200: WebhookEndpointSchema, ...READ_ERRORS },
    },
    handler: async (request) => getWebhookEndpoint(deps, request.params.id),
  });

  app.patch('/v1/webhook-endpoints/:id', {
    schema: {
      operationId: 'updateWebhookEndpoint',
      tags,
      summary: 'Change the URL, event types or description, or disable/enable the endpoint',
      params: WebhookEndpointIdParams,
      body: UpdateWebhookEndpointBody,
      response: { 200: WebhookEndpointSchema, ...WRITE_ERRORS },
    },
    handler: async (request) => {
      const { status, eventTypes, ...change } = request.body;
      return updateWebhookEndpoint(deps, request.params.id, {
        ...change,
        ...(eventTypes === undefined ? {} : { eventTypes: eventTypes === 'all' ? null : eventTypes }),
        ...(status === undefined ? {} : { enabled: status === 'enabled' }),
      });
    },
  });

  app.post('/v1/webhook-endpoints/:id/rotate-secret', {
    schema: {
      operationId: 'rotateWebhookSecret',
      tags,
      summary: 'A new secret; the old one keeps signing for the grace period (two signatures in webhook-signature)',
      params: WebhookEndpointIdParams,
      headers: IdempotencyHeaders,
      body: RotateSecretBody.nullish(),
      response: { 200: WebhookEndpointWithSecretSchema, ...WRITE_ERRORS },
    },
    handler: async (request) => {
      const seconds = request.body?.gracePeriodSeconds;
      return rotateWebhookSecret(deps, request.params.id, { graceMs: seconds === undefined ? secretGraceMs : seconds * 1000 });
    },
  });

  app.get('/v1/webhook-endpoints/:id/deliveries', {
    schema: {
      operationId: 'listWebhookDeliveryAttempts',
      tags,
      summary: 'The latest delivery attempts to the endpoint: status code, latency, start of the answer',
      params: WebhookEndpointIdParams,
      querystring: DeliveriesQuery,
      response: { 200: DeliveryAttemptListSchema, ...READ_ERRORS },
    },
    handler: async (request) => listWebhookAttempts(deps, request.params.id, request.query.limit),
  });
};
