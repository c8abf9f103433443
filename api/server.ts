// The API's own listener (billing.yaml api.host/api.port), started and stopped by the daemon.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApiApp, type ApiAppOptions } from './app.js';

export interface ApiServer {
  /** Base URL, e.g. http://127.0.0.1:8788 (the API is under /v1). */
  readonly url: string;
  readonly app: FastifyInstance;
  /** Stops taking connections and lets in-flight requests finish. */
  close(): Promise<void>;
}

export async function startApiServer(options: ApiAppOptions & { host: string; port: number }): Promise<ApiServer> {
  const app = await buildApiApp(options);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new Error(`the HTTP API cannot listen on ${options.host}:${options.port}: the port is in use (api.port in billing.yaml)`);
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, app, close: () => app.close() };
}
