// Bearer API keys (client/api-keys.ts): every /v1 route but the OpenAPI document needs one.
// No key, an unknown key or a revoked key: 401 (with WWW-Authenticate); a read-only key on
// anything but GET/HEAD: 403. The key is never logged (config/logger.ts redacts the header).
import type { FastifyRequest } from 'fastify';
import { verifyApiKey, type ApiKeyView } from '../client/api-keys.js';
import type { BillingClientDeps } from '../client/deps.js';
import { ApiProblem } from './problems.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKeyView;
  }
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="billing"' };

export function authenticate(deps: Pick<BillingClientDeps, 'db' | 'now'>) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new ApiProblem('unauthorized', 'Send an API key as "Authorization: Bearer bk_…" (create one with `billing api-keys create --name …`)', {
        headers: CHALLENGE,
      });
    }
    const result = await verifyApiKey(deps, match[1]);
    if (!result.ok) {
      const detail = result.reason === 'revoked' ? 'This API key has been revoked' : 'This API key is not valid';
      throw new ApiProblem('unauthorized', detail, { headers: { 'www-authenticate': 'Bearer realm="billing", error="invalid_token"' } });
    }
    request.apiKey = result.key;
    if (result.key.scope === 'read_only' && request.method !== 'GET' && request.method !== 'HEAD') {
      throw new ApiProblem('forbidden', `API key ${result.key.prefix}… (${result.key.name}) is read-only; ${request.method} needs a read-write key`);
    }
  };
}
