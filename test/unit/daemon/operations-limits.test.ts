// The operations endpoint (/healthz, /readyz, /metrics) uses the same bounded node:http server as
// the IPN endpoint: a silent connection is closed at headersTimeout, not Node's 30 s check later;
// connections beyond the cap are closed at once; oversized headers get 431.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperationsServer, type OperationsServer } from '../../../daemon/operations.js';
import { captureLogger } from '../../support/log-capture.js';
import { openProbe } from '../../support/raw-socket.js';

describe('operations endpoint limits', () => {
  let server: OperationsServer;
  const limits = { headersTimeout: 500, requestTimeout: 1_000, keepAliveTimeout: 500, maxConnections: 5, maxHeaderBytes: 1_024 };
  beforeAll(async () => {
    server = await startOperationsServer({ host: '127.0.0.1', port: 0, registry: new Registry(), checks: {}, logger: captureLogger().logger, limits });
  });
  afterAll(() => server?.close());
  const port = () => Number(new URL(server.url).port);

  it('closes a silent connection at headersTimeout and the ones beyond maxConnections at once', async () => {
    const probes = await Promise.all(Array.from({ length: 8 }, () => openProbe(port())));
    const times = await Promise.all(probes.map((p) => p.closed));
    expect(times.filter((ms) => ms < 250)).toHaveLength(3);
    expect(times.filter((ms) => ms >= 450 && ms < 1_200)).toHaveLength(5);
  });

  it('answers 431 to oversized headers', async () => {
    const probe = await openProbe(port());
    probe.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(2_000)}\r\n\r\n`);
    await probe.closed;
    expect(probe.received()).toMatch(/^HTTP\/1\.1 431 /);
  });
});
