// Builds the library's dependencies from the daemon's own configuration (loadConfig): the same
// temporal.yaml, billing.yaml, DATABASE_URL and AMAZON_PAY_* variables, with the dev stack's
// embedded services as the fallback when nothing external is configured.
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type postgres from 'postgres';
import { createAmazonPayClient, type AmazonPayClient } from '../amazonpay/client.js';
import { amazonPayInputFromEnv, parseAmazonPayConfig, parseAmazonPayTarget, type AmazonPayConfig } from '../amazonpay/config.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { maskUrlPassword } from '../config/redact-url.js';
import { temporalConnectionOptions } from '../daemon/temporal-connection.js';
import { createDb } from '../db/client.js';
import { EMBEDDED_POSTGRES_PASSWORD } from '../devstack/embedded-postgres.js';
import { readSandboxCredentials, simulatorAmazonPay } from '../devstack/sandbox-credentials.js';
import { createBillingClient, type BillingClient } from './index.js';
import type { BillingClientDeps } from './deps.js';
import { UpstreamError } from './errors.js';

export interface ConnectedBillingClient {
  readonly client: BillingClient;
  readonly deps: BillingClientDeps;
  readonly config: Config;
  /** The database connection itself, for LISTEN (`billing events listen`). */
  readonly sql: postgres.Sql;
  /** Where the settings point: shown by the CLI, never with passwords or keys. */
  readonly endpoints: { database: string; temporal: string; namespace: string; amazonPay: string; simulator: boolean };
  close(): Promise<void>;
}

/** The dev stack's embedded PostgreSQL (devstack/embedded-postgres.ts), used when DATABASE_URL is unset. */
export function devDatabaseUrl(env: NodeJS.ProcessEnv): string {
  return `postgres://billing:${EMBEDDED_POSTGRES_PASSWORD}@127.0.0.1:${env.BILLING_PG_PORT || '54329'}/billing`;
}

/**
 * Where the Amazon Pay settings point (environment, region, endpoint), read without any key, so
 * work that calls no Amazon Pay API — a schedule preview, a database read — runs on a fresh
 * checkout: AMAZON_PAY_* when set, else the dev stack's simulator (sandbox, na, SANDBOX_PORT).
 */
export function amazonPayTarget(env: NodeJS.ProcessEnv): Pick<AmazonPayConfig, 'environment' | 'region'> & { endpoint: string; simulator: boolean } {
  const input = amazonPayInputFromEnv(env);
  if (Object.keys(input).length === 0) return { environment: 'sandbox', region: 'na', endpoint: simulatorEndpoint(env), simulator: true };
  const target = parseAmazonPayTarget(input);
  return { ...target, endpoint: target.endpoint ?? `Amazon Pay ${target.region} (${target.environment})`, simulator: false };
}

const simulatorEndpoint = (env: NodeJS.ProcessEnv): string => `http://127.0.0.1:${env.SANDBOX_PORT || '4010'}`;

/** The full settings, keys included: asked for only when an Amazon Pay API is called. */
function amazonPaySettings(config: Config, env: NodeJS.ProcessEnv): AmazonPayConfig {
  if (Object.keys(config.amazonPayEnv).length > 0) return parseAmazonPayConfig(amazonPayInputFromEnv(config.amazonPayEnv));
  const dir = join(config.dataDir, 'sandbox');
  const credentials = readSandboxCredentials(dir);
  if (!credentials) {
    throw new ConfigError('the sandbox', [
      `no AMAZON_PAY_* credentials and no sandbox key in ${dir}: start the dev stack (\`npm run dev\`) once, or set AMAZON_PAY_* for a real Amazon Pay account`,
    ]);
  }
  return simulatorAmazonPay(credentials, simulatorEndpoint(env));
}

export async function connectBillingClient(options: { env?: NodeJS.ProcessEnv; projectRoot?: string; now?: () => Date } = {}): Promise<ConnectedBillingClient> {
  const env = options.env ?? process.env;
  const config = loadConfig(env, options.projectRoot ?? process.cwd());
  const target = amazonPayTarget(env);
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
      throw new UpstreamError(
        `Cannot reach Temporal at ${temporalAddress}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)} (is the dev stack or your Temporal cluster running?)`,
        true,
      );
    });
    return new Client({ connection: await connection, namespace });
  };
  const deps: BillingClientDeps = {
    db: database.db,
    temporal,
    amazonPay: () => (amazonPay ??= createAmazonPayClient(amazonPaySettings(config, env))),
    environment: target.environment,
    region: target.region,
    taskQueues: config.temporal.taskQueues,
    policy: config.billing.policy,
    now: options.now ?? (() => new Date()),
  };
  return {
    client: createBillingClient(deps),
    deps,
    config,
    sql: database.sql,
    endpoints: {
      database: maskUrlPassword(databaseUrl),
      temporal: temporalAddress,
      namespace,
      amazonPay: target.endpoint,
      simulator: target.simulator,
    },
    async close() {
      amazonPay?.close();
      if (connection) await (await connection.catch(() => undefined))?.close();
      await database.close();
    },
  };
}
