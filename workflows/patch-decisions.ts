// Every patch a subscription's run reads is decided once, at the very start of the run, before
// its first await — not where the branch is first reached.
//
// Why: Temporal's TypeScript SDK (1.24, its sdk-core) can record a history that its own replay
// cannot follow when a patch is first read right after a local activity. When a query arrives
// with a workflow task while a local activity is finishing, core answers the query, ends that
// workflow task with the local activity's marker, and forces a new one (sdk-core
// managed_run.rs: "If there are pending LA resolutions, and we're responding to a query here
// ... force a new task"); the code that ran after the local activity — including its first
// patched() — lands in the new task. On replay, core resolves the local activity inside the
// first task, before it has looked ahead into the second, so that patched() returns false and
// the marker is met with no command: "[TMPRL1100] Nondeterminism error: Non-deprecated patch
// marker encountered for change …". Any query (`billing show`, the HTTP API, the Web UI's stack
// trace) could do this, and the run would then fail every replay (a worker restart, a cache
// eviction). CI caught it as a failed query (test/unit/workflows/replay-split.test.ts replays
// every committed history cut the way core cuts it).
//
// Deciding at the start puts every marker in the run's first workflow task, ahead of any local
// activity. One marker stands for all the patches registered before it: a run that records
// PATCHES_DECIDED_AT_RUN_START started on code that had all of them, so it takes each one's new
// branch without a marker of its own (a marker per patch would add two events per patch to every
// run: the marker and core's TemporalChangeVersion upsert). Patches registered after it are decided
// one by one at the start, in registry order, in every run: a run recorded before such a patch has
// no marker for it and keeps the old branch until it continues as new. A run that started before
// PATCHES_DECIDED_AT_RUN_START reads the older patches where it first reaches them (its history
// holds the markers there), and so replays as recorded.
import { deprecatePatch, patched } from '@temporalio/workflow';
import { PATCHES, PATCHES_DECIDED_AT_RUN_START, type PatchEntry } from './patches.js';

export class PatchDecisions {
  /** Whether the run recorded PATCHES_DECIDED_AT_RUN_START: every patch registered before it is then taken. */
  private readonly decidedAtStart: boolean;
  /** The patches registered before PATCHES_DECIDED_AT_RUN_START. */
  private readonly older: ReadonlySet<string>;
  /** Patches registered after it: decided at the start, in every run. */
  private readonly later: ReadonlyMap<string, boolean>;

  /**
   * Call at the start of the run, before any await (the markers must precede every command).
   * `registry`: workflows/patches.ts PATCHES (a test passes its own); it must hold PATCHES_DECIDED_AT_RUN_START.
   */
  constructor(registry: readonly PatchEntry[] = PATCHES) {
    const at = registry.findIndex((p) => p.id === PATCHES_DECIDED_AT_RUN_START);
    if (at < 0) throw new Error(`the patch registry lacks ${PATCHES_DECIDED_AT_RUN_START}`);
    this.older = new Set(registry.slice(0, at).map((p) => p.id));
    this.decidedAtStart = patched(PATCHES_DECIDED_AT_RUN_START);
    // Registry order, oldest first: a replay meets the markers in the order they were recorded.
    const later = new Map<string, boolean>();
    for (const patch of registry.slice(at + 1)) {
      if (patch.step === 'deprecated') {
        deprecatePatch(patch.id);
        later.set(patch.id, true);
      } else later.set(patch.id, patched(patch.id));
    }
    this.later = later;
  }

  /**
   * Whether this run takes patch `id`'s new branch. Throws (failing the workflow task, which
   * Temporal retries, never the run) for an id missing from the registry.
   */
  has(id: string): boolean {
    if (id === PATCHES_DECIDED_AT_RUN_START) return this.decidedAtStart;
    if (this.older.has(id)) return this.decidedAtStart || patched(id);
    const decision = this.later.get(id);
    if (decision === undefined) throw new Error(`patch ${id} is not in workflows/patches.ts PATCHES`);
    return decision;
  }
}
