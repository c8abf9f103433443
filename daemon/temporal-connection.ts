import { readFileSync } from 'node:fs';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError } from '../config/errors.js';
import type { TemporalConfig } from '../config/temporal.js';

/** Connection options from temporal.yaml + environment: the one place that knows TLS and API keys. */
export function temporalConnectionOptions(temporal: TemporalConfig, address: string): NativeConnectionOptions {
  const { tls, apiKey } = temporal.connection;
  // A file that cannot be read is a configuration mistake named by its setting (ConfigError: exit 2, one line), not an unexpected error.
  const read = (setting: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError('the Temporal connection', [
        `connection.tls.${setting}: ${JSON.stringify(path)} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      ]);
    }
  };
  return {
    address,
    ...(apiKey ? { apiKey } : {}),
    ...(tls.enabled
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(tls.serverRootCaCertPath ? { serverRootCACertificate: read('serverRootCaCertPath', tls.serverRootCaCertPath) } : {}),
            ...(tls.clientCertPath && tls.clientKeyPath
              ? { clientCertPair: { crt: read('clientCertPath', tls.clientCertPath), key: read('clientKeyPath', tls.clientKeyPath) } }
              : {}),
          },
        }
      : {}),
  };
}
