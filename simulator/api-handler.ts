// Handles one Amazon Pay API request in this order (an assumption: Amazon does not document the
// order of its checks): route → faults → throttle → signature and headers → idempotency →
// operation. Every response carries x-amz-pay-request-id and a Date header from the simulator's
// (injectable, advanceable) clock.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AmazonPayError, errorBody } from './errors.js';
import { firstHeader, sendJson } from './http-io.js';
import { isStorableStatus, requestFingerprint, requireIdempotencyKey } from './idempotency.js';
import { takeInjectedError } from './injected-errors.js';
import { SIMULATION_CODES } from './outcomes.js';
import { matchRoute, type RouteMatch } from './routes.js';
import { parseAuthorization, verifyRequestSignature } from './signature.js';
import { sweepDue } from './sweep.js';
import type { SimulatorRuntime } from './runtime.js';
import type { Environment } from './state.js';
import type { OperationResult } from './context.js';

interface Outcome extends OperationResult {
  replayed: boolean;
}

function toErrorResult(error: unknown): OperationResult {
  if (error instanceof AmazonPayError) return { status: error.status, body: errorBody(error.reasonCode, error.message) };
  return { status: 500, body: errorBody('InternalServerError', 'The simulator hit an unexpected error.') };
}

function environmentFor(route: RouteMatch, publicKeyId: string | undefined): Environment {
  const keyEnv = publicKeyId?.toUpperCase().startsWith('LIVE') ? 'Live' : publicKeyId?.toUpperCase().startsWith('SANDBOX') ? 'Sandbox' : undefined;
  const pathEnv = route.pathEnvironment === 'live' ? 'Live' : route.pathEnvironment === 'sandbox' ? 'Sandbox' : undefined;
  if (keyEnv && pathEnv && keyEnv !== pathEnv) {
    throw new AmazonPayError('InvalidRequest', `The ${keyEnv} Public Key ID cannot be used on the /${route.pathEnvironment}/v2 path.`);
  }
  // Unsigned requests (signature checks off) on /v2 default to Sandbox.
  return pathEnv ?? keyEnv ?? 'Sandbox';
}

function chooseFault(runtime: SimulatorRuntime): 'reset' | 500 | 503 | undefined {
  const { faults, engine } = runtime;
  const roll = engine.random();
  if (roll < faults.connectionResetRate) return 'reset';
  if (roll < faults.connectionResetRate + faults.error500Rate) return 500;
  if (roll < faults.connectionResetRate + faults.error500Rate + faults.error503Rate) return 503;
  return undefined;
}

export async function handleApiRequest(
  runtime: SimulatorRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
  delay: (ms: number) => Promise<void>,
): Promise<void> {
  const { engine } = runtime;
  const requestId = randomUUID();
  // Date from the simulator's clock, as Amazon's servers send theirs: clients learn their offset from it.
  const headers = (): Record<string, string> => ({ 'x-amz-pay-request-id': requestId, date: engine.now().toUTCString() });
  const url = new URL(req.url ?? '/', 'http://simulator');
  const method = req.method ?? 'GET';
  let route: RouteMatch;
  try {
    route = matchRoute(method, url.pathname);
  } catch (error) {
    const r = toErrorResult(error);
    sendJson(res, r.status, r.body, headers());
    return;
  }
  runtime.requestCounts.set(route.operation, (runtime.requestCounts.get(route.operation) ?? 0) + 1);
  const bodyText = rawBody.toString('utf8');
  const authorization = firstHeader(req.headers['authorization']);
  const claimedKeyId = authorization ? parseAuthorization(authorization)?.publicKeyId : undefined;
  const record = (status: number, body: unknown, outcome: string): void => {
    if (route.operation === 'createCharge') recordAttempt(runtime, req, bodyText, status, body, outcome);
  };

  // A Create Charge names its object in the body: an error injected for a Charge Permission's id
  // hits only that permission's charges (tests side by side each inject for their own).
  const injected = takeInjectedError(runtime.injectedErrors, route.operation, route.id ?? chargePermissionIdOf(route.operation, bodyText));
  if (injected) {
    record(injected.status, null, `Injected${injected.reasonCode}`);
    sendJson(res, injected.status, errorBody(injected.reasonCode, injected.message), headers());
    return;
  }
  const latency = runtime.faults.latencyFixedMs + runtime.faults.latencyRandomMs * engine.random();
  if (latency > 0) await delay(latency);
  const fault = chooseFault(runtime);
  if (fault === 'reset') {
    record(0, null, 'InjectedConnectionReset');
    req.socket.destroy();
    return;
  }
  if (fault !== undefined) {
    const reason = fault === 500 ? 'InternalServerError' : 'ServiceUnavailable';
    record(fault, null, `Injected${reason}`);
    sendJson(res, fault, errorBody(reason), headers());
    return;
  }
  if (!runtime.throttle.tryTake(route.operation, claimedKeyId ?? 'anonymous', engine.nowMs())) {
    record(429, null, 'TooManyRequests');
    sendJson(res, 429, errorBody('TooManyRequests'), headers());
    return;
  }
  sweepDue(engine);

  let outcome: Outcome;
  try {
    outcome = await processVerified(runtime, req, route, url, rawBody, claimedKeyId);
  } catch (error) {
    outcome = { ...toErrorResult(error), replayed: false };
  }
  const body = outcome.body as { reasonCode?: string };
  record(outcome.status, outcome.body, outcome.replayed ? 'Replayed' : outcome.status < 300 ? 'Created' : (body.reasonCode ?? 'Error'));

  if (outcome.status < 500 && !outcome.replayed && runtime.faults.responseLostRate > 0 && engine.random() < runtime.faults.responseLostRate) {
    const mode = runtime.faults.responseLostMode;
    if (mode === 'reset') req.socket.destroy();
    else sendJson(res, mode === 'status500' ? 500 : 503, errorBody(mode === 'status500' ? 'InternalServerError' : 'ServiceUnavailable'), headers());
    return;
  }
  sendJson(res, outcome.status, outcome.body, headers());
}

async function processVerified(
  runtime: SimulatorRuntime,
  req: IncomingMessage,
  route: RouteMatch,
  url: URL,
  rawBody: Buffer,
  claimedKeyId: string | undefined,
): Promise<Outcome> {
  const { engine } = runtime;
  const method = req.method ?? 'GET';
  let publicKeyId = claimedKeyId;
  if (runtime.requireSignature) {
    const parsed = verifyRequestSignature(
      { method, path: url.pathname, rawQuery: url.search.replace(/^\?/, ''), headers: req.headers, body: rawBody },
      {
        lookupPublicKey: (id) => runtime.lookupPublicKey(id),
        now: engine.now(),
        maxClockSkewMs: runtime.maxClockSkewMs,
        maxFutureSkewMs: runtime.maxFutureSkewMs,
      },
    );
    publicKeyId = parsed.publicKeyId;
  }
  const environment = environmentFor(route, publicKeyId);
  const simulationCode = firstHeader(req.headers['x-amz-pay-simulation-code']);
  if (simulationCode !== undefined) {
    const accepted = SIMULATION_CODES[route.operation] ?? [];
    if (environment !== 'Sandbox') {
      throw new AmazonPayError('InvalidSandboxSimulationSpecified', 'Simulation codes are accepted only in Sandbox.');
    }
    if (!accepted.includes(simulationCode)) {
      throw new AmazonPayError(
        'InvalidSandboxSimulationSpecified',
        `Simulation code ${JSON.stringify(simulationCode)} is not supported for ${route.operation}; accepted: ${accepted.join(', ') || 'none'}.`,
      );
    }
  }
  const bodyText = rawBody.toString('utf8');
  const ctxBase = { engine, environment, id: route.id, rawBody: bodyText, simulationCode, region: firstHeader(req.headers['x-amz-pay-region'])?.toLowerCase() };
  // Complete Checkout Session works without a key (Woo and Magento send none: amazon-pay-checkout
  // reference §1); with one, the replay rules apply as to every POST.
  const keyOptional = route.operation === 'completeCheckoutSession' && req.headers['x-amz-pay-idempotency-key'] === undefined;
  if (method !== 'POST' || keyOptional) return { ...route.handler({ ...ctxBase, idempotencyKey: undefined }), replayed: false };

  const key = requireIdempotencyKey(req.headers['x-amz-pay-idempotency-key']);
  const scope = `${environment}|${publicKeyId ?? 'anonymous'}|${key}`;
  // The fingerprint includes the simulation code: the same body with another code is another request.
  const fingerprint = `${requestFingerprint(method, route.resourcePath, bodyText)} sim=${simulationCode ?? ''}`;
  return runtime.lock.run(scope, async () => {
    const saved = engine.state.idempotency[scope];
    if (saved) {
      if (saved.fingerprint !== fingerprint) {
        throw new AmazonPayError('DuplicateIdempotencyKey', `The idempotency key ${key} was already used in a different request and cannot be reused.`);
      }
      return { status: saved.status, body: saved.body, replayed: true };
    }
    let result: OperationResult;
    try {
      result = route.handler({ ...ctxBase, idempotencyKey: key });
    } catch (error) {
      result = toErrorResult(error);
    }
    if (isStorableStatus(result.status)) {
      engine.state.idempotency[scope] = { fingerprint, status: result.status, body: result.body, createdAt: engine.nowMs() };
      engine.save();
    }
    return { ...result, replayed: false };
  });
}

function recordAttempt(runtime: SimulatorRuntime, req: IncomingMessage, bodyText: string, status: number, body: unknown, outcome: string): void {
  let parsed: { chargePermissionId?: unknown; chargeAmount?: { amount?: unknown; currencyCode?: unknown } } = {};
  try {
    parsed = JSON.parse(bodyText) as typeof parsed;
  } catch {
    parsed = {};
  }
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const chargeId = status === 201 ? str((body as { chargeId?: unknown } | null)?.chargeId) : null;
  runtime.engine.state.attempts.push({
    at: runtime.engine.nowMs(),
    idempotencyKey: firstHeader(req.headers['x-amz-pay-idempotency-key']) ?? null,
    chargePermissionId: str(parsed?.chargePermissionId),
    amount: str(parsed?.chargeAmount?.amount),
    currency: str(parsed?.chargeAmount?.currencyCode),
    status,
    outcome,
    chargeId,
  });
  runtime.engine.save();
}

/** The chargePermissionId a Create Charge body names (undefined for other operations or a body that is not JSON). */
function chargePermissionIdOf(operation: string, bodyText: string): string | undefined {
  if (operation !== 'createCharge') return undefined;
  try {
    const id = (JSON.parse(bodyText) as { chargePermissionId?: unknown } | null)?.chargePermissionId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
