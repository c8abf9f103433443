// What `billing repair` reads from the stopped run's Temporal history: its input, and what lives
// only in the workflow — a pending cancel at period end and the operator's pauses (the one in
// force, and those already lifted, whose windows decide which cycles are skipped).
import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { cancelSignal, pauseSignal, resumeSignal } from '../../workflows/messages.js';
import type { CancelRequest, PauseWindow, SubscriptionWorkflowInput } from '../../workflows/types.js';
import { UpstreamError } from '../errors.js';
import type { FinalSubscriptionStatus } from '../../billing/vocabulary.js';
import type { subscriptionHandle } from './workflow-handle.js';

/** The operator's pauses as the stopped run held them (workflows/runtime.ts pause/resume). */
export interface PausesOfRun {
  paused: boolean;
  /** When the pause in force began (ISO UTC); null when not paused. */
  pausedSince: string | null;
  /** Lifted pauses, [from, to) (ISO UTC), carried in and lifted during the run. */
  pauseWindows: PauseWindow[];
  /** The reason of the pause in force (its signal's), null when not paused or unknown. */
  pauseReason: string | null;
}

export interface LastRun {
  input: SubscriptionWorkflowInput;
  /** A cancel at period end it carried in (continue-as-new) or was sent — not applied, or the run would have completed. */
  cancelAtPeriodEnd: { reason: string } | null;
  /**
   * The last cancel "now" signal the run was sent (what a cancelled run records): its reason and
   * final status (a signal without one, as every operator's: canceled); null when none.
   */
  cancelNow: { reason: string; status: FinalSubscriptionStatus } | null;
  pauses: PausesOfRun;
}

/**
 * The workflow's latest run as its history tells it, or undefined when Temporal no longer has it
 * (NOT_FOUND). Any other failure to read the history (Temporal down, a timeout, a refused
 * request) throws UpstreamError: what lives only in the history (a pending cancel at period end,
 * lifted pause windows) must not be taken as absent, so the caller restarts nothing.
 * Pauses are replayed from the signals the way the workflow's handlers take them, each at its
 * signal event's time (the workflow's own clock at the signal, up to the delay before a worker
 * picked it up): a pause lifted while a charge was in flight never showed as a `paused` status,
 * so PostgreSQL's status events cannot see it, and their times are when the status was written.
 */
export async function readLastRun(handle: Pick<ReturnType<typeof subscriptionHandle>, 'fetchHistory' | 'workflowId'>): Promise<LastRun | undefined> {
  const events = await readRunHistory(handle, 'restarted');
  return events ? runOfHistory(events) : undefined;
}

/**
 * The events of one run of a workflow (the latest when `handle` names no run), or undefined when
 * Temporal no longer has it (NOT_FOUND: never started, or deleted after the namespace's
 * retention). Any other failure throws a one-line UpstreamError ending "nothing was `nothing`,
 * try again", so the caller writes nothing.
 */
export async function readRunHistory(
  handle: Pick<ReturnType<typeof subscriptionHandle>, 'fetchHistory' | 'workflowId'>,
  nothing: 'restarted' | 'written',
): Promise<HistoryEvents | undefined> {
  try {
    return (await handle.fetchHistory()).events ?? [];
  } catch (error) {
    if (error instanceof WorkflowNotFoundError || (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND)) return undefined;
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new UpstreamError(`could not read the history of workflow ${handle.workflowId} from Temporal (${message}); nothing was ${nothing}, try again`, true);
  }
}

/** gRPC status NOT_FOUND (google.rpc.Code 5). */
const GRPC_NOT_FOUND = 5;

export type HistoryEvents = NonNullable<Awaited<ReturnType<ReturnType<typeof subscriptionHandle>['fetchHistory']>>['events']>;

/** The run whose history `events` is: its input, a pending cancel at period end, the last cancel now, its pauses; undefined without a start event. */
export function runOfHistory(events: HistoryEvents): LastRun | undefined {
  const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  const input = defaultPayloadConverter.fromPayload<SubscriptionWorkflowInput>(payload);
  let cancelAtPeriodEnd = input.state?.cancelAtPeriodEnd ?? null;
  let cancelNow: LastRun['cancelNow'] = null;
  const carried = input.state;
  const pauses: PausesOfRun = {
    paused: carried?.paused ?? false,
    pausedSince: carried?.paused ? (carried.pausedSince ?? null) : null,
    pauseWindows: [...(carried?.pauseWindows ?? [])],
    pauseReason: carried?.paused ? (carried.pauseReason ?? null) : null,
  };
  for (const event of events) {
    const signal = event.workflowExecutionSignaledEventAttributes;
    const sent = signal?.input?.payloads?.[0];
    if (!signal || !sent) continue;
    const at = new Date(tsToMs(event.eventTime)).toISOString();
    if (signal.signalName === cancelSignal.name) {
      const request = defaultPayloadConverter.fromPayload<CancelRequest>(sent);
      if (request.mode === 'period_end') cancelAtPeriodEnd = { reason: request.reason };
      else cancelNow = { reason: request.reason, status: request.status === 'ended' ? 'ended' : 'canceled' };
    } else if (signal.signalName === pauseSignal.name) {
      if (!pauses.paused) pauses.pausedSince = at;
      pauses.paused = true;
      pauses.pauseReason = defaultPayloadConverter.fromPayload<{ reason: string }>(sent).reason;
    } else if (signal.signalName === resumeSignal.name && pauses.paused) {
      if (pauses.pausedSince) pauses.pauseWindows.push({ from: pauses.pausedSince, to: at });
      Object.assign(pauses, { paused: false, pausedSince: null, pauseReason: null });
    }
  }
  return { input, cancelAtPeriodEnd, cancelNow, pauses };
}
