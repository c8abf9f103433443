// Object IDs in Amazon's formats (as in Amazon Pay API v2 samples): CP `S01-1234567-1234567`,
// Charge `<cp>-C000001`, Refund `<cp>-R000001`. Derived from persisted counters so restarts never
// reuse an ID.
import type { Environment, SimulatorState } from './state.js';

/**
 * The simulated merchant account's merchant ID (Seller Central's, for a real account): the
 * MerchantID of its IPNs, and the merchantId its checkout.js expects in renderButton's config.
 */
export const SIMULATOR_MERCHANT_ID = 'A1SIMULATED0MX';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export function nextChargePermissionId(state: SimulatorState, environment: Environment): string {
  const seq = ++state.counters.chargePermission;
  const prefix = environment === 'Sandbox' ? 'S01' : 'P01';
  // The second block is a fixed scramble of the sequence so IDs do not look sequential.
  const scramble = (seq * 7_919 + 5_879_427) % 10_000_000;
  return `${prefix}-${pad(seq, 7)}-${pad(scramble, 7)}`;
}

export function nextChargeId(state: SimulatorState, chargePermissionId: string): string {
  return `${chargePermissionId}-C${pad(++state.counters.charge, 6)}`;
}

export function nextRefundId(state: SimulatorState, chargePermissionId: string): string {
  return `${chargePermissionId}-R${pad(++state.counters.refund, 6)}`;
}

export const CHARGE_PERMISSION_ID_PATTERN = /^[A-Z]\d\d-\d{7}-\d{7}$/;
