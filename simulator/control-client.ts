// Typed wrapper for the simulator's control API (/__sim/…), for tests, benchmarks and demos.
// Routes (JSON in, JSON out, no signing):
//   GET  /__sim/health                                  → { ok, now }
//   POST /__sim/keys { publicKeyId, publicKeyPem }      → { publicKeyId }
//   POST /__sim/charge-permissions {type,currency,…}    → { chargePermission, firstChargeId }
//   GET  /__sim/charge-permissions/:id                  → { chargePermission, script, recurringUpdates }
//   POST /__sim/charge-permissions/:id/close {by}       → { chargePermission }   by: buyer | amazon | expiry (reason Expired)
//   POST /__sim/charge-permissions/:id/non-chargeable {reason} / …/chargeable → { chargePermission }
//   PUT  /__sim/charge-permissions/:id/script {next, mode} → { script }
//   POST /__sim/charge-permissions/:id/expiration {at}  → { chargePermission }   expirationTimestamp; Create Charge refused from then on
//   POST /__sim/charges/:id/resolve {outcome?}          → { charge }
//   POST /__sim/refunds/:id/resolve {declineReason?}    → { refund }
//   GET|PUT /__sim/faults, /__sim/throttle, /__sim/ipn  → { faults } / { throttle } / { ipn }
//   GET|PUT /__sim/injected-errors { errors }          → { errors }  scripted error answers per operation
//   GET  /__sim/ipn/deliveries                          → { deliveries, pending }
//   GET  /__sim/ipn/signing-cert.pem                    → PEM (public key of the IPN signer)
//   GET  /__sim/charges                                 → { charges: LedgerEntry[] }
//   GET  /__sim/attempts                                → { attempts, counts, total }   Create Charge only
//   GET  /__sim/requests                                → { counts, total }   every API request, by operation
//   POST /__sim/clock/advance { ms }                    → { now }
//   POST /__sim/reset                                   → { reset: true }
import type { CreateChargePermissionInput } from './control-actions.js';
import type { LedgerEntry } from './control-api.js';
import type { DeliveryAttempt, IpnConfig } from './ipn-delivery.js';
import type { FaultConfig } from './faults.js';
import type { InjectedError } from './injected-errors.js';
import type { ThrottleConfig } from './throttle.js';
import type { AttemptRecord, DeclineScript, RecurringUpdateRecord } from './state.js';

export type { CreateChargePermissionInput, LedgerEntry, DeliveryAttempt, IpnConfig, FaultConfig, ThrottleConfig, AttemptRecord, DeclineScript, InjectedError };

/** The Amazon Pay-shaped Charge Permission as GET returns it (main fields typed). */
export interface ChargePermissionView {
  chargePermissionId: string;
  chargePermissionType: string;
  presentmentCurrency: string;
  statusDetails: { state: string; reasons: Array<{ reasonCode: string; reasonDescription: string }> | null; lastUpdatedTimestamp: string };
  [key: string]: unknown;
}

export interface ChargeView {
  chargeId: string;
  chargePermissionId: string;
  chargeAmount: { amount: string; currencyCode: string };
  statusDetails: { state: string; reasonCode: string | null };
  [key: string]: unknown;
}

export class SimulatorControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SimulatorControl {
  health(): Promise<{ ok: boolean; now: string }>;
  registerPublicKey(publicKeyId: string, publicKeyPem: string): Promise<void>;
  createChargePermission(input: CreateChargePermissionInput): Promise<{ chargePermission: ChargePermissionView; firstChargeId: string | null }>;
  getChargePermission(id: string): Promise<{ chargePermission: ChargePermissionView; script: DeclineScript; recurringUpdates: RecurringUpdateRecord[] }>;
  closeChargePermission(id: string, by: 'buyer' | 'amazon' | 'expiry', options?: { cancelPendingCharges?: boolean }): Promise<ChargePermissionView>;
  /** Gives the permission an expirationTimestamp (ISO instant); Create Charge is refused from then on. */
  setExpiration(id: string, at: string): Promise<ChargePermissionView>;
  makeNonChargeable(id: string, reason: string): Promise<ChargePermissionView>;
  makeChargeable(id: string): Promise<ChargePermissionView>;
  /** The buyer picks another card (4 digits): its descriptor shows, Chargeable again, a CHARGE_PERMISSION IPN. */
  changePaymentMethod(id: string, cardSuffix: string): Promise<ChargePermissionView>;
  setScript(id: string, script: Partial<DeclineScript>): Promise<DeclineScript>;
  resolveCharge(chargeId: string, outcome?: string): Promise<ChargeView>;
  resolveRefund(refundId: string, declineReason?: string): Promise<unknown>;
  setFaults(faults: Partial<FaultConfig>): Promise<FaultConfig>;
  setThrottle(throttle: Partial<ThrottleConfig>): Promise<ThrottleConfig>;
  /** Replaces the scripted error answers (an empty list clears them); `times` absent means every matching request. */
  setInjectedErrors(errors: Array<Omit<InjectedError, 'times' | 'message'> & { message?: string; times?: number | null }>): Promise<InjectedError[]>;
  setIpn(settings: Partial<IpnConfig>): Promise<IpnConfig>;
  ipnDeliveries(): Promise<{ deliveries: DeliveryAttempt[]; pending: number }>;
  ipnSigningPem(): Promise<string>;
  charges(): Promise<LedgerEntry[]>;
  attempts(): Promise<{ attempts: AttemptRecord[]; counts: Record<string, number>; total: number }>;
  /** Every Amazon Pay API request received (any operation, any answer), counted by operation (e.g. getChargePermission). */
  requests(): Promise<{ counts: Record<string, number>; total: number }>;
  advanceClock(ms: number): Promise<string>;
  reset(): Promise<void>;
}

