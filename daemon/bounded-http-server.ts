// node:http with its limits in force: the IPN endpoint (billing.yaml ipn.*) and the operations
// endpoint use it, so neither lets slow, idle or numerous clients hold sockets longer than set.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';

/** Durations in ms, sizes in bytes. */
export interface HttpLimits {
  /** To receive a request's headers; also how long a new connection may stay silent. */
  headersTimeout: number;
  /** To receive a whole request, body included (≥ headersTimeout). */
  requestTimeout: number;
  /** Idle time allowed between two requests on one connection. */
  keepAliveTimeout: number;
  /** Open connections at once; more are closed as soon as they are accepted. */
  maxConnections: number;
  /** Request line and headers together; more gets 431. */
  maxHeaderBytes: number;
}

/** The operations endpoint's limits (Prometheus scrapes and probes are small and quick). */
export const OPERATIONS_HTTP_LIMITS: HttpLimits = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  maxConnections: 64,
  maxHeaderBytes: 16_384,
};

/**
 * Node checks headersTimeout and requestTimeout only every connectionsCheckingInterval (default
 * 30 s, so a 10 s limit cut at up to 40 s): the interval here is a tenth of the shorter limit, at
 * most 500 ms. server.timeout (socket inactivity) backs them up; maxConnections closes sockets
 * beyond the cap at once. `name` prefixes the warnings ("ipn refused") and names the settings.
 */
export function createBoundedServer(limits: HttpLimits, handler: (req: IncomingMessage, res: ServerResponse) => void, logger: Logger, name: string): Server {
  // Node 20.x closes an idle kept-alive connection keepAliveTimeout + 1 s after a response
  // (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER) and tells clients keepAliveTimeout: set 1 s short, the
  // close comes at the configured time and clients, told 1 s less, stop reusing the connection
  // before it closes (a reuse racing the close fails with "other side closed").
  const told = limits.keepAliveTimeout - 1_000 >= 1_000 ? limits.keepAliveTimeout - 1_000 : limits.keepAliveTimeout;
  const checkEvery = Math.max(50, Math.min(500, Math.floor(Math.min(limits.headersTimeout, limits.requestTimeout) / 10)));
  const server = createServer(
    {
      headersTimeout: limits.headersTimeout,
      requestTimeout: limits.requestTimeout,
      connectionsCheckingInterval: checkEvery,
      maxHeaderSize: limits.maxHeaderBytes,
      keepAliveTimeout: told,
    },
    (req, res) => {
      keepAliveAsConfigured(req, res, limits.keepAliveTimeout);
      handler(req, res);
    },
  );
  server.keepAliveTimeout = told;
  server.timeout = limits.requestTimeout;
  server.maxConnections = limits.maxConnections;
  // A flood of connections must not become a flood of log lines: one warning per 10 s, with a count.
  let dropped = 0;
  let lastDropLog = 0;
  server.on('drop', (data?: { remoteAddress?: string }) => {
    dropped += 1;
    if (Date.now() - lastDropLog < 10_000) return;
    lastDropLog = Date.now();
    logger.warn(
      { remoteAddress: data?.remoteAddress ?? null, maxConnections: limits.maxConnections, refusedSinceLastWarning: dropped },
      `${name} connection refused: ${name}.maxConnections reached`,
    );
    dropped = 0;
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const [status, text] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Bad Request'];
    logger.warn({ status, reason: error.code ?? error.message, messageId: null }, `${name} refused`);
    // Once part of a response is out, no second one can follow: just close.
    if (socket.writable && socket.bytesWritten === 0) {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      // A client that never reads or closes its side does not keep the socket.
      setTimeout(() => socket.destroy(), 1_000).unref();
    } else socket.destroy();
  });
  return server;
}

/**
 * For a keep-alive timeout under 2 s (not set 1 s short): Node 20.x's extra second, set in its
 * 'finish' handler (which runs before this one), is taken off. A Node without it is left as it is.
 */
function keepAliveAsConfigured(req: IncomingMessage, res: ServerResponse, keepAliveMs: number): void {
  const socket = req.socket;
  res.once('finish', () => {
    if (!socket.destroyed && socket.timeout === keepAliveMs + 1_000 && keepAliveMs < 2_000) socket.setTimeout(keepAliveMs);
  });
}

const CLIENT_ERRORS: Readonly<Record<string, [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};
