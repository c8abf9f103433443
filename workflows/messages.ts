// Message definitions shared by the workflow and its callers: clients import these
// constants, never the strings.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelRequest, ChangePlanRequest, ChangePlanResult, ChargeUpdate, PermissionStatus, SubscriptionState } from './types.js';

export const pauseSignal = defineSignal<[{ reason: string }]>('pause');
export const resumeSignal = defineSignal<[{ reason: string }]>('resume');
/** mode 'now' is followed by a workflow cancellation request; 'period_end' lets the current period run out. */
export const cancelSignal = defineSignal<[CancelRequest]>('cancel');
/** The Charge Permission's current state, as fetched from Amazon Pay after an IPN or a reconciliation poll. */
export const permissionStatusSignal = defineSignal<[PermissionStatus]>('permissionStatus');
/** The final state of a pending (AuthorizationInitiated) charge, fetched after a CHARGE IPN. */
export const chargeUpdateSignal = defineSignal<[ChargeUpdate]>('chargeUpdate');
export const changePlanUpdate = defineUpdate<ChangePlanResult, [ChangePlanRequest]>('changePlan');
export const stateQuery = defineQuery<SubscriptionState>('state');
