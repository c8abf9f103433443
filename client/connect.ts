// Builds the library's dependencies from the daemon's own configuration (loadConfig): the same
// temporal.yaml, billing.yaml, DATABASE_URL and AMAZON_PAY_* variables, with the dev stack's
// embedded services as the fallback when nothing external is configured.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createAmazonPayClient, type AmazonPayClient } from '../amazonpay/client.js';
import { amazonPayInputFromEnv, parseAmazonPayConfig, type AmazonPayConfig } from '../amazonpay/config.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { maskUrlPassword } from '../config/redact-url.js';
import { temporalConnectionOptions } from '../daemon/temporal-connection.js';
import { createDb } from '../db/client.js';
import { ensureSandboxCredentials } from '../devstack/sandbox-credentials.js';
import { createBillingClient, type BillingClient } from './index.js';
import type { BillingClientDeps } from './deps.js';
import { UpstreamError } from './errors.js';

export interface ConnectedBillingClient {
  readonly client: BillingClient;
  readonly deps: BillingClientDeps;
  readonly config: Config;
  /** Where the settings point: shown by the CLI, never with passwords or keys. */
  readonly endpoints: { database: string; temporal: string; namespace: string; amazonPay: string; simulator: boolean };
  close(): Promise<void>;
}

/** The dev stack's embedded PostgreSQL (devstack/embedded-postgres.ts), used when DATABASE_URL is unset. */
export function devDatabaseUrl(env: NodeJS.ProcessEnv): string {
  return `postgres://billing:billing-dev@127.0.0.1:${env.BILLING_PG_PORT || '54329'}/billing`;
}

async function amazonPaySettings(config: Config, env: NodeJS.ProcessEnv): Promise<{ settings: AmazonPayConfig; simulator: boolean }> {
  if (Object.keys(config.amazonPayEnv).length > 0) return { settings: parseAmazonPayConfig(amazonPayInputFromEnv(config.amazonPayEnv)), simulator: false };
  const dir = join(config.dataDir, 'sandbox');
  if (!existsSync(join(dir, 'sandbox-key.json'))) {
    throw new ConfigError('the sandbox', [`no AMAZON_PAY_* credentials and no sandbox key in ${dir}: start the dev stack (\`npm run dev\`) once, or set AMAZON_PAY_* for a real Amazon Pay account`]);
  }
  const credentials = await ensureSandboxCredentials(dir);
  const endpoint = `http://127.0.0.1:${env.SANDBOX_PORT || '4010'}`;
  return { settings: parseAmazonPayConfig({ publicKeyId: credentials.publicKeyId, privateKey: credentials.privateKeyPem, region: 'na', endpoint }), simulator: true };
}

export async function connectBillingClient(options: { env?: NodeJS.ProcessEnv; projectRoot?: string; now?: () => Date } = {}): Promise<ConnectedBillingClient> {
  const env = options.env ?? process.env;
  const config = loadConfig(env, options.projectRoot ?? process.cwd());
  const { settings, simulator } = await amazonPaySettings(config, env);
  const databaseUrl = config.database.url ?? devDatabaseUrl(env);
  const dev = config.temporal.devServer;
  const temporalAddress = config.temporal.connection.address ?? `${dev.ip}:${dev.port}`;
  const namespace = config.temporal.connection.namespace;

  const database = createDb(databaseUrl, { max: 8 });
  let connection: Promise<Connection> | undefined;
  let amazonPay: AmazonPayClient | undefined;
  const temporal = async (): Promise<Client> => {
    connection ??= Connection.connect({ ...temporalConnectionOptions(config.temporal, temporalAddress), connectTimeout: 5_000 }).catch((error: unknown) => {
      connection = undefined;
      throw new UpstreamError(`Cannot reach Temporal at ${temporalAddress}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)} (is the dev stack or your Temporal cluster running?)`, true);
    });
    return new Client({ connection: await connection, namespace });
  };
  const deps: BillingClientDeps = {
    db: database.db,
    temporal,
    amazonPay: () => (amazonPay ??= createAmazonPayClient(settings)),
    environment: settings.environment,
    region: settings.region,
    taskQueues: config.temporal.taskQueues,
    policy: config.billing.policy,
    now: options.now ?? (() => new Date()),
  };
  return {
    client: createBillingClient(deps),
    deps,
    config,
    endpoints: {
      database: maskUrlPassword(databaseUrl),
      temporal: temporalAddress,
      namespace,
      amazonPay: settings.endpoint ?? `Amazon Pay ${settings.region} (${settings.environment})`,
      simulator,
    },
    async close() {
      amazonPay?.close();
      if (connection) await (await connection.catch(() => undefined))?.close();
      await database.close();
    },
  };
}
