// Every event type has its data schema, and every schema reaches the OpenAPI document as a
// component (api/schemas/events.ts), so merchants can generate types for webhook payloads.
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '../../../api/app.js';
import { EVENT_DATA_SCHEMAS, EventSchema } from '../../../api/schemas/events.js';
import { EVENT_TYPES } from '../../../billing/event-types.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
let schemas: Json;

beforeAll(async () => {
  const app = await buildApiApp({ deps: {} as never, logger: pino({ level: 'silent' }) });
  await app.ready();
  schemas = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json().components.schemas;
  await app.close();
});

const pascal = (type: string) =>
  type
    .split(/[._]/)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

describe('event schemas', () => {
  it('every EVENT_TYPES entry has a data schema, and no schema names an unknown type', () => {
    expect(Object.keys(EVENT_DATA_SCHEMAS).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('each type is a component of the OpenAPI document, with its type fixed and its data schema', () => {
    for (const type of EVENT_TYPES) {
      const component = schemas[`${pascal(type)}Event`];
      expect(component, type).toBeDefined();
      expect(component.properties.type.const).toBe(type);
    }
    expect(schemas.Event.oneOf ?? schemas.Event.anyOf).toHaveLength(EVENT_TYPES.length);
    expect(schemas.EventPage.properties.next_cursor).toBeDefined();
  });

  it('refuses an event whose data does not match its type', () => {
    const envelope = { id: 'evt_1', subscription_id: 's', sequence: 1, account: null, occurred_at: '2026-01-01T00:00:00.000Z' };
    const refund = { refund_id: 'R', charge_id: 'C', refund_number: 1, amount: '1.00', currency: 'USD', state: 'Refunded', reason_code: null, reason: null };
    expect(EventSchema.safeParse({ ...envelope, type: 'refund.succeeded', data: refund }).success).toBe(true);
    expect(EventSchema.safeParse({ ...envelope, type: 'charge.succeeded', data: refund }).success).toBe(false);
    expect(EventSchema.safeParse({ ...envelope, type: 'refund.exploded', data: refund }).success).toBe(false);
  });
});
