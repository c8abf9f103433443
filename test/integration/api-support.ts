// Shared by the api-* integration tests: the real daemon (startTestDaemon) serving the HTTP API,
// API keys made by the library, an HTTP caller that checks every response it sees against the
// OpenAPI document the daemon serves (ajv over the document's own schemas), and the document's
// own validation (@seriousme/openapi-schema-validator).
import { connect } from 'node:net';
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
  /**
   * Sends `head` (request line and headers, CRLF-separated, without the blank line) as raw bytes,
   * for what fetch would not send or would rewrite (malformed percent-encoding, huge headers), and
   * validates the answer like call(): against the operation `template` documents, or, for a method
   * the path does not serve (405), against the document's Problem schema.
   */
  raw(head: string, template: string, method: string): Promise<ApiResponse<Record<string, unknown>>>;
  /** Same client against another daemon (a replica or a restarted one). */
  at(baseUrl: string): ApiClient;
  /** How many responses were validated against the document. */
  readonly validated: { count: number };
}

type Doc = {
  components?: { schemas?: Record<string, unknown> };
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
};

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
      const parsed = check(method, template, path, response.status, response.headers, text) as T;
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    async raw(head: string, template: string, method: string) {
      const { status, headers, text } = await rawHttp(base, head);
      return { status, headers, body: check(method, template, template, status, headers, text) as Record<string, unknown>, text };
    },
  });

  /** Content type, problem+json for errors, and the body against the document; returns the parsed body. */
  const check = (method: string, template: string, path: string, status: number, headers: Headers, text: string): unknown => {
    const contentType = (headers.get('content-type') ?? '').split(';')[0] ?? '';
    expect(contentType, `${method} ${path}: JSON or problem+json, got ${status} ${text.slice(0, 200)}`).toMatch(/^application\/(problem\+)?json$/);
    const parsed = JSON.parse(text) as unknown;
    if (status >= 400) expect(contentType, `${method} ${path} ${status} is a problem document`).toBe('application/problem+json');
    const operation = document.paths[template]?.[method.toLowerCase()];
    let ref: string;
    if (status === 405) {
      expect(operation, `${method} ${template} answered 405, so it is not in the OpenAPI document`).toBeUndefined();
      expect(document.paths[template], `${template} is in the OpenAPI document`).toBeDefined();
      ref = 'openapi.json#/components/schemas/Problem';
    } else {
      expect(operation, `${method} ${template} is in the OpenAPI document`).toBeDefined();
      const described = operation?.responses[String(status)]?.content?.[contentType];
      expect(described, `${method} ${template} documents a ${status} ${contentType} response (got ${text.slice(0, 300)})`).toBeDefined();
      ref = `openapi.json#/paths/${pointer(template)}/${method.toLowerCase()}/responses/${status}/content/${pointer(contentType)}/schema`;
    }
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    const ok = validate(parsed);
    expect(ok ? [] : validate.errors, `${method} ${path} ${status}: body matches the OpenAPI document: ${text.slice(0, 500)}`).toEqual([]);
    validated.count++;
    return parsed;
  };
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

/** One request over a fresh TCP connection, the bytes of `head` as given; reads until the server closes or the body is complete. */
export async function rawHttp(baseUrl: string, head: string): Promise<{ status: number; headers: Headers; text: string }> {
  const url = new URL(baseUrl);
  const received = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`${head}\r\nConnection: close\r\n\r\n`, 'latin1'));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) =>
      (e.code === 'ECONNRESET' || e.code === 'EPIPE') && chunks.length > 0 ? resolve(Buffer.concat(chunks)) : reject(e),
    );
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
  const raw = received.toString('utf8');
  const split = raw.indexOf('\r\n\r\n');
  expect(split, `an HTTP response, got ${JSON.stringify(raw.slice(0, 200))}`).toBeGreaterThan(0);
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let text = raw.slice(split + 4);
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
    let out = '';
    for (let rest = text; ;) {
      const eol = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, eol), 16);
      if (!size) break;
      out += rest.slice(eol + 2, eol + 2 + size);
      rest = rest.slice(eol + 2 + size + 2);
    }
    text = out;
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, text };
}
