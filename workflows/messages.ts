// Message definitions shared by the workflow and its callers: clients import these
// constants, never the strings.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelRequest, ChangePlanRequest, ChangePlanResult, ChargeUpdate, PermissionStatus, PermissionStatusSignal, SubscriptionState } from './types.js';

export const pauseSignal = defineSignal<[{ reason: string }]>('pause');
export const resumeSignal = defineSignal<[{ reason: string }]>('resume');
/** mode 'now' is followed by a workflow cancellation request; 'period_end' lets the current period run out. */
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');
/** The Charge Permission's current state, as fetched from Amazon Pay after an IPN or by reconciliation; build it with permissionStatusPayload. */
export const permissionStatusSignal = defineSignal<[PermissionStatusSignal]>('permissionStatus');
/** The final state of a pending (AuthorizationInitiated) charge, fetched after a CHARGE IPN. */
export const chargeUpdateSignal = defineSignal<[ChargeUpdate]>('chargeUpdate');
export const changePlanUpdate = defineUpdate<ChangePlanResult, [ChangePlanRequest]>('changePlan');
export const stateQuery = defineQuery<SubscriptionState>('state');

/**
 * The permissionStatus payload for Amazon's answer. `source` repeats evidenceOfChange under its
 * old name for workers still on the code before issue 15 (they read only that); drop it once none run.
 */
export function permissionStatusPayload(status: PermissionStatus, evidenceOfChange: boolean): PermissionStatusSignal {
  return { ...status, evidenceOfChange, source: evidenceOfChange ? 'ipn' : 'poll' };
}

/**
 * Whether a permissionStatus payload is evidence of a change: evidenceOfChange when present,
 * else the old `source` ('poll' = routine), else evidence (signals older than `source` came from IPNs only).
 */
export function isEvidenceOfChange(payload: PermissionStatusSignal): boolean {
  if (typeof payload.evidenceOfChange === 'boolean') return payload.evidenceOfChange;
  return payload.source !== 'poll';
}
