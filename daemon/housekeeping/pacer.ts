// Spacing of Amazon Pay reads that housekeeping makes outside the rate-capped task queues.
import { callSpacer } from '../../activities/call-spacer.js';

/**
 * Spaces calls 1/perSecond apart (wall time: it is a rate), with the same slot reservation as
 * the Create Charge spacer. Resolves false once `signal` is aborted, and the caller stops.
 */
export function pacer(perSecond: number | undefined, signal: AbortSignal): () => Promise<boolean> {
  const wait = callSpacer(perSecond ?? 0, { now: () => Date.now(), sleep: (ms) => abortableSleep(ms, signal) });
  return async () => {
    if (signal.aborted) return false;
    await wait();
    return !signal.aborted;
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
