// A TLS file that cannot be read is a configuration mistake named by its setting (exit 2 in the
// CLI, one line), not "unexpected error: ENOENT …" (fresh review).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../config/errors.js';
import { applyTemporalEnv, parseTemporalYaml } from '../../../config/temporal.js';
import { temporalConnectionOptions } from '../../../daemon/temporal-connection.js';

describe('temporalConnectionOptions', () => {
  it('names the setting whose file cannot be read', () => {
    const file = parseTemporalYaml('connection:\n  address: t:7233\n', 'temporal.yaml');
    const config = applyTemporalEnv(file, {
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/nonexistent/client.key',
    });
    expect(() => temporalConnectionOptions(config, 't:7233')).toThrow(ConfigError);
    expect(() => temporalConnectionOptions(config, 't:7233')).toThrow(
      /connection\.tls\.clientCertPath: "\/nonexistent\/client\.pem" cannot be read \(ENOENT\)/,
    );
  });
});
