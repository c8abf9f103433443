// The versioned JSON HTTP API (/v1) on Fastify: zod schemas validate requests and serialize
// responses (fastify-type-provider-zod), @fastify/swagger turns the same schemas into the
// OpenAPI 3.1 document at /v1/openapi.json, @fastify/swagger-ui serves a reference page at
// /v1/docs when enabled. Hooks, in request order: authentication (onRequest, before the body is
// read), validation, idempotency (preHandler), the route, storing the idempotent response (onSend).
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { tidyOpenApiDocument } from './openapi.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { BillingClientDeps } from '../client/deps.js';
import { createBillingClient } from '../client/index.js';
import { authenticate } from './auth.js';
import { idempotency, refuseRepeatedIdempotencyKey } from './idempotency.js';
import { registerJsonBodyParser } from './json-body.js';
import { ApiProblem, clientErrorResponse, methodNotAllowed, problemFor, sendProblem, uriTooLongDetail, type ApiLimits } from './problems.js';
import { eventRoutes } from './routes/events.js';
import { chargeRoutes } from './routes/charges.js';
import { checkoutRoutes } from './routes/checkout-sessions.js';
import { dashboardDataRoutes, registerDashboardPage, type DashboardSettings } from './routes/dashboard.js';
import { subscriptionRoutes } from './routes/subscriptions.js';
import { webhookEndpointRoutes } from './routes/webhook-endpoints.js';

export const OPENAPI_PATH = '/v1/openapi.json';
export const REFERENCE_PAGE_PATH = '/v1/docs';
/** Largest request body: a subscription start is well under 16 KiB; anything bigger is 413. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;
/** Longest path parameter: ids are at most 64 characters, so 200 leaves room and refuses junk (414). */
const MAX_PARAM_LENGTH = 200;
/** Request line and headers together (Node's default, stated here so the 431 can say it). */
const MAX_HEADER_BYTES = 16 * 1024;
/** Methods a 405 may list, in the order the Allow header gives them. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export interface ApiAppOptions {
  deps: BillingClientDeps;
  logger: Logger;
  bodyLimit?: number;
  /** Serve the browsable reference page at /v1/docs (npm run dev turns it on). */
  referencePage?: boolean;
  /** How long a stored Idempotency-Key response is replayed (billing.yaml api.idempotencyRetention); default 24 h. */
  idempotencyRetentionMs?: number;
  /** The dashboard's forecast settings and Web UI links; default a quota of 4 calls/s (Amazon Pay live), no capacity setting, no links. */
  dashboard?: DashboardSettings;
  /** How long a rotated webhook secret keeps signing unless the request says (billing.yaml webhooks.secretGracePeriod); default 24 h. */
  webhookSecretGraceMs?: number;
}

