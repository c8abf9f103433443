// Spreads one worker's Create Charge calls evenly over each second (housekeeping's pacer uses it too).
//
// The Temporal server caps the charges task queue at `createChargePerSecond` for all replicas,
// but it may hand out a whole second's worth of tasks at once, while Amazon Pay's bucket holds
// only `burst` (10) calls: on a saturated billing day those bunches came back as 429s (5 % of
// calls at 50/s), each a wasted slot and a retry at the back of the queue. Spacing the calls
// 1/rate apart inside the process removes the bunches. It never limits below the server's cap:
// one replica alone may use the whole rate, and the server still caps all of them together.

/** Returns a function that resolves when the caller may make its call, at most `perSecond` per second, first come first served. */
export function callSpacer(perSecond: number, clock: { now: () => number; sleep: (ms: number) => Promise<void> } = realClock): () => Promise<void> {
  if (!(perSecond > 0) || !Number.isFinite(perSecond)) return () => Promise.resolve();
  const gapMs = 1000 / perSecond;
  let nextSlot = 0;
  return async () => {
    // Reserve the slot before waiting, so concurrent callers get distinct slots.
    const now = clock.now();
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + gapMs;
    if (slot > now) await clock.sleep(slot - now);
  };
}

const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };
