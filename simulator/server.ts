// startSimulator(): an HTTP(S) server on 127.0.0.1 standing in for Amazon Pay API v2, with the
// simulator-only control API under /__sim.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Engine } from './engine.js';
import { errorBody } from './errors.js';
import { NO_FAULTS, validateFaultConfig, type FaultConfig } from './faults.js';
import { BodyTooLargeError, readBody, sendJson } from './http-io.js';
import { SIMULATOR_MERCHANT_ID } from './ids.js';
import { createRandom } from './prng.js';
import { isApiPath } from './routes.js';
import { handleApiRequest } from './api-handler.js';
import { handleControl } from './control-api.js';
import { handleCheckoutPage, isCheckoutPagePath } from './checkout-pages.js';
import { resolvePendingCharge } from './ops-charges.js';
import { resolveRefund } from './ops-refunds.js';
import { SimulatorRuntime } from './runtime.js';
import { defaultMonthlyCaps, type MonthlyCaps } from './caps.js';
import { Throttle, validateThrottleConfig, type ThrottleConfig } from './throttle.js';
import type { IpnConfig } from './ipn-delivery.js';

/** Default tolerance for an x-amz-pay-date ahead of the simulator's clock. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5_000;

export interface SimulatorOptions {
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Serve HTTPS with this PEM key and certificate instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Injected clock for signatures' skew check, throttles, caps, timestamps. Default: real time. */
  clock?: () => Date;
  /** Merchant public keys by Public Key ID (PEM, SPKI or PKCS#1; a private key PEM also works). */
  publicKeys?: Record<string, string>;
  /** Verify request signatures (default true). Off only for quick manual experiments. */
  requireSignature?: boolean;
  /** How far x-amz-pay-date may lie behind the clock (default 15 minutes). */
  maxClockSkewMs?: number;
  /**
   * How far x-amz-pay-date may lie ahead of the clock (default 5 seconds); beyond it the answer is
   * Amazon's 400 InvalidHeaderValue "x-amz-pay-date should not be in future".
   */
  maxFutureSkewMs?: number;
  /** JSON file holding all state across restarts (atomic writes after every change). */
  dataFile?: string;
  throttle?: Partial<ThrottleConfig>;
  faults?: Partial<FaultConfig>;
  /** Seed for the PRNG behind faults and IPN duplicates/reordering (reproducible runs). */
  seed?: number;
  ipn?: Partial<IpnConfig>;
  merchantId?: string;
  monthlyCaps?: MonthlyCaps;
  /** Delay before AuthorizationInitiated/CaptureInitiated resolve (default 30 s, as sandbox cards do). */
  pendingDelayMs?: number;
  /** Delay before RefundInitiated becomes Refunded (default 10 s). */
  refundDelayMs?: number;
}

export interface Simulator {
  /** Base URL, e.g. http://127.0.0.1:4010 (API under /v2, /sandbox/v2, /live/v2). */
  url: string;
  port: number;
  /** Control API base, `${url}/__sim`. */
  controlUrl: string;
  /** PEM the IPN signatures verify with (also served at SigningCertURL). */
  ipnSigningPublicKeyPem: string;
  /** TopicArn the IPN envelopes carry now (ipn.topicArn; PUT /__sim/ipn changes it). */
  readonly ipnTopicArn: string;
  /** Direct access for in-process tests; prefer the control API. */
  runtime: SimulatorRuntime;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const random = createRandom(options.seed);
  const engine = new Engine({
    clock: options.clock ?? (() => new Date()),
    merchantId: options.merchantId ?? SIMULATOR_MERCHANT_ID,
    dataFile: options.dataFile,
    monthlyCaps: options.monthlyCaps ?? defaultMonthlyCaps(),
    pendingDelayMs: options.pendingDelayMs ?? 30_000,
    refundDelayMs: options.refundDelayMs ?? 10_000,
    ipn: options.ipn ?? {},
    random,
  });
  engine.onDue((kind, id) => (kind === 'charge' ? resolvePendingCharge(engine, id) : resolveRefund(engine, id)));
  const runtime = new SimulatorRuntime(
    engine,
    new Throttle(validateThrottleConfig({ table: 'sandbox', overrides: {}, ...options.throttle })),
    validateFaultConfig(options.faults ?? {}, NO_FAULTS),
    options.requireSignature ?? true,
    options.maxClockSkewMs ?? 15 * 60 * 1000,
    options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS,
  );
  for (const [id, pem] of Object.entries(options.publicKeys ?? {})) runtime.registerPublicKey(id, pem);

  const delayTimers = new Set<NodeJS.Timeout>();
  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        delayTimers.delete(timer);
        resolve();
      }, ms);
      delayTimers.add(timer);
    });

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void handleRequest(runtime, req, res, delay).catch(() => {
      // Last resort: a handler bug must not take the server down.
      sendJson(res, 500, errorBody('InternalServerError'));
    });
  };
  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createHttpServer(handler);
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  engine.baseUrl = url;
  engine.rearmPending();

  let closed = false;
  return {
    url,
    port,
    controlUrl: `${url}/__sim`,
    ipnSigningPublicKeyPem: engine.signingPublicKeyPem,
    get ipnTopicArn() {
      return engine.ipn.getConfig().topicArn;
    },
    runtime,
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of delayTimers) clearTimeout(timer);
      delayTimers.clear();
      engine.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function handleRequest(runtime: SimulatorRuntime, req: IncomingMessage, res: ServerResponse, delay: (ms: number) => Promise<void>): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://simulator').pathname;
  const api = isApiPath(path);
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      const headers = { connection: 'close', ...(api ? amazonHeaders(runtime) : {}) };
      sendJson(res, 413, errorBody('RequestEntityTooLarge', 'The request body is larger than 1 MiB.'), headers);
      return;
    }
    throw error;
  }
  if (api) {
    await handleApiRequest(runtime, req, res, body, delay);
    return;
  }
  if (isCheckoutPagePath(path)) {
    handleCheckoutPage(runtime, req, res, body);
    return;
  }
  if (path.startsWith('/__sim/') || path === '/__sim') {
    const result = handleControl(runtime, req.method ?? 'GET', path, body.toString('utf8'));
    if (result.contentType) {
      res.writeHead(result.status, { 'content-type': result.contentType });
      res.end(String(result.body));
    } else sendJson(res, result.status, result.body);
    return;
  }
  sendJson(res, 404, errorBody('ResourceNotFound', `No resource at ${path}; the API lives under /v2, /sandbox/v2 and /live/v2.`), amazonHeaders(runtime));
}

/** Headers every answer "from Amazon" carries: a request id and the simulator clock's Date. */
function amazonHeaders(runtime: SimulatorRuntime): Record<string, string> {
  return { 'x-amz-pay-request-id': crypto.randomUUID(), date: runtime.engine.now().toUTCString() };
}
