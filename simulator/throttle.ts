// Token buckets per (operation, merchant key) with Amazon's documented quotas (Amazon Pay API v2
// throttling quotas). A bucket starts full at `burst` and refills at `ratePerSecond`; time comes
// from the injected clock.

export type OperationName =
  | 'createCharge'
  | 'getCharge'
  | 'captureCharge'
  | 'cancelCharge'
  | 'getChargePermission'
  | 'updateChargePermission'
  | 'closeChargePermission'
  | 'createRefund'
  | 'getRefund'
  | 'createCheckoutSession'
  | 'getCheckoutSession'
  | 'updateCheckoutSession'
  | 'completeCheckoutSession';

export interface BucketSpec {
  burst: number;
  ratePerSecond: number;
}

export type ThrottleTableName = 'sandbox' | 'live' | 'off';

export interface ThrottleConfig {
  table: ThrottleTableName;
  overrides: Partial<Record<OperationName, BucketSpec>>;
}

export const THROTTLE_TABLES: Readonly<Record<'sandbox' | 'live', Readonly<Record<OperationName, BucketSpec>>>> = {
  live: {
    createCharge: { burst: 10, ratePerSecond: 4 },
    getCharge: { burst: 20, ratePerSecond: 4 },
    captureCharge: { burst: 20, ratePerSecond: 4 },
    cancelCharge: { burst: 10, ratePerSecond: 2 },
    getChargePermission: { burst: 20, ratePerSecond: 4 },
    updateChargePermission: { burst: 10, ratePerSecond: 2 },
    closeChargePermission: { burst: 10, ratePerSecond: 2 },
    createRefund: { burst: 10, ratePerSecond: 4 },
    getRefund: { burst: 20, ratePerSecond: 4 },
    createCheckoutSession: { burst: 40, ratePerSecond: 16 },
    getCheckoutSession: { burst: 40, ratePerSecond: 8 },
    updateCheckoutSession: { burst: 20, ratePerSecond: 8 },
    completeCheckoutSession: { burst: 20, ratePerSecond: 4 },
  },
  sandbox: {
    createCharge: { burst: 2, ratePerSecond: 1 },
    getCharge: { burst: 5, ratePerSecond: 1 },
    captureCharge: { burst: 2, ratePerSecond: 1 },
    cancelCharge: { burst: 2, ratePerSecond: 1 },
    getChargePermission: { burst: 10, ratePerSecond: 1 },
    updateChargePermission: { burst: 5, ratePerSecond: 1 },
    closeChargePermission: { burst: 2, ratePerSecond: 1 },
    createRefund: { burst: 2, ratePerSecond: 1 },
    getRefund: { burst: 5, ratePerSecond: 1 },
    createCheckoutSession: { burst: 5, ratePerSecond: 1 },
    getCheckoutSession: { burst: 10, ratePerSecond: 1 },
    updateCheckoutSession: { burst: 5, ratePerSecond: 1 },
    completeCheckoutSession: { burst: 2, ratePerSecond: 1 },
  },
};

export const OPERATION_NAMES = Object.keys(THROTTLE_TABLES.live) as OperationName[];

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

export class Throttle {
  private config: ThrottleConfig;
  private readonly buckets = new Map<string, Bucket>();

  constructor(config: ThrottleConfig) {
    this.config = config;
  }

  configure(config: ThrottleConfig): void {
    this.config = config;
    this.buckets.clear();
  }

  getConfig(): ThrottleConfig {
    return this.config;
  }

  private spec(operation: OperationName): BucketSpec | undefined {
    const override = this.config.overrides[operation];
    if (override) return override;
    if (this.config.table === 'off') return undefined;
    return THROTTLE_TABLES[this.config.table][operation];
  }

  /** Takes one token; false means the request must get 429 and nothing else may happen. */
  tryTake(operation: OperationName, merchantKey: string, nowMs: number): boolean {
    const spec = this.spec(operation);
    if (!spec) return true;
    const id = `${operation}|${merchantKey}`;
    const bucket = this.buckets.get(id) ?? { tokens: spec.burst, updatedAtMs: nowMs };
    const elapsedSeconds = Math.max(0, nowMs - bucket.updatedAtMs) / 1000;
    bucket.tokens = Math.min(spec.burst, bucket.tokens + elapsedSeconds * spec.ratePerSecond);
    bucket.updatedAtMs = nowMs;
    this.buckets.set(id, bucket);
    // A small epsilon absorbs float error from fractional refills (e.g. 3 × 1/3 s).
    if (bucket.tokens + 1e-9 < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

export function validateThrottleConfig(input: unknown): ThrottleConfig {
  if (typeof input !== 'object' || input === null) throw new Error('throttle must be an object { table, overrides }');
  const { table = 'sandbox', overrides = {} } = input as { table?: unknown; overrides?: unknown };
  if (table !== 'sandbox' && table !== 'live' && table !== 'off') {
    throw new Error(`throttle.table must be one of sandbox, live, off; got ${JSON.stringify(table)}`);
  }
  if (typeof overrides !== 'object' || overrides === null) throw new Error('throttle.overrides must be an object');
  const result: Partial<Record<OperationName, BucketSpec>> = {};
  for (const [name, spec] of Object.entries(overrides)) {
    if (!OPERATION_NAMES.includes(name as OperationName)) {
      throw new Error(`throttle.overrides.${name} is not an operation; accepted: ${OPERATION_NAMES.join(', ')}`);
    }
    const { burst, ratePerSecond } = (spec ?? {}) as { burst?: unknown; ratePerSecond?: unknown };
    if (typeof burst !== 'number' || !(burst >= 1) || typeof ratePerSecond !== 'number' || !(ratePerSecond >= 0)) {
      throw new Error(`throttle.overrides.${name} needs { burst: number ≥ 1, ratePerSecond: number ≥ 0 }`);
    }
    result[name as OperationName] = { burst, ratePerSecond };
  }
  return { table, overrides: result };
}
