// The simulator's core: state, clock, persistence, IPN emission and the timers behind pending
// outcomes. HTTP handling lives in server.ts; business rules live in the ops-*.ts files.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { buildSignedEnvelope, type IpnObjectType } from './ipn-envelope.js';
import { DEFAULT_IPN_CONFIG, IpnDelivery, type IpnConfig } from './ipn-delivery.js';
import { loadState, saveState } from './persistence.js';
import type { Random } from './prng.js';
import type { MonthlyCaps } from './caps.js';
import type { SimulatorState } from './state.js';

export interface EngineOptions {
  clock: () => Date;
  merchantId: string;
  dataFile: string | undefined;
  monthlyCaps: MonthlyCaps;
  /** Delay before a pending authorization (AuthorizationInitiated/CaptureInitiated) resolves. */
  pendingDelayMs: number;
  /** Delay before a RefundInitiated refund becomes Refunded. */
  refundDelayMs: number;
  ipn: Partial<IpnConfig>;
  random: Random;
}

export class Engine {
  state: SimulatorState;
  /** Added to the injected clock by the control API's "advance clock". */
  clockOffsetMs = 0;
  baseUrl = '';
  readonly ipn: IpnDelivery;
  readonly signingKey: KeyObject;
  readonly signingPublicKeyPem: string;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private dueHandler: ((kind: 'charge' | 'refund', id: string) => void) | undefined;

  constructor(readonly options: EngineOptions) {
    this.state = loadState(options.dataFile);
    this.ipn = new IpnDelivery({ ...DEFAULT_IPN_CONFIG, ...options.ipn }, options.random, () => this.nowMs());
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.signingKey = privateKey;
    this.signingPublicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  now(): Date {
    return new Date(this.options.clock().getTime() + this.clockOffsetMs);
  }

  nowMs(): number {
    return this.now().getTime();
  }

  get random(): Random {
    return this.options.random;
  }

  /** Writes the data file (tmp + rename) when one is configured. Called after every change. */
  save(): void {
    if (this.options.dataFile) saveState(this.options.dataFile, this.state);
  }

  /** Emits one IPN for a state change; `synchronous` marks outcomes the API caller already saw. */
  emitIpn(objectType: IpnObjectType, objectId: string, chargePermissionId: string, synchronous: boolean): void {
    const config = this.ipn.getConfig();
    if (!config.url || (synchronous && config.suppressSynchronous)) return;
    this.ipn.enqueue(
      buildSignedEnvelope({
        merchantId: this.options.merchantId,
        objectType,
        objectId,
        chargePermissionId,
        now: this.now(),
        signingKey: this.signingKey,
        signingCertUrl: `${this.baseUrl}/__sim/ipn/signing-cert.pem`,
        unsubscribeBaseUrl: `${this.baseUrl}/__sim/ipn/unsubscribe`,
        topicArn: config.topicArn,
      }),
    );
  }

  onDue(handler: (kind: 'charge' | 'refund', id: string) => void): void {
    this.dueHandler = handler;
  }

  /** Arms a real timer for a pending object; delays are bounded by the configured values. */
  scheduleDue(kind: 'charge' | 'refund', id: string, atMs: number): void {
    this.cancelDue(kind, id);
    const delay = Math.max(0, Math.min(atMs - this.nowMs(), 2_147_000_000));
    const key = `${kind}:${id}`;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.dueHandler?.(kind, id);
    }, delay);
    this.timers.set(key, timer);
  }

  cancelDue(kind: 'charge' | 'refund', id: string): void {
    const key = `${kind}:${id}`;
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  /** Re-arms timers for objects still pending in a reloaded data file. */
  rearmPending(): void {
    for (const charge of Object.values(this.state.charges)) {
      if (charge.pendingResolveAt !== null) this.scheduleDue('charge', charge.chargeId, charge.pendingResolveAt);
    }
    for (const refund of Object.values(this.state.refunds)) {
      if (refund.resolveAt !== null) this.scheduleDue('refund', refund.refundId, refund.resolveAt);
    }
  }

  clearTimers(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  close(): void {
    this.clearTimers();
    this.ipn.close();
    this.save();
  }
}
