// When and how a subscription's run hands over to a new run (continue-as-new). A run ends
// this way only between cycles — no charge in flight, the cycle settled and counted — and
// only once every update handler has finished, with the whole carried state as the new run's
// input. Besides the server's suggestion (history size), the run hands over after
// `policy.continueAsNewEveryCycles` settled cycles (BOUNDED_CONTINUE_AS_NEW): no run is older
// than that many billing intervals, so runs started before a patch drain on a schedule and the
// patch can be retired (workflows/patches.ts, docs/versioning.md).
import { allHandlersFinished, condition, continueAsNew, workflowInfo } from '@temporalio/workflow';
import { BOUNDED_CONTINUE_AS_NEW, PERMISSION_EXPIRY_ASKED_OF_AMAZON } from './patches.js';
import type { SubscriptionRuntime } from './runtime.js';
import type { subscriptionWorkflow } from './subscription.js';
import { DEFAULT_CONTINUE_AS_NEW_EVERY_CYCLES, type CarriedState, type SubscriptionWorkflowInput } from './types.js';

/**
 * Whether the run continues as new now, `settledThisRun` cycles after it started: when the
 * server suggests it, or at the policy's bound unless the next cycle is already known to fall
 * outside the term (the run ends at once then). Call between cycles only. (Runs from before
 * PATCHES_DECIDED_AT_RUN_START read the patch only at the bound, where its marker is.)
 */
export function continueAsNewDue(rt: SubscriptionRuntime, settledThisRun: number): boolean {
  if (workflowInfo().continueAsNewSuggested) return true;
  const every = rt.input.policy.continueAsNewEveryCycles ?? DEFAULT_CONTINUE_AS_NEW_EVERY_CYCLES;
  if (settledThisRun < every || rt.plannedAhead(rt.s.cycle)?.inTerm === false) return false;
  return rt.patched(BOUNDED_CONTINUE_AS_NEW);
}

/**
 * Continues as new with the carried state once running handlers (a plan change) have finished.
 * Never returns, except when a stop (cancel now, permission closed) arrived while they finished:
 * a stop is not carried to a new run, so the caller ends this one. (Histories recorded before
 * BOUNDED_CONTINUE_AS_NEW continued as new regardless.)
 */
export async function continueAsNewBetweenCycles(rt: SubscriptionRuntime): Promise<void> {
  // Never continue-as-new from inside a handler (Temporal: condition(allHandlersFinished) first).
  await condition(allHandlersFinished);
  if (rt.stopRequested && rt.patched(BOUNDED_CONTINUE_AS_NEW)) return;
  const state: CarriedState = { ...rt.s, pauseReason: rt.s.paused ? rt.pauseReason : null };
  const input = rt.patched(PERMISSION_EXPIRY_ASKED_OF_AMAZON) ? withPermissionExpiry(rt.input, rt.permissionExpiresAt) : rt.input;
  await continueAsNew<typeof subscriptionWorkflow>({ ...input, state });
}

/** `input` with the latest known expiry of its Charge Permission (null: none, the field left out), for the next run. */
function withPermissionExpiry(input: SubscriptionWorkflowInput, expiresAt: string | null): SubscriptionWorkflowInput {
  const { permissionExpiresAt: _startExpiry, ...rest } = input;
  return expiresAt === null ? rest : { ...rest, permissionExpiresAt: expiresAt };
}
