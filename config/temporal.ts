import { z } from 'zod';
import { maskUrlPassword } from './redact-url.js';
import { ConfigError, showValue } from './errors.js';
import { parseYamlSettings, readSettingsFile } from './yaml-file.js';

/**
 * temporal.yaml: the Temporal side of the daemon's configuration. Neither the SDK nor the
 * CLI reads this file; we do, once, here. Temporal's usual environment variables override
 * it (see applyTemporalEnv).
 */

const port = z
  .number({ error: 'a port number 1-65535' })
  .int('a whole port number 1-65535')
  .min(1, 'a port number 1-65535')
  .max(65535, 'a port number 1-65535');
const positiveInt = (what: string) =>
  z
    .number({ error: `${what} (a whole number ≥ 1)` })
    .int(`${what} (a whole number ≥ 1)`)
    .min(1, `${what} (a whole number ≥ 1)`);
const name = (what: string) =>
  z
    .string({ error: `${what} (text)` })
    .min(1, `${what} (non-empty text)`)
    .max(200, `${what} (at most 200 characters)`);
const searchAttributeType = z.enum(['Keyword', 'Text', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'], {
  error: 'one of Keyword, Text, Int, Double, Bool, Datetime, KeywordList',
});

const tlsSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'true or false' }).default(false),
    serverName: z.string({ error: 'a host name' }).optional(),
    serverRootCaCertPath: z.string({ error: 'a file path' }).optional(),
    clientCertPath: z.string({ error: 'a file path' }).optional(),
    clientKeyPath: z.string({ error: 'a file path' }).optional(),
  })
  .default({ enabled: false });

const temporalFileSchema = z.strictObject({
  connection: z
    .strictObject({
      address: z
        .string({ error: 'host:port of a Temporal frontend, or null to start the embedded dev server' })
        .regex(/^[^\s:@/]+:\d{1,5}$/, 'host:port, e.g. "temporal.internal:7233"')
        .nullable()
        .default(null),
      namespace: name('a namespace name').default('default'),
      apiKey: z.string({ error: 'an API key (better given as TEMPORAL_API_KEY)' }).nullable().default(null),
      tls: tlsSchema,
    })
    .default({ address: null, namespace: 'default', apiKey: null, tls: { enabled: false } }),
  taskQueues: z
    .strictObject({
      workflows: name('a task queue name').default('billing'),
      charges: name('a task queue name').default('billing-charges'),
      amazonReads: name('a task queue name').default('billing-amazon-reads'),
    })
    .default({ workflows: 'billing', charges: 'billing-charges', amazonReads: 'billing-amazon-reads' }),
  worker: z
    .strictObject({
      maxCachedWorkflows: z
        .number({ error: 'a whole number: 0, or 2 and above' })
        .int('a whole number')
        .refine((n) => n === 0 || n >= 2, 'a whole number: 0, or 2 and above')
        .default(500),
      maxConcurrentWorkflowTaskExecutions: positiveInt('workflow task slots').default(40),
      maxConcurrentActivityTaskExecutions: positiveInt('activity task slots').default(100),
      shutdownGraceTimeMs: z.number({ error: 'milliseconds (a whole number ≥ 0)' }).int().min(0, 'milliseconds ≥ 0').default(10_000),
      stickyQueueScheduleToStartTimeoutMs: z.number({ error: 'milliseconds (a whole number ≥ 1000)' }).int().min(1000, 'milliseconds ≥ 1000').default(10_000),
    })
    .default({
      maxCachedWorkflows: 500,
      maxConcurrentWorkflowTaskExecutions: 40,
      maxConcurrentActivityTaskExecutions: 100,
      shutdownGraceTimeMs: 10_000,
      stickyQueueScheduleToStartTimeoutMs: 10_000,
    }),
  rateLimits: z
    .strictObject({
      // Enforced by the Temporal server for the whole task queue (maxTaskQueueActivitiesPerSecond),
      // so every worker replica together stays under Amazon Pay's restore rate.
      createChargePerSecond: z.number({ error: 'calls per second (a number > 0)' }).positive('calls per second (a number > 0)').default(4),
      amazonReadsPerSecond: z.number({ error: 'calls per second (a number > 0)' }).positive('calls per second (a number > 0)').default(4),
    })
    .default({ createChargePerSecond: 4, amazonReadsPerSecond: 4 }),
  devServer: z
    .strictObject({
      dbFile: z.string({ error: 'a file path for the SQLite database' }).min(1).default('.data/temporal/temporal.sqlite'),
      ip: z.string({ error: 'an IP address to bind' }).default('127.0.0.1'),
      port: port.default(7233),
      uiPort: port.nullable().default(8233),
      logLevel: z.enum(['debug', 'info', 'warn', 'error', 'never'], { error: 'one of debug, info, warn, error, never' }).default('warn'),
      searchAttributes: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'a search attribute name'), searchAttributeType).default({}),
      dynamicConfig: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: 'a string, number or boolean' })).default({}),
    })
    .default({
      dbFile: '.data/temporal/temporal.sqlite',
      ip: '127.0.0.1',
      port: 7233,
      uiPort: 8233,
      logLevel: 'warn',
      searchAttributes: {},
      dynamicConfig: {},
    }),
  /** The Temporal Web UI (e.g. https://cloud.temporal.io or your self-hosted UI) for the dashboard's workflow links; null: the dev server's UI when it is embedded, else no links. */
  webUiUrl: z
    .string({ error: 'an http(s) URL of the Temporal Web UI' })
    .regex(/^https?:\/\/[^\s]+$/, 'an http(s) URL, e.g. "https://temporal-ui.internal"')
    .nullable()
    .default(null),
});

