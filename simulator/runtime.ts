// Everything the HTTP handlers share for one running simulator.
import type { KeyObject } from 'node:crypto';
import { toPublicKey } from './signature.js';
import { KeyedLock } from './idempotency.js';
import type { Engine } from './engine.js';
import type { FaultConfig } from './faults.js';
import type { InjectedError } from './injected-errors.js';
import type { Throttle } from './throttle.js';

export class SimulatorRuntime {
  readonly lock = new KeyedLock();
  private readonly keyCache = new Map<string, KeyObject>();
  /** Scripted error answers (PUT /__sim/injected-errors). */
  injectedErrors: InjectedError[] = [];
  /** Amazon Pay API requests received, by operation (GET /__sim/requests); Create Charge's own log is state.attempts. */
  readonly requestCounts = new Map<string, number>();

  constructor(
    readonly engine: Engine,
    readonly throttle: Throttle,
    public faults: FaultConfig,
    public requireSignature: boolean,
    readonly maxClockSkewMs: number,
    readonly maxFutureSkewMs: number,
  ) {}

  /** Registers (or replaces) a merchant public key; throws with a clear message on a bad PEM. */
  registerPublicKey(publicKeyId: string, pem: string): void {
    if (!/^((SANDBOX|LIVE)-)?[0-9A-Za-z_-]{1,64}$/.test(publicKeyId)) {
      throw new Error('publicKeyId must be letters, digits, - or _ (e.g. SANDBOX-AFVX7ULWSGBZ5535PCUQOY7B)');
    }
    let key: KeyObject;
    try {
      key = toPublicKey(pem);
    } catch {
      // Never echo the PEM: it may be a private key.
      throw new Error(`the key for ${publicKeyId} is not a PEM RSA public (or private) key`);
    }
    const publicPem = key.export({ type: 'spki', format: 'pem' }).toString();
    this.engine.state.publicKeys[publicKeyId] = publicPem;
    this.keyCache.set(publicKeyId, key);
    this.engine.save();
  }

  lookupPublicKey(publicKeyId: string): KeyObject | undefined {
    const cached = this.keyCache.get(publicKeyId);
    if (cached) return cached;
    const pem = this.engine.state.publicKeys[publicKeyId];
    if (!pem) return undefined;
    const key = toPublicKey(pem);
    this.keyCache.set(publicKeyId, key);
    return key;
  }

  forgetKeys(): void {
    this.keyCache.clear();
  }
}
