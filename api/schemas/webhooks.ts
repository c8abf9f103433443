// Requests and responses of /v1/webhook-endpoints (api/routes/webhook-endpoints.ts).
import { z } from 'zod';
import { EMPTY_EVENT_TYPE_ITEM, EVENT_TYPES } from '../../billing/event-types.js';
import { ENDPOINT_ID_PATTERN, MAX_DESCRIPTION_LENGTH, MAX_URL_LENGTH, URL_ACCEPTED } from '../../webhooks/endpoint-input.js';
import { MAX_SECRET_GRACE_MS } from '../../webhooks/endpoints.js';
import { queryInt, text } from './common.js';

const instant = z.string().describe('ISO-8601 instant in UTC');
const url = z.string().min(1).max(MAX_URL_LENGTH).describe(`Where events are POSTed: ${URL_ACCEPTED}`);
const eventTypeList = z
  // An empty item gets the message every list of event types gets (billing/event-types.ts); other values zod's "must be one of".
  .array(z.enum(EVENT_TYPES, { error: (issue) => (typeof issue.input === 'string' && issue.input.trim() === '' ? EMPTY_EVENT_TYPE_ITEM : undefined) }))
  .min(1)
  .max(EVENT_TYPES.length * 2);
const description = text(MAX_DESCRIPTION_LENGTH, `A note for people, at most ${MAX_DESCRIPTION_LENGTH} characters on one line; "" for none`);

export const WebhookEndpointIdParams = z.strictObject({
  id: z.string().max(64).describe('Webhook endpoint id (we_…)').meta({ pattern: ENDPOINT_ID_PATTERN.source }),
});

export const CreateWebhookEndpointBody = z
  .strictObject({
    url,
    eventTypes: eventTypeList.optional().describe('Event types delivered to the endpoint; absent: every type (also types added later)'),
    description: description.optional(),
  })
  .meta({ id: 'CreateWebhookEndpointRequest' });

export const UpdateWebhookEndpointBody = z
  .strictObject({
    url: url.optional(),
    eventTypes: z
      .union([eventTypeList, z.literal('all')])
      .optional()
      .describe('Event types delivered to the endpoint from now on; "all": every type (also types added later)'),
    description: description.optional(),
    status: z
      .enum(['enabled', 'disabled'])
      .optional()
      .describe('disabled: no more deliveries, pending ones are failed; enabled: events from now on (`billing events redeliver --since` sends those missed)'),
  })
  .meta({ id: 'UpdateWebhookEndpointRequest' });

export const RotateSecretBody = z
  .strictObject({
    gracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_SECRET_GRACE_MS / 1000)
      .optional()
      .describe('How long the old secret keeps signing (a second signature); default billing.yaml webhooks.secretGracePeriod (24 h); 0: stops at once'),
  })
  .meta({ id: 'RotateWebhookSecretRequest' });

export const DeliveriesQuery = z.strictObject({ limit: queryInt(1, 1000).default(20).describe('Attempts returned, newest first: 1-1000, default 20') });

export const WebhookEndpointSchema = z
  .strictObject({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()).nullable().describe('null: every type'),
    description: z.string().nullable(),
    status: z.enum(['enabled', 'disabled']),
    disabledReason: z.string().nullable().describe('operator · gone (the endpoint answered 410) · failing (no success for the whole retry schedule)'),
    disabledAt: instant.nullable(),
    previousSecretExpiresAt: instant.nullable().describe('Until when the secret before the last rotation also signs'),
    createdAt: instant,
  })
  .meta({ id: 'WebhookEndpoint', description: 'Where events are delivered as Standard Webhooks. Its secret is shown only by create and rotate-secret.' });

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().describe('whsec_…: verify webhooks with it (Standard Webhooks); shown only in this answer'),
}).meta({ id: 'WebhookEndpointWithSecret' });

export const WebhookEndpointListSchema = z.strictObject({ items: z.array(WebhookEndpointSchema) });

export const DeliveryAttemptListSchema = z
  .strictObject({
    endpoint: WebhookEndpointSchema,
    attempts: z.array(
      z.strictObject({
        deliveryId: z.string(),
        eventId: z.string().describe('Also the webhook-id header of every attempt of the delivery'),
        eventType: z.string(),
        attempt: z.number().int(),
        at: instant,
        statusCode: z.number().int().nullable().describe('null: no HTTP answer (see error)'),
        latencyMs: z.number().int(),
        responseBody: z.string().nullable().describe('The first 1,024 characters of the answer'),
        error: z.string().nullable().describe('Why there was no answer: timeout, connection refused, …'),
        deliveryStatus: z.string().describe('pending · delivered · failed'),
      }),
    ),
  })
  .meta({ id: 'WebhookDeliveryAttempts' });