/** `baseUrl` is the simulator URL (e.g. http://127.0.0.1:4010), with or without /__sim. */
export function createSimulatorControl(baseUrl: string): SimulatorControl {
  const root = withoutTrailingSlashes(baseUrl).replace(/\/__sim$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${root}/__sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // keep the raw text
      }
      throw new SimulatorControlError(response.status, `simulator control ${method} ${path} failed (${response.status}): ${message}`);
    }
    return (response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  }
  const cpPath = (id: string): string => `/charge-permissions/${encodeURIComponent(id)}`;
  return {
    health: () => call('GET', '/health'),
    registerPublicKey: async (publicKeyId, publicKeyPem) => void (await call('POST', '/keys', { publicKeyId, publicKeyPem })),
    createChargePermission: (input) => call('POST', '/charge-permissions', input),
    getChargePermission: (id) => call('GET', cpPath(id)),
    closeChargePermission: async (id, by, options = {}) =>
      (await call<{ chargePermission: ChargePermissionView }>('POST', `${cpPath(id)}/close`, { by, ...options })).chargePermission,
    setExpiration: async (id, at) => (await call<{ chargePermission: ChargePermissionView }>('POST', `${cpPath(id)}/expiration`, { at })).chargePermission,
    makeNonChargeable: async (id, reason) =>
      (await call<{ chargePermission: ChargePermissionView }>('POST', `${cpPath(id)}/non-chargeable`, { reason })).chargePermission,
    makeChargeable: async (id) => (await call<{ chargePermission: ChargePermissionView }>('POST', `${cpPath(id)}/chargeable`, {})).chargePermission,
    changePaymentMethod: async (id, cardSuffix) =>
      (await call<{ chargePermission: ChargePermissionView }>('POST', `${cpPath(id)}/payment-method`, { cardSuffix })).chargePermission,
    setScript: async (id, script) => (await call<{ script: DeclineScript }>('PUT', `${cpPath(id)}/script`, script)).script,
    resolveCharge: async (chargeId, outcome) =>
      (await call<{ charge: ChargeView }>('POST', `/charges/${encodeURIComponent(chargeId)}/resolve`, outcome === undefined ? {} : { outcome })).charge,
    resolveRefund: async (refundId, declineReason) =>
      (await call<{ refund: unknown }>('POST', `/refunds/${encodeURIComponent(refundId)}/resolve`, declineReason === undefined ? {} : { declineReason }))
        .refund,
    setFaults: async (faults) => (await call<{ faults: FaultConfig }>('PUT', '/faults', faults)).faults,
    setInjectedErrors: async (errors) => (await call<{ errors: InjectedError[] }>('PUT', '/injected-errors', { errors })).errors,
    setThrottle: async (throttle) => (await call<{ throttle: ThrottleConfig }>('PUT', '/throttle', throttle)).throttle,
    setIpn: async (settings) => (await call<{ ipn: IpnConfig }>('PUT', '/ipn', settings)).ipn,
    ipnDeliveries: () => call('GET', '/ipn/deliveries'),
    ipnSigningPem: () => call('GET', '/ipn/signing-cert.pem'),
    charges: async () => (await call<{ charges: LedgerEntry[] }>('GET', '/charges')).charges,
    attempts: () => call('GET', '/attempts'),
    requests: () => call('GET', '/requests'),
    advanceClock: async (ms) => (await call<{ now: string }>('POST', '/clock/advance', { ms })).now,
    reset: async () => void (await call('POST', '/reset', {})),
  };
}

// "http://h:1///" → "http://h:1"; a loop, because a trailing-slashes regex backtracks quadratically
// over a long run of slashes.
function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end -= 1;
  return url.slice(0, end);
}
