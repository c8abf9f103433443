// Decides what a Create Charge that passed every check turns into: a simulation code header (Amazon
// Pay sandbox simulations) wins over the per-permission script, which wins over the simulated card.
import { AmazonPayError } from './errors.js';
import type { ChargePermissionRecord } from './state.js';

export const DECLINE_REASONS = [
  'SoftDeclined',
  'HardDeclined',
  'AmazonRejected',
  'TransactionTimedOut',
  'ProcessingFailure',
  'MFANotCompleted',
  'PaymentMethodNotAllowed',
] as const;

/** Codes accepted in x-amz-pay-simulation-code per operation; others → InvalidSandboxSimulationSpecified. */
export const SIMULATION_CODES: Readonly<Record<string, readonly string[]>> = {
  createCharge: ['SoftDeclined', 'HardDeclined', 'AmazonRejected', 'TransactionTimedOut', 'ProcessingFailure', 'CaptureInitiated', 'AuthorizationInitiated'],
  captureCharge: ['CaptureInitiated', 'AmazonRejected'],
  closeChargePermission: ['AmazonClosed'],
  // amazon-pay-checkout reference §11.5 / API ref §11 (a third-party summary of the sandbox page).
  completeCheckoutSession: ['BuyerCanceled', 'AmazonCanceled', 'Declined', 'AuthorizationInitiated'],
};

/** Script entries: a decline reason, 'Success', 'CaptureInitiated', or 'AuthorizationInitiated:<final>'. */
export const SCRIPT_ENTRIES: readonly string[] = [
  'Success',
  'CaptureInitiated',
  ...DECLINE_REASONS,
  'AuthorizationInitiated:Authorized',
  'AuthorizationInitiated:Captured',
  ...DECLINE_REASONS.map((r) => `AuthorizationInitiated:${r}`),
];

export type ChargeOutcome =
  | { kind: 'success' }
  | { kind: 'decline'; reason: string }
  /** 201 with a pending state; `final` is 'Authorized' | 'Captured' | 'Declined:<reason>'. */
  | { kind: 'pending'; stateNow: 'AuthorizationInitiated' | 'CaptureInitiated'; final: string };

export function validateScriptEntry(entry: unknown, where: string): string {
  if (typeof entry !== 'string' || !SCRIPT_ENTRIES.includes(entry)) {
    throw new Error(`${where} ${JSON.stringify(entry)} is not a script entry; accepted: ${SCRIPT_ENTRIES.join(', ')}`);
  }
  return entry;
}

function fromSimulationCode(code: string, canHandlePending: boolean): ChargeOutcome {
  if (code === 'CaptureInitiated') return { kind: 'pending', stateNow: 'CaptureInitiated', final: 'Captured' };
  if (code === 'AuthorizationInitiated') {
    if (!canHandlePending) {
      throw new AmazonPayError('InvalidSandboxSimulationSpecified', 'The simulation code AuthorizationInitiated needs canHandlePendingAuthorization: true.');
    }
    return { kind: 'pending', stateNow: 'AuthorizationInitiated', final: 'Authorized' };
  }
  // Declines become asynchronous when the caller accepts pending authorizations (an assumption).
  if (canHandlePending) return { kind: 'pending', stateNow: 'AuthorizationInitiated', final: `Declined:${code}` };
  return { kind: 'decline', reason: code };
}

/** Script entries are literal: a plain decline is always synchronous, pending needs the 'AuthorizationInitiated:' form. */
function fromScriptEntry(entry: string, canHandlePending: boolean): ChargeOutcome {
  if (entry === 'Success') return { kind: 'success' };
  if (entry === 'CaptureInitiated') return { kind: 'pending', stateNow: 'CaptureInitiated', final: 'Captured' };
  if (entry.startsWith('AuthorizationInitiated:')) {
    const final = entry.slice('AuthorizationInitiated:'.length);
    if (canHandlePending) {
      return { kind: 'pending', stateNow: 'AuthorizationInitiated', final: final === 'Authorized' || final === 'Captured' ? final : `Declined:${final}` };
    }
    return final === 'Authorized' || final === 'Captured' ? { kind: 'success' } : { kind: 'decline', reason: final };
  }
  return { kind: 'decline', reason: entry };
}

function fromCard(cardSuffix: string, canHandlePending: boolean): ChargeOutcome {
  if (cardSuffix === '0701') return canHandlePending ? { kind: 'pending', stateNow: 'AuthorizationInitiated', final: 'Authorized' } : { kind: 'success' };
  if (cardSuffix === '4354') {
    return canHandlePending
      ? { kind: 'pending', stateNow: 'AuthorizationInitiated', final: 'Declined:HardDeclined' }
      : { kind: 'decline', reason: 'HardDeclined' };
  }
  return { kind: 'success' };
}

/** Consumes at most one script entry from `cp.script.next`. */
export function decideChargeOutcome(cp: ChargePermissionRecord, simulationCode: string | undefined, canHandlePending: boolean): ChargeOutcome {
  if (simulationCode !== undefined) return fromSimulationCode(simulationCode, canHandlePending);
  const scripted = cp.script.next.shift() ?? cp.script.mode ?? undefined;
  if (scripted !== undefined) return fromScriptEntry(scripted, canHandlePending);
  return fromCard(cp.cardSuffix, canHandlePending);
}
