// Shared by the api-* integration tests: the real daemon (startTestDaemon) serving the HTTP API,
// API keys made by the library, an HTTP caller that checks every response it sees against the
// OpenAPI document the daemon serves (ajv over the document's own schemas), and the document's
// own validation (@seriousme/openapi-schema-validator).
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { createApiKey } from '../../client/api-keys.js';
import type { Database } from '../../db/client.js';

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as is (e.g. invalid JSON); with contentType. */
  rawBody?: string | Buffer;
  contentType?: string;
  /** API key; null: no Authorization header. Default: the client's key. */
  key?: string | null;
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

export interface ApiClient {
  baseUrl: string;
  /** Calls `method template` (an OpenAPI path such as /v1/subscriptions/{id}) and validates the response against the document. */
  call<T = Record<string, unknown>>(method: string, template: string, options?: CallOptions): Promise<ApiResponse<T>>;
  /** Same client against another daemon (a replica or a restarted one). */
  at(baseUrl: string): ApiClient;
  /** How many responses were validated against the document. */
  readonly validated: { count: number };
}

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };

/** Fetches and validates the served OpenAPI document, then builds a caller whose every answer is checked against it. */
export async function openApiClient(baseUrl: string, defaultKey: string): Promise<{ client: ApiClient; document: Doc }> {
  const res = await fetch(`${baseUrl}/v1/openapi.json`);
  expect(res.status).toBe(200);
  const document = (await res.json()) as Doc;
  const validator = new Validator();
  const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
  expect(result.errors ?? [], 'the served OpenAPI document is valid OpenAPI 3.1').toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');

  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document as object, 'openapi.json');
  const pointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
  const validated = { count: 0 };

  const make = (base: string): ApiClient => ({
    baseUrl: base,
    validated,
    at: make,
    async call<T>(method: string, template: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
      let path = template;
      for (const [k, v] of Object.entries(options.params ?? {})) path = path.replace(`{${k}}`, encodeURIComponent(v));
      const qs = options.query ? `?${new URLSearchParams(options.query).toString()}` : '';
      const headers: Record<string, string> = { ...options.headers };
      const key = options.key === undefined ? defaultKey : options.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
      let body: string | Buffer | undefined;
      if (options.rawBody !== undefined) {
        body = options.rawBody;
        headers['content-type'] = options.contentType ?? 'application/json';
      } else if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const response = await fetch(`${base}${path}${qs}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = await response.text();
      const contentType = (response.headers.get('content-type') ?? '').split(';')[0] ?? '';
      expect(contentType, `${method} ${path}: JSON or problem+json, got ${response.status} ${text.slice(0, 200)}`).toMatch(/^application\/(problem\+)?json$/);
      const parsed = JSON.parse(text) as T;
      if (response.status >= 400) expect(contentType, `${method} ${path} ${response.status} is a problem document`).toBe('application/problem+json');
      const operation = document.paths[template]?.[method.toLowerCase()];
      expect(operation, `${method} ${template} is in the OpenAPI document`).toBeDefined();
      const described = operation?.responses[String(response.status)]?.content?.[contentType];
      expect(described, `${method} ${template} documents a ${response.status} ${contentType} response (got ${text.slice(0, 300)})`).toBeDefined();
      const ref = `openapi.json#/paths/${pointer(template)}/${method.toLowerCase()}/responses/${response.status}/content/${pointer(contentType)}/schema`;
      const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
      const ok = validate(parsed);
      expect(ok ? [] : validate.errors, `${method} ${path} ${response.status}: body matches the OpenAPI document: ${text.slice(0, 500)}`).toEqual([]);
      validated.count++;
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
  });
  return { client: make(baseUrl), document };
}

export async function newKey(db: Database, name: string, readOnly = false): Promise<string> {
  return (await createApiKey({ db, now: () => new Date() }, { name, readOnly })).secret;
}

/** A start request for a plan that will not bill during a test (monthly, anchor in 2099) unless overridden. */
export function startBody(id: string, chargePermissionId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    chargePermissionId,
    plan: { price: { amount: '14.00', currency: 'USD' }, interval: { unit: 'month', count: 1 } },
    anchor: { localDateTime: '2099-01-15T09:00:00', zone: 'America/New_York' },
    ...overrides,
  };
}
