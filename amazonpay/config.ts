// Credentials and connection settings for the Amazon Pay client. Takes a plain object
// (parsed YAML, or AMAZON_PAY_* variables via amazonPayInputFromEnv) and returns a frozen
// config, or throws one ConfigError listing every bad key. Never reads process.env itself.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, showValue } from '../config/errors.js';
import { maskUrlPassword } from '../config/redact-url.js';
import { PrivateKeyError, RedactedPrivateKey } from './private-key.js';
import { SIGNING_ALGORITHMS } from './signing.js';
import type { SigningAlgorithm } from './signing.js';

export type AmazonPayRegion = 'na' | 'eu' | 'jp';
export type AmazonPayEnvironment = 'sandbox' | 'live';

export interface AmazonPayConfig {
  /** As given, e.g. "SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B" or "AFVX7ULWSGBZ5535PCUQOY7B". */
  readonly publicKeyId: string;
  /** True for LIVE-/SANDBOX- keys: those use `/v2/...` paths, plain keys `/{env}/v2/...`. */
  readonly envSpecificKey: boolean;
  readonly privateKey: RedactedPrivateKey;
  readonly region: AmazonPayRegion;
  readonly environment: AmazonPayEnvironment;
  /** Base URL override such as "http://127.0.0.1:4010" (no path); null: the region's host. */
  readonly endpoint: string | null;
  readonly merchantId: string | null;
  /**
   * The Store ID from Seller Central ("amzn1.application-oa2-client.…"): the `storeId` of every
   * Checkout Session the daemon builds (POST /v1/checkout-sessions); null: checkout is not set up.
   */
  readonly storeId: string | null;
  readonly timeoutMs: number;
  readonly algorithm: SigningAlgorithm;
}

const CONFIG_SOURCE = 'the Amazon Pay settings';

const REGION_ALIASES: Readonly<Record<string, AmazonPayRegion>> = {
  na: 'na',
  us: 'na',
  eu: 'eu',
  de: 'eu',
  uk: 'eu',
  jp: 'jp',
};

// Public Key ID as the Amazon Pay Magento 2 plugin's admin validation checks it: optional
// LIVE-/SANDBOX- prefix, 24 × [0-9A-Z].
const PUBLIC_KEY_ID = /^(LIVE-|SANDBOX-)?[0-9A-Z]{24}$/;
// Store ID as Checkout Sessions carry it (amazon-pay-checkout reference §2.1: "amzn1.application-oa2-client.…").
const STORE_ID = /^amzn1\.application-oa2-client\.[A-Za-z0-9]{1,64}$/;

const KNOWN_KEYS = [
  'publicKeyId',
  'privateKeyPath',
  'privateKey',
  'region',
  'environment',
  'endpoint',
  'merchantId',
  'storeId',
  'timeoutMs',
  'algorithm',
] as const;
type InputKey = (typeof KNOWN_KEYS)[number];

/** Which AMAZON_PAY_* variable feeds which key; the names appear in docs/amazon-pay-client.md. */
export const AMAZON_PAY_ENV_VARS: Readonly<Record<string, InputKey>> = Object.freeze({
  AMAZON_PAY_PUBLIC_KEY_ID: 'publicKeyId',
  AMAZON_PAY_PRIVATE_KEY_PATH: 'privateKeyPath',
  AMAZON_PAY_PRIVATE_KEY: 'privateKey',
  AMAZON_PAY_REGION: 'region',
  AMAZON_PAY_ENVIRONMENT: 'environment',
  AMAZON_PAY_ENDPOINT: 'endpoint',
  AMAZON_PAY_MERCHANT_ID: 'merchantId',
  AMAZON_PAY_STORE_ID: 'storeId',
  AMAZON_PAY_TIMEOUT_MS: 'timeoutMs',
  AMAZON_PAY_ALGORITHM: 'algorithm',
});

/** Maps AMAZON_PAY_* variables to loader keys; unknown AMAZON_PAY_* names are passed through so the loader reports them. */
export function amazonPayInputFromEnv(env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('AMAZON_PAY_') || value === undefined || value === '') continue;
    const key = AMAZON_PAY_ENV_VARS[name];
    // A PEM in a single-line variable usually arrives with literal "\n" sequences.
    input[key ?? name] = key === 'privateKey' ? value.replace(/\\n/g, '\n') : value;
  }
  return input;
}

// One schema per key, so every key is checked even when another one is broken.
const fieldSchemas = {
  publicKeyId: z
    .string({ error: 'a string' })
    .trim()
    .regex(PUBLIC_KEY_ID, { error: 'a Public Key ID: "LIVE-" or "SANDBOX-" followed by 24 characters 0-9A-Z, or just the 24 characters' }),
  privateKeyPath: z.string({ error: 'a file path string' }).trim().min(1, { error: 'a non-empty file path' }),
  privateKey: z.string({ error: 'PEM text' }).min(1, { error: 'non-empty PEM text' }),
  region: z
    .string({ error: 'a region string' })
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(Object.keys(REGION_ALIASES) as [string, ...string[]], { error: 'one of na, eu, jp (aliases: us→na, de/uk→eu)' }))
    .transform((v) => REGION_ALIASES[v] as AmazonPayRegion),
  environment: z
    .string({ error: 'sandbox or live' })
    .transform((v) => v.trim().toLowerCase())
    .pipe(z.enum(['sandbox', 'live'], { error: 'sandbox or live' })),
  endpoint: z.string({ error: 'a base URL string' }).trim(),
  merchantId: z
    .string({ error: 'a merchant ID string' })
    .trim()
    .regex(/^[0-9A-Z]{8,32}$/, { error: 'a merchant ID of 8-32 characters 0-9A-Z, e.g. A1O8CIV1A24A6X' }),
  storeId: z
    .string({ error: 'a Store ID string' })
    .trim()
    .regex(STORE_ID, { error: 'a Store ID: "amzn1.application-oa2-client." followed by its letters and digits (Seller Central, Integration Central)' }),
  timeoutMs: z.coerce
    .number({ error: 'an integer number of milliseconds between 100 and 120000' })
    .int({ error: 'an integer number of milliseconds between 100 and 120000' })
    .min(100, { error: 'an integer number of milliseconds between 100 and 120000' })
    .max(120_000, { error: 'an integer number of milliseconds between 100 and 120000' }),
  algorithm: z.enum(SIGNING_ALGORITHMS as [SigningAlgorithm, ...SigningAlgorithm[]], {
    error: `one of ${SIGNING_ALGORITHMS.join(', ')}`,
  }),
} satisfies Record<InputKey, z.ZodType>;

type Parsed = { [K in InputKey]?: z.output<(typeof fieldSchemas)[K]> };

/** Validates `input` and returns a frozen AmazonPayConfig; throws ConfigError naming every bad key. */
export function parseAmazonPayConfig(input: Readonly<Record<string, unknown>>): AmazonPayConfig {
  const problems: string[] = [];
  const unknown = Object.keys(input).filter((key) => !(KNOWN_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    problems.push(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} (accepted: ${KNOWN_KEYS.join(', ')})`);
  }

  const parsed = parseFields(input, KNOWN_KEYS, problems);
  if (input.publicKeyId === undefined) problems.push(`publicKeyId: found nothing, expected the Public Key ID from Seller Central`);
  if (input.region === undefined) problems.push(`region: found nothing, expected one of na, eu, jp (aliases: us→na, de/uk→eu)`);

  const environment = resolveEnvironment(parsed, input, problems);
  const endpoint = parsed.endpoint === undefined ? null : parseEndpoint(parsed.endpoint, problems);
  const privateKey = loadPrivateKey(input, parsed, problems);

  if (problems.length > 0 || parsed.publicKeyId === undefined || parsed.region === undefined || environment === undefined || privateKey === undefined) {
    throw new ConfigError(CONFIG_SOURCE, problems);
  }
  return Object.freeze({
    publicKeyId: parsed.publicKeyId,
    envSpecificKey: keyEnvironment(parsed.publicKeyId) !== undefined,
    privateKey,
    region: parsed.region,
    environment,
    endpoint,
    merchantId: parsed.merchantId ?? null,
    storeId: parsed.storeId ?? null,
    timeoutMs: parsed.timeoutMs ?? 10_000,
    algorithm: parsed.algorithm ?? 'AMZN-PAY-RSASSA-PSS-V2',
  });
}

/** The given `keys` of `input` that pass their schema; a problem naming the key for each that does not. */
function parseFields(input: Readonly<Record<string, unknown>>, keys: readonly InputKey[], problems: string[]): Parsed {
  const parsed: Parsed = {};
  for (const key of keys) {
    if (input[key] === undefined) continue;
    const result = fieldSchemas[key].safeParse(input[key]);
    if (result.success) (parsed as Record<string, unknown>)[key] = result.data;
    else
      problems.push(
        `${key}: found ${key === 'privateKey' ? '[redacted]' : showValue(input[key])}, expected ${result.error.issues[0]?.message ?? 'a valid value'}`,
      );
  }
  return parsed;
}

/**
 * Where the settings point — environment (from the Public Key ID's LIVE-/SANDBOX- prefix or
 * `environment`), region (default na) and endpoint (null: the region's host) — without loading the private key or checking the other
 * keys: for work that needs no call to Amazon Pay (a schedule preview, a database read). Throws
 * ConfigError naming those keys when they are bad, disagree or leave the environment open.
 */
export function parseAmazonPayTarget(input: Readonly<Record<string, unknown>>): Pick<AmazonPayConfig, 'environment' | 'region' | 'endpoint'> {
  const problems: string[] = [];
  const parsed = parseFields(input, ['publicKeyId', 'environment', 'region', 'endpoint'], problems);
  const environment = resolveEnvironment(parsed, input, problems);
  const endpoint = parsed.endpoint === undefined ? null : parseEndpoint(parsed.endpoint, problems);
  if (environment === undefined && input.environment === undefined && input.publicKeyId === undefined)
    problems.push('environment: found nothing, expected sandbox or live (or a publicKeyId starting with LIVE- or SANDBOX-)');
  if (problems.length > 0 || environment === undefined) throw new ConfigError(CONFIG_SOURCE, problems);
  return { environment, region: parsed.region ?? 'na', endpoint };
}

function keyEnvironment(publicKeyId: string): AmazonPayEnvironment | undefined {
  if (publicKeyId.startsWith('SANDBOX-')) return 'sandbox';
  if (publicKeyId.startsWith('LIVE-')) return 'live';
  return undefined;
}

// An env-specific key decides the environment on Amazon's side, so an explicit setting that
// disagrees is a mistake we refuse rather than guess about. A plain key has no default: silently
// choosing live (real money) or sandbox (no money) would both be wrong somewhere.
function resolveEnvironment(parsed: Parsed, input: Readonly<Record<string, unknown>>, problems: string[]): AmazonPayEnvironment | undefined {
  const fromKey = parsed.publicKeyId === undefined ? undefined : keyEnvironment(parsed.publicKeyId);
  if (fromKey !== undefined && parsed.environment !== undefined && parsed.environment !== fromKey) {
    problems.push(
      `environment: found ${showValue(input.environment)}, expected ${fromKey} (or nothing) because publicKeyId starts with ${fromKey === 'live' ? 'LIVE-' : 'SANDBOX-'}`,
    );
    return undefined;
  }
  const environment = fromKey ?? parsed.environment;
  if (environment === undefined && parsed.publicKeyId !== undefined && input.environment === undefined) {
    problems.push('environment: found nothing, expected sandbox or live (required when publicKeyId has no LIVE-/SANDBOX- prefix)');
  }
  return environment;
}

function parseEndpoint(raw: string, problems: string[]): string | null {
  const expected = 'a base URL like "http://127.0.0.1:4010" or "https://pay-api.example" (http or https, no path, query or credentials)';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`endpoint: found ${showValue(maskUrlPassword(raw))}, expected ${expected}`);
    return null;
  }
  const pathless = url.pathname === '/' && url.search === '' && url.hash === '';
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !pathless || url.username !== '' || url.password !== '') {
    // Credentials in the URL would end up in logs; a base path would silently change the signed URI.
    problems.push(
      `endpoint: found ${showValue(url.protocol === 'http:' || url.protocol === 'https:' ? `${url.protocol}//${url.host}${url.pathname}` : maskUrlPassword(raw))}, expected ${expected}`,
    );
    return null;
  }
  return url.origin;
}

function loadPrivateKey(input: Readonly<Record<string, unknown>>, parsed: Parsed, problems: string[]): RedactedPrivateKey | undefined {
  const accepted = 'exactly one of privateKeyPath (a PEM file) or privateKey (PEM text, e.g. from AMAZON_PAY_PRIVATE_KEY)';
  if (input.privateKeyPath !== undefined && input.privateKey !== undefined) {
    problems.push(`privateKeyPath and privateKey: found both, expected ${accepted}`);
    return undefined;
  }
  if (input.privateKeyPath === undefined && input.privateKey === undefined) {
    problems.push(`privateKeyPath / privateKey: found nothing, expected ${accepted}`);
    return undefined;
  }
  try {
    if (parsed.privateKeyPath !== undefined) {
      let pem: string;
      try {
        pem = readFileSync(parsed.privateKeyPath, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'read error';
        problems.push(`privateKeyPath: found ${showValue(parsed.privateKeyPath)}, which cannot be read (${code}); expected a readable PEM file`);
        return undefined;
      }
      return RedactedPrivateKey.fromPem(pem, `privateKeyPath file ${showValue(parsed.privateKeyPath)}`);
    }
    if (parsed.privateKey !== undefined) return RedactedPrivateKey.fromPem(parsed.privateKey, 'privateKey');
  } catch (err) {
    if (err instanceof PrivateKeyError) problems.push(err.message);
    else throw err;
  }
  return undefined;
}