export type TemporalFileConfig = z.infer<typeof temporalFileSchema>;
export type SearchAttributeTypeName = z.infer<typeof searchAttributeType>;

export interface TemporalConfig extends TemporalFileConfig {
  /** True when no address is configured anywhere: the dev command starts its own server. */
  readonly embedded: boolean;
}

/** Where the dashboard links a workflow: temporal.yaml webUiUrl, else the embedded dev server's UI, else none. */
export function temporalWebUi(config: TemporalConfig): { url: string; namespace: string } | null {
  const namespace = config.connection.namespace;
  if (config.webUiUrl) return { url: config.webUiUrl, namespace };
  if (config.embedded && config.devServer.uiPort !== null) return { url: `http://${config.devServer.ip}:${config.devServer.uiPort}`, namespace };
  return null;
}

/** Reads and validates a temporal.yaml; throws ConfigError with one line per bad key. */
export function parseTemporalYaml(text: string, source: string): TemporalFileConfig {
  return parseYamlSettings(temporalFileSchema, text, source, new Set(['apiKey']));
}

export function readTemporalYaml(path: string): TemporalFileConfig {
  return parseTemporalYaml(readSettingsFile(path), path);
}

/** Settings that mean TLS: any of them turns it on (TEMPORAL_TLS=false with one set is refused). */
const TLS_SETTINGS = ['serverName', 'serverRootCaCertPath', 'clientCertPath', 'clientKeyPath'] as const;

/**
 * Temporal's usual environment variables win over the file (envconfig conventions):
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY (which turns TLS on),
 * TEMPORAL_TLS, TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS_SERVER_CA_CERT_PATH,
 * TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH (any TLS setting turns TLS on).
 */
export function applyTemporalEnv(file: TemporalFileConfig, env: NodeJS.ProcessEnv): TemporalConfig {
  const problems: string[] = [];
  const connection = { ...file.connection, tls: { ...file.connection.tls } };
  if (env.TEMPORAL_ADDRESS !== undefined && env.TEMPORAL_ADDRESS !== '') {
    // A host has no '@': "user:password@host:port" would otherwise be echoed back, password and all.
    if (!/^[^\s:@/]+:\d{1,5}$/.test(env.TEMPORAL_ADDRESS))
      problems.push(`TEMPORAL_ADDRESS: found ${showValue(maskUrlPassword(env.TEMPORAL_ADDRESS))}, expected host:port (credentials go in TEMPORAL_API_KEY)`);
    connection.address = env.TEMPORAL_ADDRESS;
  }
  if (env.TEMPORAL_NAMESPACE) connection.namespace = env.TEMPORAL_NAMESPACE;
  if (env.TEMPORAL_API_KEY) {
    connection.apiKey = env.TEMPORAL_API_KEY;
    connection.tls.enabled = true;
  }
  if (env.TEMPORAL_TLS !== undefined && env.TEMPORAL_TLS !== '') {
    const flag = env.TEMPORAL_TLS.toLowerCase();
    if (!['true', 'false', '1', '0'].includes(flag)) problems.push(`TEMPORAL_TLS: found ${showValue(env.TEMPORAL_TLS)}, expected true or false`);
    connection.tls.enabled = flag === 'true' || flag === '1';
  }
  if (env.TEMPORAL_TLS_SERVER_NAME) connection.tls.serverName = env.TEMPORAL_TLS_SERVER_NAME;
  if (env.TEMPORAL_TLS_SERVER_CA_CERT_PATH) connection.tls.serverRootCaCertPath = env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
  if (env.TEMPORAL_TLS_CLIENT_CERT_PATH) connection.tls.clientCertPath = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  if (env.TEMPORAL_TLS_CLIENT_KEY_PATH) connection.tls.clientKeyPath = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if (Boolean(connection.tls.clientCertPath) !== Boolean(connection.tls.clientKeyPath)) {
    problems.push('connection.tls: clientCertPath and clientKeyPath must be given together (mTLS needs both)');
  }
  // A TLS setting turns TLS on, as an API key does: a client certificate given without
  // TEMPORAL_TLS=true was otherwise ignored and the daemon connected in plain text.
  const tlsSettings = TLS_SETTINGS.filter((k) => connection.tls[k]);
  if (tlsSettings.length > 0 && !connection.tls.enabled) {
    if (env.TEMPORAL_TLS !== undefined && env.TEMPORAL_TLS !== '')
      problems.push(
        `TEMPORAL_TLS: found ${showValue(env.TEMPORAL_TLS)} while connection.tls ${tlsSettings.join(', ')} ${tlsSettings.length === 1 ? 'is' : 'are'} set (TEMPORAL_TLS_*): they need TLS; set TEMPORAL_TLS=true or remove them`,
      );
    else connection.tls.enabled = true;
  }
  if (problems.length > 0) throw new ConfigError('the environment', problems);
  return Object.freeze({ ...file, connection, embedded: connection.address === null });
}
