// GET /v1/events: the event log by cursor (docs/events.md), for merchants who poll instead of,
// or besides, receiving webhooks. Read-only keys may call it (every GET).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BillingClient } from '../../client/index.js';
import { EMPTY_EVENT_TYPE_ITEM, splitEventTypes } from '../../billing/event-types.js';
import { MAX_EVENT_PAGE } from '../../client/events.js';
import { problemResponses } from '../problems.js';
import { queryInt, queryText } from '../schemas/common.js';
import { EventPageSchema, type EventView } from '../schemas/events.js';

export const ListEventsQuery = z.strictObject({
  after: queryText(64, 'next_cursor of an earlier page (any other value, even of its shape, is 422); leave it out to start at the first event').optional(),
  subscription: queryText(64, 'Only the events of this subscription').optional(),
  type: queryText(1000, 'Only these event types, comma-separated: charge.succeeded,charge.failed; an empty item ("charge.succeeded,") is 400')
    // "" itself is queryText's own refusal (an empty parameter).
    .refine((text) => text === '' || !splitEventTypes(text).includes(''), { error: EMPTY_EVENT_TYPE_ITEM })
    .optional(),
  limit: queryInt(1, MAX_EVENT_PAGE).optional().describe(`Page size, 1-${MAX_EVENT_PAGE}, default 100`),
});

export const eventRoutes: FastifyPluginAsyncZod<{ client: BillingClient }> = async (app, { client }) => {
  app.get('/v1/events', {
    schema: {
      operationId: 'listEvents',
      tags: ['events'],
      summary: 'Events after a cursor, oldest first: catch up by polling (`billing events list`)',
      description:
        'A cursor never skips an event: an event appears once every transaction older than it has ended, so one committed late is still after the cursor you hold. Per subscription, `sequence` counts 1, 2, 3 … with no gaps. See docs/events.md.',
      querystring: ListEventsQuery,
      response: { 200: EventPageSchema, ...problemResponses(400, 401, 422, 503) },
    },
    handler: async (request) => {
      const q = request.query;
      const page = await client.listEvents({
        ...(q.after === undefined ? {} : { after: q.after }),
        ...(q.subscription === undefined ? {} : { subscriptionId: q.subscription }),
        ...(q.type === undefined ? {} : { types: splitEventTypes(q.type) }),
        ...(q.limit === undefined ? {} : { limit: q.limit }),
      });
      // The stored data was written against these schemas (db/queries/*, checked in the integration tests).
      return { data: page.data as EventView[], next_cursor: page.next_cursor };
    },
  });
};
