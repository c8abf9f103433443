// Spreads calls evenly over each second: Create Charge across every replica (sharedCallSpacer),
// housekeeping's reads inside one process (callSpacer, daemon/housekeeping/pacer.ts).
//
// The Temporal server caps the charges task queue at `createChargePerSecond` for all replicas,
// but it may hand out a whole second's worth of tasks at once, while Amazon Pay's bucket holds
// only `burst` (10) calls: on a saturated billing day those bunches came back as 429s (5 % of
// calls at 50/s), each a wasted slot and a retry at the back of the queue. Spacing the calls
// 1/rate apart removes the bunches. Spaced inside each process, two replicas' calls still
// bunched (125 429s in 5,000 charges at 25/s, docs/benchmarks.md); so Create Charge takes its
// slots from one row in PostgreSQL that all replicas share. It never limits below the server's
// cap: one replica alone may use the whole rate.
import type { Database } from '../db/client.js';
import { reserveCallSlot } from '../db/queries/call-slots.js';

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

/**
 * Returns a function that resolves when the caller may make its call of Amazon Pay `operation`,
 * at most `perSecond` per second over every process that shares `db` (db/queries/call-slots.ts:
 * one slot row per merchant account and operation, Amazon Pay's own throttle unit). A rate that is
 * not a positive finite number spaces nothing. A database error rejects, and the caller has not
 * made its call (the charge activity is retried, nothing sent).
 */
export function sharedCallSpacer(
  db: Database,
  slot: { operation: string; perSecond: number; account?: string },
  sleep: (ms: number) => Promise<void> = realClock.sleep,
): () => Promise<void> {
  if (!(slot.perSecond > 0) || !Number.isFinite(slot.perSecond)) return () => Promise.resolve();
  const reservation = { account: slot.account ?? '', operation: slot.operation, gapMs: 1000 / slot.perSecond };
  return async () => {
    const waitMs = await reserveCallSlot(db, reservation);
    if (waitMs > 0) await sleep(waitMs);
  };
}

const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };
