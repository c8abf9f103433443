// Fault injection for API requests. Rates are probabilities in [0, 1] drawn from the seeded PRNG.
// "responseLost" commits the operation (object and idempotency record saved) and then hides
// the answer from the client, which is what a daemon's retry-with-the-same-key must survive.

export type ResponseLostMode = 'status500' | 'status503' | 'reset';

export interface FaultConfig {
  /** 500 InternalServerError before processing. */
  error500Rate: number;
  /** 503 ServiceUnavailable before processing. */
  error503Rate: number;
  /** Socket destroyed before processing. */
  connectionResetRate: number;
  /** Operation committed, then the client gets a 500/503 or a destroyed socket. */
  responseLostRate: number;
  responseLostMode: ResponseLostMode;
  latencyFixedMs: number;
  latencyRandomMs: number;
}

export const NO_FAULTS: FaultConfig = {
  error500Rate: 0,
  error503Rate: 0,
  connectionResetRate: 0,
  responseLostRate: 0,
  responseLostMode: 'status500',
  latencyFixedMs: 0,
  latencyRandomMs: 0,
};

const RATE_FIELDS = ['error500Rate', 'error503Rate', 'connectionResetRate', 'responseLostRate'] as const;
const MS_FIELDS = ['latencyFixedMs', 'latencyRandomMs'] as const;
/** Latency is bounded so a misconfiguration cannot hang tests or close(). */
const MAX_LATENCY_MS = 60_000;

export function validateFaultConfig(input: unknown, base: FaultConfig = NO_FAULTS): FaultConfig {
  if (typeof input !== 'object' || input === null) throw new Error('faults must be an object');
  const result: FaultConfig = { ...base };
  for (const [key, value] of Object.entries(input)) {
    if ((RATE_FIELDS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error(`faults.${key} must be a number between 0 and 1`);
      result[key as (typeof RATE_FIELDS)[number]] = value;
    } else if ((MS_FIELDS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !(value >= 0 && value <= MAX_LATENCY_MS)) {
        throw new Error(`faults.${key} must be a number of milliseconds between 0 and ${MAX_LATENCY_MS}`);
      }
      result[key as (typeof MS_FIELDS)[number]] = value;
    } else if (key === 'responseLostMode') {
      if (value !== 'status500' && value !== 'status503' && value !== 'reset') {
        throw new Error('faults.responseLostMode must be one of status500, status503, reset');
      }
      result.responseLostMode = value;
    } else {
      throw new Error(`faults.${key} is not a fault setting; accepted: ${[...RATE_FIELDS, ...MS_FIELDS, 'responseLostMode'].join(', ')}`);
    }
  }
  return result;
}
