// What an operation handler gets from the HTTP layer once routing, throttling, signing and
// idempotency have passed.
import type { Engine } from './engine.js';
import type { Environment } from './state.js';

export interface OperationContext {
  engine: Engine;
  environment: Environment;
  /** Path parameter (chargeId, chargePermissionId or refundId) when the route has one. */
  id: string | undefined;
  rawBody: string;
  simulationCode: string | undefined;
  idempotencyKey: string | undefined;
  /** x-amz-pay-region of the request (na, eu, jp; SDKs send "us" for na), lower-cased; undefined when absent. */
  region?: string | undefined;
}

export interface OperationResult {
  status: number;
  body: unknown;
}