export async function buildApiApp(options: ApiAppOptions): Promise<FastifyInstance> {
  const { deps } = options;
  const client = createBillingClient(deps);
  const limits: ApiLimits = { maxBodyBytes: options.bodyLimit ?? DEFAULT_BODY_LIMIT, maxParamLength: MAX_PARAM_LENGTH, maxHeaderBytes: MAX_HEADER_BYTES };
  const pathOf = (url: string): string => url.split('?')[0] ?? url;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Fastify's per-request info lines are replaced by one debug line (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.maxBodyBytes,
    http: { maxHeaderSize: limits.maxHeaderBytes },
    // Route ids only: /v1/subscriptions/ and /v1/subscriptions are the same resource.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: limits.maxParamLength },
    return503OnClosing: true,
    // The router's own refusals (a URL that cannot be decoded, a parameter over maxParamLength) and
    // what Node's parser refuses (oversized headers, timeouts) are problem documents too.
    frameworkErrors: (error, request, reply) => sendProblem(reply, problemFor(error, pathOf(request.url), limits)),
    clientErrorHandler: (error, socket) => {
      const response = clientErrorResponse(error, limits);
      options.logger.debug({ code: error.code ?? error.message }, 'api request refused by the HTTP parser');
      // Once part of a response is out, no second one can follow: just close.
      if (response === undefined || socket.destroyed || !socket.writable || socket.bytesWritten > 0) return socket.destroy();
      socket.end(response);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  // UTF-8 JSON only, uncompressed; invalid bytes and lone surrogates are refused, never replaced.
  registerJsonBodyParser(app);

  app.setErrorHandler((error, request, reply) => {
    const rendered = problemFor(error, pathOf(request.url), limits, `${request.method} ${request.routeOptions.url ?? ''}`);
    if (rendered.unexpected)
      request.log.error({ err: error, reqId: request.id, method: request.method, route: request.routeOptions.url }, 'api request failed');
    return sendProblem(reply, rendered);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    // A segment too long for any route is 414 as on a served path (where the router refuses it), before 405 or 404.
    if (path.split('/').some((segment) => segment.length > limits.maxParamLength))
      return sendProblem(reply, problemFor(new ApiProblem('uri-too-long', uriTooLongDetail(limits)), path, limits));
    // A path the API serves with other methods is 405 with Allow (RFC 9110 15.5.6), not 404.
    const allow = METHODS.filter((method) => method !== request.method && app.findRoute({ method, url: path }) !== null);
    const failure =
      allow.length > 0
        ? methodNotAllowed(request.method, path, allow)
        : new ApiProblem('not-found', `No resource at ${request.method} ${path}; see ${OPENAPI_PATH} for what this API serves`);
    return sendProblem(reply, problemFor(failure, path, limits));
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        apiKeyId: request.apiKey?.id,
        apiKeyPrefix: request.apiKey?.prefix,
      },
      'api request',
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Amazon Pay recurring billing API',
        version: '1.0.0',
        description:
          'Drives the billing daemon over HTTP: checkout (the Amazon Pay button and its completion), subscriptions, charges, refunds, schedule previews, webhook endpoints. Errors are RFC 9457 problem documents; every POST takes an Idempotency-Key. See docs/api.md.',
      },
      // Relative: the document is served by the daemon it describes, wherever api.host:api.port and a proxy put it.
      servers: [{ url: '/', description: 'This daemon (billing.yaml api.host:api.port, or the HTTPS proxy in front of it)' }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from `billing api-keys create`' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => tidyOpenApiDocument(jsonSchemaTransformObject(input)),
  });
  if (options.referencePage) await app.register(fastifySwaggerUi, { routePrefix: REFERENCE_PAGE_PATH });

  app.get(OPENAPI_PATH, { schema: { hide: true } }, async (_request, reply) => reply.type('application/json').send(app.swagger()));

  const idem = idempotency({
    db: deps.db,
    now: deps.now,
    ...(options.idempotencyRetentionMs === undefined ? {} : { retentionMs: options.idempotencyRetentionMs }),
  });
  await app.register(async (v1) => {
    v1.addHook('onRequest', authenticate(deps));
    v1.addHook('onRequest', refuseRepeatedIdempotencyKey);
    v1.addHook('preHandler', async (request, reply) => (request.method === 'POST' ? idem.preHandler(request, reply) : undefined));
    v1.addHook('onSend', idem.onSend);
    await v1.register(subscriptionRoutes, { client });
    await v1.register(chargeRoutes, { client, now: deps.now });
    await v1.register(checkoutRoutes, { client });
    await v1.register(dashboardDataRoutes, {
      db: deps.db,
      now: deps.now,
      settings: options.dashboard ?? { forecast: { quotaPerSecond: 4 }, temporalUi: null },
    });
    await v1.register(eventRoutes, { client });
    await v1.register(webhookEndpointRoutes, { deps, secretGraceMs: options.webhookSecretGraceMs ?? 86_400_000 });
  });
  registerDashboardPage(app);
  return app;
}
