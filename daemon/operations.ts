// The operations endpoint: /healthz (the process answers), /readyz (PostgreSQL, Temporal and
// the workers are usable; 503 with the failing checks otherwise, and while shutting down) and
// /metrics (this daemon's Prometheus registry).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createBoundedServer, OPERATIONS_HTTP_LIMITS, type HttpLimits } from './bounded-http-server.js';

export type ReadinessCheck = () => Promise<boolean>;

export interface OperationsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
  logger: Logger;
  /** Default OPERATIONS_HTTP_LIMITS. */
  limits?: HttpLimits;
}

export interface OperationsServer {
  readonly url: string;
  /** /readyz answers 503 from now on (load balancers stop sending work). */
  markStopping(): void;
  close(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 3_000;

export async function startOperationsServer(options: OperationsServerOptions): Promise<OperationsServer> {
  let stopping = false;
  const server: Server = createBoundedServer(
    options.limits ?? OPERATIONS_HTTP_LIMITS,
    (req, res) => {
      const path = new URL(req.url ?? '/', 'http://ops.invalid').pathname;
      const reply = (status: number, type: string, body: string) => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'application/json', JSON.stringify({ error: 'GET only' }));
      if (path === '/healthz') return reply(200, 'application/json', JSON.stringify({ status: 'ok' }));
      if (path === '/readyz') {
        void readiness(options.checks, stopping).then(
          (result) => reply(result.ready ? 200 : 503, 'application/json', JSON.stringify(result)),
          () => reply(503, 'application/json', JSON.stringify({ ready: false })),
        );
        return;
      }
      if (path === '/metrics') {
        void options.registry.metrics().then(
          (text) => reply(200, options.registry.contentType, text),
          (error: unknown) => {
            options.logger.warn({ err: (error as Error).message }, 'metrics collection failed');
            reply(500, 'application/json', JSON.stringify({ error: 'metrics collection failed' }));
          },
        );
        return;
      }
      reply(404, 'application/json', JSON.stringify({ error: 'not found; try /healthz, /readyz or /metrics' }));
    },
    options.logger,
    'operations',
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host}:${port}`,
    markStopping() {
      stopping = true;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function readiness(
  checks: Record<string, ReadinessCheck>,
  stopping: boolean,
): Promise<{ ready: boolean; checks: Record<string, boolean>; stopping: boolean }> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), CHECK_TIMEOUT_MS).unref());
      const ok = await Promise.race([check().catch(() => false), timeout]);
      return [name, ok] as const;
    }),
  );
  const results = Object.fromEntries(entries);
  return { ready: !stopping && entries.every(([, ok]) => ok), checks: results, stopping };
}
