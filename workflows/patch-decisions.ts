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
// activity. A marker per patch costs every run two events per patch (the marker and core's
// TemporalChangeVersion upsert), at every start and continue-as-new, so run-start markers
// (PatchEntry.runStart) fold them: a run that records one started on code that had every patch
// registered before it, and takes each of them without a marker of its own. A new run records
// only the newest run-start marker, then decides each patch registered after it with its own
// patched(), in registry order.
//
// Runs recorded on older code replay as recorded. The run-start markers are asked newest first
// and the first one the run holds wins; every patch registered after that one is decided with its
// own patched() (deprecatePatch() when deprecated), in registry order — exactly the calls the code
// that recorded the run made, so the same markers meet the same commands. Run-start markers newer
// than the one it holds are not in its history (their patches were not all on the code it started
// on): false, and not asked again. A run that holds none (it started before
// PATCHES_DECIDED_AT_RUN_START) decides the patches after the first run-start marker at the start,
// and reads the ones before it where it first reaches them, as the code it started on did (its
// history holds their markers there).
//
// Why asking for a newer run-start marker first cannot break such a replay: in @temporalio/workflow
// 1.24 (src/internals.ts, Activator.patchInternal), a patched() call during replay for a patch
// core has not notified as present returns false before it pushes any command ("A missing marker
// during replay is not a final decision …"), and the SDK caches no decision for it; a patch is
// present only after core's NotifyHasPatch job (Activator.notifyHasPatch), which sdk-core sends
// for each core_patch marker in the workflow task it is about to replay (workflow_machines.rs:
// "Scan through to the next WFT, searching for any patch / la markers, so that we can pre-resolve
// them"). Every run-start marker a run holds is in its first workflow task, the one this
// constructor runs in. So patched(newer) adds no command, and core's only patch nondeterminism —
// a non-deprecated marker with no matching command (patch_state_machine.rs table: "replaying, no
// marker | patched | Call returns false upon replay"; workflow_machines.rs "Non-deprecated patch
// marker encountered") — cannot arise from it: the commands core sees are the old code's, in its
// order. A new run is not replaying, so its first patched(), on the newest marker, records it.
import { deprecatePatch, patched } from '@temporalio/workflow';
import { PATCHES, type PatchEntry } from './patches.js';

export class PatchDecisions {
  /** Decided at the start: every run-start marker, the patches the run's marker stands for, and every patch after it. */
  private readonly decided: ReadonlyMap<string, boolean>;
  /** Patches registered before the first run-start marker, when the run holds none: read where first reached. */
  private readonly readLazily: ReadonlySet<string>;

  /**
   * Call at the start of the run, before any await (the markers must precede every command).
   * `registry`: workflows/patches.ts PATCHES (a test passes its own), oldest first; it must hold at
   * least one run-start marker (PatchEntry.runStart).
   */
  constructor(registry: readonly PatchEntry[] = PATCHES) {
    const markers = registry.flatMap((p, index) => (p.runStart ? [index] : []));
    const first = markers[0];
    if (first === undefined) throw new Error('the patch registry has no run-start marker (PatchEntry.runStart)');
    // Newest first; the first one present is the run's. Later ones are then known absent: not asked again.
    const held = [...markers].reverse().find((at) => patched(registry[at]!.id));
    const decided = new Map<string, boolean>(registry.slice(0, (held ?? -1) + 1).map((p) => [p.id, true]));
    // Registry order, oldest first: a replay meets the markers in the order they were recorded.
    for (const patch of registry.slice((held ?? first) + 1)) {
      if (patch.runStart) decided.set(patch.id, false);
      else if (patch.step === 'deprecated') {
        deprecatePatch(patch.id);
        decided.set(patch.id, true);
      } else decided.set(patch.id, patched(patch.id));
    }
    if (held === undefined) decided.set(registry[first]!.id, false);
    this.decided = decided;
    this.readLazily = new Set(held === undefined ? registry.slice(0, first).map((p) => p.id) : []);
  }

  /**
   * Whether this run takes patch `id`'s new branch. Throws (failing the workflow task, which
   * Temporal retries, never the run) for an id missing from the registry.
   */
  has(id: string): boolean {
    const decision = this.decided.get(id);
    if (decision !== undefined) return decision;
    if (this.readLazily.has(id)) return patched(id);
    throw new Error(`patch ${id} is not in workflows/patches.ts PATCHES`);
  }
}
