// The admin library for the merchant's backend: one typed facade over client/subscriptions/*.
import type { ScheduledCycle } from '../billing/schedule.js';
import type { ChangePlanResult, SubscriptionState } from '../workflows/types.js';
import type { BillingClientDeps } from './deps.js';
import { changePlan, pauseSubscription, resumeSubscription, stopSubscription, type ChangePlanInput, type StopResult } from './subscriptions/lifecycle.js';
import { getCharge, type ChargeDetails } from './subscriptions/charge.js';
import { previewSchedule, type PreviewScheduleInput } from './subscriptions/preview.js';
import {
  getSubscriptionDetails,
  listSubscriptions,
  type ListSubscriptionsInput,
  type SubscriptionDetails,
  type SubscriptionPage,
} from './subscriptions/read.js';
import { refundCharge, type RefundInput, type RefundResult } from './subscriptions/refund.js';
import {
  repairDriftedSubscriptions,
  repairSubscription,
  type DriftRepairOptions,
  type DriftRepairSummary,
  type RepairOptions,
  type RepairResult,
} from './subscriptions/repair.js';
import { listEvents, type EventPage, type ListEventsInput } from './events.js';
import { startSubscription, type StartSubscriptionInput, type StartSubscriptionResult } from './subscriptions/start.js';
import { createCheckout, type CheckoutButton, type CreateCheckoutInput } from './checkout/create.js';
import { completeCheckout, type CompleteCheckoutResult } from './checkout/complete.js';

export * from './errors.js';
export type { BillingClientDeps } from './deps.js';
export type { StartSubscriptionInput, StartSubscriptionResult } from './subscriptions/start.js';
export type { ChangePlanInput, StopResult } from './subscriptions/lifecycle.js';
export type { ListSubscriptionsInput, SubscriptionDetails, SubscriptionPage } from './subscriptions/read.js';
export type { PreviewScheduleInput } from './subscriptions/preview.js';
export type { RefundInput, RefundResult } from './subscriptions/refund.js';
export type { DriftRepairOptions, DriftRepairSummary, RepairOptions, RepairResult } from './subscriptions/repair.js';
export type { ChargeDetails } from './subscriptions/charge.js';
export type { CheckoutButton, CreateCheckoutInput } from './checkout/create.js';
export type { CompleteCheckoutResult } from './checkout/complete.js';
export type { EventPage, EventView, ListEventsInput } from './events.js';
export type { ChargeView, RefundView, StatusEventView, SubscriptionView } from './subscriptions/views.js';

export interface BillingClient {
  readonly environment: BillingClientDeps['environment'];
  startSubscription(input: StartSubscriptionInput): Promise<StartSubscriptionResult>;
  stopSubscription(id: string, options?: { atPeriodEnd?: boolean; reason?: string }): Promise<StopResult>;
  pause(id: string, options?: { reason?: string }): Promise<SubscriptionState>;
  resume(id: string, options?: { reason?: string }): Promise<SubscriptionState>;
  changePlan(id: string, change: ChangePlanInput): Promise<ChangePlanResult>;
  getSubscription(id: string): Promise<SubscriptionDetails>;
  listSubscriptions(input?: ListSubscriptionsInput): Promise<SubscriptionPage>;
  previewSchedule(input: PreviewScheduleInput): ScheduledCycle[];
  refund(input: RefundInput): Promise<RefundResult>;
  /**
   * Restarts a live subscription whose workflow is not running (failed, terminated), resuming where the ledger says; no cycle is charged twice.
   * Restores ledger rows its workflow's history shows and the ledger lacks; a subscription whose workflow runs without a row gets its row back from Temporal.
   */
  repair(id: string, options?: RepairOptions): Promise<RepairResult>;
  /**
   * repair() for every live subscription (its workflow not running, a stop it never received,
   * ledger rows its history shows and the ledger lacks) and for every subscription workflow running
   * without a row (rebuilt from Temporal); `onProgress` hears about each one checked, with how many there are.
   */
  repairDrifted(
    onProgress?: (result: RepairResult | { subscriptionId: string; error: string }, total: number) => void,
    options?: DriftRepairOptions,
  ): Promise<DriftRepairSummary>;
  getCharge(chargeId: string): Promise<ChargeDetails>;
  /** A page of the event log (docs/events.md): events after a cursor, optionally of one subscription and some types. */
  listEvents(input?: ListEventsInput): Promise<EventPage>;
  /** The Amazon Pay button for a plan, signed by the daemon (client/checkout/create.ts); nothing is sent to Amazon Pay. */
  createCheckout(input: CreateCheckoutInput): Promise<CheckoutButton>;
  /** Completes the buyer's Checkout Session and starts its subscription (client/checkout/complete.ts); idempotent. */
  completeCheckout(checkoutSessionId: string): Promise<CompleteCheckoutResult>;
}

export function createBillingClient(deps: BillingClientDeps): BillingClient {
  return {
    environment: deps.environment,
    startSubscription: (input) => startSubscription(deps, input),
    stopSubscription: (id, options) => stopSubscription(deps, id, options),
    pause: (id, options) => pauseSubscription(deps, id, options),
    resume: (id, options) => resumeSubscription(deps, id, options),
    changePlan: (id, change) => changePlan(deps, id, change),
    getSubscription: (id) => getSubscriptionDetails(deps, id),
    listSubscriptions: (input) => listSubscriptions(deps, input),
    previewSchedule: (input) => previewSchedule(deps.environment, input),
    refund: (input) => refundCharge(deps, input),
    repair: (id, options) => repairSubscription(deps, id, options),
    repairDrifted: (onProgress, options) => repairDriftedSubscriptions(deps, onProgress, options),
    getCharge: (chargeId) => getCharge(deps, chargeId),
    listEvents: (input) => listEvents(deps, input),
    createCheckout: (input) => createCheckout(deps, input),
    completeCheckout: (checkoutSessionId) => completeCheckout(deps, checkoutSessionId),
  };
}
