// One HTTP exchange with a hard deadline, over a keep-alive agent owned by one client.
// No retries here: Temporal's activity retry is the only retry loop, so a request is sent
// at most once per call and the idempotency key makes the next attempt safe.
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface RawRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  /** "" sends no body. DELETE bodies are sent like any other. */
  body: string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export type TransportResult =
  | { ok: true; response: RawResponse }
  /** `sent`: a connection to the server existed, so it may have read the request. */
  | { ok: false; error: Error; sent: boolean };

export interface Transport {
  send(request: RawRequest): Promise<TransportResult>;
  /** Closes idle keep-alive sockets and refuses nothing else; in-flight requests are destroyed. */
  close(): void;
}

// Amazon Pay objects are a few KB; a much larger body is a proxy page or a fault, not data.
const MAX_RESPONSE_BYTES = 1024 * 1024;

export class ClientTimeoutError extends Error {
  override readonly name = 'ClientTimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(timeoutMs: number, connected: boolean) {
    super(`no complete response within ${timeoutMs} ms (${connected ? 'after connecting' : 'while connecting'})`);
  }
}

export function createTransport(baseUrl: string, timeoutMs: number): Transport {
  const base = new URL(baseUrl);
  const isHttps = base.protocol === 'https:';
  // Per-client agent: sockets are reused between calls of this client only, and close() can
  // release them. Default TLS verification stays on; nothing here touches process-wide settings.
  const agent = isHttps ? new https.Agent({ keepAlive: true, maxSockets: 32 }) : new http.Agent({ keepAlive: true, maxSockets: 32 });
  const requestFn = isHttps ? https.request : http.request;

  function send(request: RawRequest): Promise<TransportResult> {
    return new Promise((resolve) => {
      let settled = false;
      let sent = false;
      const finish = (result: TransportResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const fail = (error: Error): void => finish({ ok: false, error, sent });

      const headers: Record<string, string> = { ...request.headers };
      if (request.body !== '') headers['content-length'] = String(Buffer.byteLength(request.body, 'utf8'));

      const req = requestFn({
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port === '' ? undefined : Number(base.port),
        method: request.method,
        path: request.path,
        headers,
        agent,
      });

      const timer = setTimeout(() => {
        const error = new ClientTimeoutError(timeoutMs, sent);
        fail(error);
        req.destroy(error);
      }, timeoutMs);

      req.on('socket', (socket) => {
        // A reused keep-alive socket is already connected; a new one counts once TCP connects.
        if (!socket.connecting) sent = true;
        else socket.once('connect', () => (sent = true));
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            fail(new Error(`response body larger than ${MAX_RESPONSE_BYTES} bytes (HTTP ${res.statusCode ?? '?'})`));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('connection closed while reading the response'), { code: 'ECONNRESET' }));
        });
        res.on('end', () =>
          finish({
            ok: true,
            response: { status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') },
          }),
        );
      });

      req.end(request.body === '' ? undefined : request.body);
    });
  }

  return {
    send,
    close: () => agent.destroy(),
  };
}
