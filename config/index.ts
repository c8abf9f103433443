import { resolve } from 'node:path';
import { ConfigError, showValue } from './errors.js';
import { describeUrlScheme } from './redact-url.js';
import { readBillingYaml, type BillingConfig } from './billing.js';
import { applyTemporalEnv, readTemporalYaml, type TemporalConfig } from './temporal.js';

export { ConfigError } from './errors.js';
export type { TemporalConfig } from './temporal.js';
export type { BillingConfig } from './billing.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Config {
  readonly projectRoot: string;
  /** Where the embedded services keep their data between runs. */
  readonly dataDir: string;
  readonly temporal: TemporalConfig;
  /** billing.yaml: billing policy, IPN endpoint, housekeeping, operations port. */
  readonly billing: BillingConfig;
  readonly database: {
    /** null: the dev command starts an embedded PostgreSQL in dataDir/postgres. */
    readonly url: string | null;
    readonly poolSize: number;
  };
  readonly logLevel: LogLevel;
  /** Raw AMAZON_PAY_* variables; amazonpay/config.ts validates them. Empty: the simulator stands in. */
  readonly amazonPayEnv: Readonly<Record<string, string>>;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/**
 * The only reader of process.env and temporal.yaml. Runs once per entry point; the frozen
 * result is passed down. Every problem is collected into one ConfigError.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, projectRoot = process.cwd()): Config {
  const problems: string[] = [];
  const yamlPath = resolve(projectRoot, env.BILLING_TEMPORAL_CONFIG ?? 'temporal.yaml');
  const temporal = applyTemporalEnv(readTemporalYaml(yamlPath), env);
  const billing = readBillingYaml(resolve(projectRoot, env.BILLING_CONFIG ?? 'billing.yaml'));

  const databaseUrl = env.DATABASE_URL?.trim() ? env.DATABASE_URL.trim() : null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push(`DATABASE_URL: expected a postgres:// or postgresql:// URL, found ${describeUrlScheme(databaseUrl)}`);
  }
  const poolSize = parseIntegerEnv(env, 'DATABASE_POOL_SIZE', 10, 1, 200, problems);

  const logLevel = (env.LOG_LEVEL ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: found ${showValue(env.LOG_LEVEL)}, expected one of ${LOG_LEVELS.join(', ')}`);

  const amazonPayEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('AMAZON_PAY_') && value !== undefined && value !== '') amazonPayEnv[key] = value;
  }

  if (problems.length > 0) throw new ConfigError('the environment', problems);
  return Object.freeze({
    projectRoot,
    dataDir: resolve(projectRoot, env.BILLING_DATA_DIR ?? '.data'),
    temporal,
    billing,
    database: Object.freeze({ url: databaseUrl, poolSize }),
    logLevel,
    amazonPayEnv: Object.freeze(amazonPayEnv),
  });
}

function parseIntegerEnv(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${key}: found ${showValue(raw)}, expected a whole number from ${min} to ${max}`);
    return fallback;
  }
  return value;
}
