// What `billing repair` reads from the stopped run's Temporal history: its input, and what lives
// only in the workflow — a pending cancel at period end and the operator's pauses (the one in
// force, and those already lifted, whose windows decide which cycles are skipped).
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time.js';
import { cancelSignal, pauseSignal, resumeSignal } from '../../workflows/messages.js';
import type { CancelRequest, PauseWindow, SubscriptionWorkflowInput } from '../../workflows/types.js';
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
  pauses: PausesOfRun;
}

/**
 * The workflow's latest run as its history tells it, or undefined when Temporal no longer has it.
 * Pauses are replayed from the signals the way the workflow's handlers take them, each at its
 * signal event's time (the workflow's own clock at the signal, up to the delay before a worker
 * picked it up): a pause lifted while a charge was in flight never showed as a `paused` status,
 * so PostgreSQL's status events cannot see it, and their times are when the status was written.
 */
export async function readLastRun(handle: ReturnType<typeof subscriptionHandle>): Promise<LastRun | undefined> {
  try {
    const events = (await handle.fetchHistory()).events ?? [];
    const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) return undefined;
    const input = defaultPayloadConverter.fromPayload<SubscriptionWorkflowInput>(payload);
    let cancelAtPeriodEnd = input.state?.cancelAtPeriodEnd ?? null;
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
      } else if (signal.signalName === pauseSignal.name) {
        if (!pauses.paused) pauses.pausedSince = at;
        pauses.paused = true;
        pauses.pauseReason = defaultPayloadConverter.fromPayload<{ reason: string }>(sent).reason;
      } else if (signal.signalName === resumeSignal.name && pauses.paused) {
        if (pauses.pausedSince) pauses.pauseWindows.push({ from: pauses.pausedSince, to: at });
        Object.assign(pauses, { paused: false, pausedSince: null, pauseReason: null });
      }
    }
    return { input, cancelAtPeriodEnd, pauses };
  } catch {
    return undefined;
  }
}
