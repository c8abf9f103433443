// Spacing of Amazon Pay reads that housekeeping makes outside the rate-capped task queues.

/**
 * Spaces calls 1/perSecond apart (wall time: it is a rate). Resolves false once `signal` is
 * aborted, and the caller stops.
 */
export function pacer(perSecond: number | undefined, signal: AbortSignal): () => Promise<boolean> {
  const gapMs = perSecond && perSecond > 0 ? 1000 / perSecond : 0;
  let nextAt = 0;
  return async () => {
    if (signal.aborted) return false;
    const waitMs = nextAt - Date.now();
    if (waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
    }
    nextAt = Math.max(Date.now(), nextAt) + gapMs;
    return !signal.aborted;
  };
}
