// The product's Amazon Pay API v2 client: builds the URL for the key style, signs (signing.ts),
// sends once (transport.ts) and classifies (outcomes.ts). Every method resolves to an outcome;
// HTTP errors, network errors and refused-before-sending inputs never throw. x-amz-pay-date comes
// from a clock corrected by Amazon's responses (pay-clock.ts), for every call alike.
import { signButtonPayload, type ButtonConfig } from './button-signature.js';
import type { AmazonPayConfig, AmazonPayRegion } from './config.js';
import { classifyNetworkError, classifyResponse, isClockSkewOutcome } from './outcomes.js';
import type { AmazonPayOperation, AmazonPayOutcome, InvalidRequestOutcome } from './outcomes.js';
import { createPayClock } from './pay-clock.js';
import { formatPayDate, signRequest } from './signing.js';
import { createTransport } from './transport.js';
import type { RawRequest } from './transport.js';
import type {
  CancelChargeRequest,
  CaptureChargeRequest,
  Charge,
  ChargePermission,
  CheckoutSession,
  CloseChargePermissionRequest,
  CompleteCheckoutSessionRequest,
  CreateChargeRequest,
  CreateRefundRequest,
  Refund,
  UpdateChargePermissionRequest,
} from './types.js';

export const REGION_HOSTS: Readonly<Record<AmazonPayRegion, string>> = Object.freeze({
  na: 'pay-api.amazon.com',
  eu: 'pay-api.amazon.eu',
  jp: 'pay-api.amazon.jp',
});

/** Amazon Pay API v2 idempotency: at most 32 characters of a-z A-Z 0-9 - _. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
// Amazon object ids look like S01-0000000-0000000-C000000; anything else must not reach the URL path.
const OBJECT_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
const SIMULATION_CODE_PATTERN = /^[A-Za-z]{1,64}$/;

const USER_AGENT = 'amazon-pay-billing-daemon/0.1 (node)';

export interface IdempotentCallOptions {
  /** Deterministic per business fact (billing/keys.ts); reused on every retry of the same attempt. */
  idempotencyKey: string;
}

export interface CreateChargeOptions extends IdempotentCallOptions {
  /** Sandbox only (`x-amz-pay-simulation-code`); refused locally in live. */
  simulationCode?: string;
}

export interface AmazonPayClient {
  createCharge(body: CreateChargeRequest, options: CreateChargeOptions): Promise<AmazonPayOutcome<Charge>>;
  getCharge(chargeId: string): Promise<AmazonPayOutcome<Charge>>;
  captureCharge(chargeId: string, body: CaptureChargeRequest, options: IdempotentCallOptions): Promise<AmazonPayOutcome<Charge>>;
  cancelCharge(chargeId: string, body: CancelChargeRequest): Promise<AmazonPayOutcome<Charge>>;
  getChargePermission(chargePermissionId: string): Promise<AmazonPayOutcome<ChargePermission>>;
  updateChargePermission(chargePermissionId: string, body: UpdateChargePermissionRequest): Promise<AmazonPayOutcome<ChargePermission>>;
  closeChargePermission(chargePermissionId: string, body: CloseChargePermissionRequest): Promise<AmazonPayOutcome<ChargePermission>>;
  createRefund(body: CreateRefundRequest, options: IdempotentCallOptions): Promise<AmazonPayOutcome<Refund>>;
  getRefund(refundId: string): Promise<AmazonPayOutcome<Refund>>;
  getCheckoutSession(checkoutSessionId: string): Promise<AmazonPayOutcome<CheckoutSession>>;
  /** 200, or 202 while the first authorization is pending (amazon-pay-checkout reference §5.4); the key is optional at Amazon, always sent here. */
  completeCheckoutSession(
    checkoutSessionId: string,
    body: CompleteCheckoutSessionRequest,
    options: IdempotentCallOptions,
  ): Promise<AmazonPayOutcome<CheckoutSession>>;
  /**
   * The Amazon Pay button's createCheckoutSessionConfig for `payloadJSON`, signed with this
   * client's key and algorithm (amazonpay/button-signature.ts): the key never leaves the client.
   */
  signButton(payloadJSON: string): ButtonConfig;
  /** The merchant's Store ID (`storeId` of a Checkout Session), null when not configured. */
  readonly storeId: string | null;
  /** Where this client points: the environment and region of its merchant account. */
  readonly environment: AmazonPayConfig['environment'];
  readonly region: AmazonPayRegion;
  /** The Amazon Pay merchant ID (the button's merchantId), null when not configured. */
  readonly merchantId: string | null;
  /**
   * Milliseconds this client adds to the host clock for x-amz-pay-date, learned from the `Date`
   * header of Amazon Pay's responses (0 until one arrived; negative when the host is ahead).
   */
  clockOffsetMs(): number;
  /** Releases the keep-alive sockets. Call on shutdown. */
  close(): void;
}

