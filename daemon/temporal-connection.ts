import { readFileSync } from 'node:fs';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalConfig } from '../config/temporal.js';

/** Connection options from temporal.yaml + environment: the one place that knows TLS and API keys. */
export function temporalConnectionOptions(temporal: TemporalConfig, address: string): NativeConnectionOptions {
  const { tls, apiKey } = temporal.connection;
  const read = (path: string | undefined) => (path ? readFileSync(path) : undefined);
  return {
    address,
    ...(apiKey ? { apiKey } : {}),
    ...(tls.enabled
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(tls.serverRootCaCertPath ? { serverRootCACertificate: read(tls.serverRootCaCertPath) } : {}),
            ...(tls.clientCertPath && tls.clientKeyPath ? { clientCertPair: { crt: read(tls.clientCertPath)!, key: read(tls.clientKeyPath)! } } : {}),
          },
        }
      : {}),
  };
}