export interface AmazonPayClientOptions {
  /** Host clock, corrected by the learned offset for `x-amz-pay-date`; injected in tests. */
  now?: () => Date;
}

/** Why a key would be refused, or undefined when it is acceptable. */
export function idempotencyKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `idempotency key must be a string, got ${typeof key}`;
  if (IDEMPOTENCY_KEY_PATTERN.test(key)) return undefined;
  const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  return `idempotency key "${shown}" (${key.length} characters) is not 1-32 characters of A-Z a-z 0-9 _ -`;
}

interface CallSpec {
  operation: AmazonPayOperation;
  method: RawRequest['method'];
  /** Path after /v2, e.g. /charges/{id}/cancel. */
  resource: string;
  body?: unknown;
  idempotencyKey?: string;
  simulationCode?: string;
}

export function createAmazonPayClient(config: AmazonPayConfig, options: AmazonPayClientOptions = {}): AmazonPayClient {
  const hostNow = options.now ?? (() => new Date());
  const payClock = createPayClock(hostNow);
  const baseUrl = config.endpoint ?? `https://${REGION_HOSTS[config.region]}`;
  // URL.host keeps a non-default port, which the server sees in the signed x-amz-pay-host.
  const payHost = new URL(baseUrl).host;
  // Env-specific keys (LIVE-/SANDBOX-) imply the environment; plain keys name it in the path, as the
  // official SDKs do.
  const pathPrefix = config.envSpecificKey ? '/v2' : `/${config.environment}/v2`;
  const transport = createTransport(baseUrl, config.timeoutMs);
  const credentials = {
    publicKeyId: config.publicKeyId,
    privateKey: config.privateKey.keyObject(),
    algorithm: config.algorithm,
  };

  async function call(spec: CallSpec): Promise<AmazonPayOutcome<unknown>> {
    const refusal = refuseLocally(spec);
    if (refusal !== undefined) return refusal;

    let body = '';
    if (spec.body !== undefined) {
      try {
        body = JSON.stringify(spec.body);
      } catch (err) {
        return localRefusal('UnserializableBody', `${spec.operation}: request body cannot be JSON-encoded (${(err as Error).message})`);
      }
    }

    const first = await signAndSend(spec, body);
    // Amazon refused the date before reading the request, and our clock has been corrected since
    // we signed it (by this answer or a concurrent one): the same request (same idempotency key)
    // signed with the corrected date is sent once more.
    // Only here does the client send twice; every other retry is Temporal's (transport.ts).
    if (first.clockCorrected && isClockSkewOutcome(first.outcome)) return (await signAndSend(spec, body)).outcome;
    return first.outcome;
  }

  async function signAndSend(spec: CallSpec, body: string): Promise<{ outcome: AmazonPayOutcome<unknown>; clockCorrected: boolean }> {
    const offsetWhenSigned = payClock.offsetMs();
    const signedHeaders: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/json',
      'x-amz-pay-date': formatPayDate(payClock.now()),
      'x-amz-pay-host': payHost,
      'x-amz-pay-region': config.region,
    };
    if (spec.idempotencyKey !== undefined) signedHeaders['x-amz-pay-idempotency-key'] = spec.idempotencyKey;
    if (spec.simulationCode !== undefined) signedHeaders['x-amz-pay-simulation-code'] = spec.simulationCode;

    const path = `${pathPrefix}${spec.resource}`;
    const { authorization } = signRequest({ method: spec.method, path, headers: signedHeaders, body }, credentials);
    const result = await transport.send({
      method: spec.method,
      path,
      headers: { ...signedHeaders, authorization, 'user-agent': USER_AGENT },
      body,
    });
    if (!result.ok) return { outcome: classifyNetworkError(result.error, { sent: result.sent }), clockCorrected: false };
    const receivedAtMs = hostNow().getTime();
    const { status, headers, text } = result.response;
    const requestId = firstHeader(headers['x-amz-pay-request-id']);
    // Only Amazon Pay's own answers (they all carry a request id) set the clock, not a proxy's page.
    if (requestId !== undefined) payClock.observe(firstHeader(headers.date), receivedAtMs);
    return { outcome: classifyResponse(spec.operation, status, text, requestId), clockCorrected: payClock.offsetMs() !== offsetWhenSigned };
  }

  function refuseLocally(spec: CallSpec): InvalidRequestOutcome | undefined {
    if (spec.method === 'POST') {
      const problem = idempotencyKeyProblem(spec.idempotencyKey);
      if (problem !== undefined) return localRefusal('InvalidIdempotencyKey', `${spec.operation}: ${problem}`);
    }
    if (spec.simulationCode !== undefined) {
      if (config.environment !== 'sandbox') {
        return localRefusal(
          'SimulationCodeInLive',
          `${spec.operation}: simulation codes are sandbox-only; this client is configured for ${config.environment}`,
        );
      }
      if (!SIMULATION_CODE_PATTERN.test(spec.simulationCode)) {
        return localRefusal('InvalidSimulationCode', `${spec.operation}: simulation code must be letters only, e.g. SoftDeclined`);
      }
    }
    return undefined;
  }

  function withId(operation: AmazonPayOperation, id: string, build: (safeId: string) => CallSpec): Promise<AmazonPayOutcome<unknown>> {
    if (typeof id !== 'string' || !OBJECT_ID_PATTERN.test(id)) {
      return Promise.resolve(
        localRefusal('InvalidObjectId', `${operation}: id ${JSON.stringify(String(id).slice(0, 70))} is not 1-64 characters of A-Z a-z 0-9 -`),
      );
    }
    return call(build(id));
  }

  // The classifier returns `ok` only when the body is an object carrying the operation's id field,
  // so the casts below narrow a checked shape, not an arbitrary value.
  return {
    createCharge: (body, opts) =>
      call({
        operation: 'createCharge',
        method: 'POST',
        resource: '/charges',
        body,
        idempotencyKey: opts?.idempotencyKey,
        ...(opts?.simulationCode === undefined ? {} : { simulationCode: opts.simulationCode }),
      }) as Promise<AmazonPayOutcome<Charge>>,
    getCharge: (id) =>
      withId('getCharge', id, (safe) => ({ operation: 'getCharge', method: 'GET', resource: `/charges/${safe}` })) as Promise<AmazonPayOutcome<Charge>>,
    captureCharge: (id, body, opts) =>
      withId('captureCharge', id, (safe) => ({
        operation: 'captureCharge',
        method: 'POST',
        resource: `/charges/${safe}/capture`,
        body,
        idempotencyKey: opts?.idempotencyKey,
      })) as Promise<AmazonPayOutcome<Charge>>,
    cancelCharge: (id, body) =>
      withId('cancelCharge', id, (safe) => ({ operation: 'cancelCharge', method: 'DELETE', resource: `/charges/${safe}/cancel`, body })) as Promise<
        AmazonPayOutcome<Charge>
      >,
    getChargePermission: (id) =>
      withId('getChargePermission', id, (safe) => ({
        operation: 'getChargePermission',
        method: 'GET',
        resource: `/chargePermissions/${safe}`,
      })) as Promise<AmazonPayOutcome<ChargePermission>>,
    updateChargePermission: (id, body) =>
      withId('updateChargePermission', id, (safe) => ({
        operation: 'updateChargePermission',
        method: 'PATCH',
        resource: `/chargePermissions/${safe}`,
        body,
      })) as Promise<AmazonPayOutcome<ChargePermission>>,
    closeChargePermission: (id, body) =>
      withId('closeChargePermission', id, (safe) => ({
        operation: 'closeChargePermission',
        method: 'DELETE',
        resource: `/chargePermissions/${safe}/close`,
        body,
      })) as Promise<AmazonPayOutcome<ChargePermission>>,
    createRefund: (body, opts) =>
      call({ operation: 'createRefund', method: 'POST', resource: '/refunds', body, idempotencyKey: opts?.idempotencyKey }) as Promise<
        AmazonPayOutcome<Refund>
      >,
    getRefund: (id) =>
      withId('getRefund', id, (safe) => ({ operation: 'getRefund', method: 'GET', resource: `/refunds/${safe}` })) as Promise<AmazonPayOutcome<Refund>>,
    getCheckoutSession: (id) =>
      withId('getCheckoutSession', id, (safe) => ({
        operation: 'getCheckoutSession',
        method: 'GET',
        resource: `/checkoutSessions/${safe}`,
      })) as Promise<AmazonPayOutcome<CheckoutSession>>,
    completeCheckoutSession: (id, body, opts) =>
      withId('completeCheckoutSession', id, (safe) => ({
        operation: 'completeCheckoutSession',
        method: 'POST',
        resource: `/checkoutSessions/${safe}/complete`,
        body,
        idempotencyKey: opts?.idempotencyKey,
      })) as Promise<AmazonPayOutcome<CheckoutSession>>,
    signButton: (payloadJSON) => signButtonPayload(payloadJSON, credentials),
    storeId: config.storeId,
    environment: config.environment,
    region: config.region,
    merchantId: config.merchantId,
    clockOffsetMs: () => payClock.offsetMs(),
    close: () => transport.close(),
  };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function localRefusal(reasonCode: string, message: string): InvalidRequestOutcome {
  return { kind: 'invalid_request', status: undefined, reasonCode, message, requestId: undefined };
}
