// Every patched() id the workflows use, in one place: what each changed, when it was added, and
// when it can go. Workflow code reads a patch only as rt.patched(ID) with these constants
// (test/unit/workflows/patches.test.ts fails on a string literal, an id missing here, an id
// here nobody uses, or Temporal's patched() called anywhere but workflows/patch-decisions.ts).
// A run decides its patches at its start (workflows/patch-decisions.ts). A run-start marker
// (`runStart: true`: PATCHES_DECIDED_AT_RUN_START, PATCHES_DECIDED_AT_RUN_START_2) stands for every
// entry above it: a new run records only the newest one. An entry added below the newest is decided,
// with its own marker, at the start of each run. Add new entries at the end.
//
// The lifecycle of a patch (Temporal, "Versioning — patching"; docs/versioning.md):
//   1. patched(ID): new runs take the new branch (and record a marker at their start); a run
//      recorded before the change, without the marker, keeps the old branch until it continues as new.
//   2. deprecatePatch(ID), old branch deleted: once no open run holds history from before the
//      patch was deployed, i.e. no open run started before that deploy.
//   3. the call removed: once no open run started before the deploy of step 2.
// Subscriptions continue as new every `policy.continueAsNewEveryCycles` settled cycles
// (BOUNDED_CONTINUE_AS_NEW, 12 by default), so a run is at most that many cycles old: "no open
// run started before deploy D" becomes true about 12 billing intervals after D (a year for a
// monthly plan). Check it before each step with a visibility query (docs/versioning.md):
//   ExecutionStatus = "Running" AND StartTime < "<deploy time of the step before>"
// Runs that wait without settling cycles (needs_attention or unpaid until an admin acts, an
// operator's pause) do not reach the bound: that query lists them too.
// No patch below has been deployed-and-drained on record, so every one is still at step 1.

/** Status writes moved from a regular activity to a local activity (no task-queue round trip, one workflow task less per write). */
export const STATUS_WRITES_AS_LOCAL_ACTIVITIES = 'status-writes-as-local-activities';
/** A paid charge's activity also writes the subscription's next status (one status write less per paid cycle). */
export const CHARGE_RECORDS_NEXT_STATUS = 'charge-records-next-status';
/** A hard decline is retried only on evidence of a fix, not on any Chargeable check. */
export const PAYMENT_METHOD_FIX_NEEDS_EVIDENCE = 'payment-method-fix-needs-evidence';
/** A failed activity waits in needs_attention for a retry instead of failing the execution. */
export const FAILED_CALLS_WAIT_FOR_RETRY = 'failed-calls-wait-for-retry';
/** Plan changes decide their first cycle and write it under the plan lock; an unchanged interval is not rebased. */
export const PLAN_CHANGE_EXCLUSIVE = 'plan-change-exclusive';
/** An operator's pause holds dunning; a resume that lifts a pause is not also a retry. */
export const PAUSE_HOLDS_DUNNING = 'pause-holds-dunning';
/**
 * The payment-method grace period runs from the cycle's first hard decline, and a fix is only
 * what Amazon's Get Charge Permission shows changed (NonChargeable → Chargeable, a new payment
 * descriptor) or an operator's resume, never the arrival of an IPN.
 */
export const FIX_EVIDENCE_FROM_AMAZON = 'payment-method-fix-from-amazon';
/** A monthly-cap refusal the next month cannot fix goes to needs_attention. */
export const MONTHLY_CAP_BOUNDED = 'monthly-cap-bounded';
/**
 * An operator's pause holds every wait of a cycle, not only dunning's: the payment-method grace
 * period (its clock stops: the grace ends as much later as the pause lasted), the monthly-cap
 * wait, needs_attention/unpaid and the final action. Each shows `paused` meanwhile; resume
 * continues where it stood.
 */
export const PAUSE_HOLDS_EVERY_WAIT = 'pause-holds-every-wait';
/** An operator's pause holds a failed call's automatic retries too; the resume that lifts the pause retries it at once. */
export const UNPAUSE_RETRIES_FAILED_CALL = 'unpause-retries-failed-call';
/** A plan whose cycles in one calendar month add up past the monthly cap goes to needs_attention at its first refusal. */
export const MONTHLY_CAP_COUNTS_CYCLES = 'monthly-cap-counts-cycles';
/**
 * A charge waiting its turn (call spacing, a task queue backlog, a restarted worker) is not sent
 * once a stop "now" is recorded in PostgreSQL; the run ends canceled with the stop's reason.
 * Added with the stop record (client/subscriptions/stop-now.ts), 2026-11-29.
 */
export const CHARGE_NOT_SENT_AFTER_STOP = 'charge-not-sent-after-stop';
/**
 * A subscription continues as new after `policy.continueAsNewEveryCycles` settled cycles (12 by
 * default), between cycles, not only when the server suggests it; a stop that arrives while
 * handlers finish ends the run instead of being dropped at the continue-as-new.
 */
export const BOUNDED_CONTINUE_AS_NEW = 'bounded-continue-as-new';

/**
 * A status write is skipped only when the row already says it (the last written status), not
 * when the subscription merely showed it: after a status the database could not take, the next
 * write of it goes to the database.
 */
export const STATUS_WRITES_FOLLOW_LAST_WRITTEN = 'status-writes-follow-last-written';
/** A plan change is written by its own activity (recordPlanChange), not as a side effect of recording an event. */
export const PLAN_CHANGE_WRITTEN_EXPLICITLY = 'plan-change-written-explicitly';
/** Cycles that came due inside any operator's pause (wherever it was held) are skipped, not billed late on resume. */
export const SKIP_CYCLES_DUE_IN_ANY_PAUSE = 'skip-cycles-due-in-any-pause';
/** A failed call is shown over the workflow's own status; recovery writes the status the workflow holds then, not a snapshot. */
export const FAILED_CALL_SHOWN_OVER_OWN_STATUS = 'failed-call-shown-over-own-status';
/** A run started by `billing repair` in unpaid/payment_method_required starts in that wait (CarriedState.restoredWait). */
export const REPAIR_RESTORES_WAIT = 'repair-restores-wait';
/**
 * A cycle already due when an operator's pause began (a charge was in flight, a pending
 * authorization, downtime) is held by the pause like any wait of a cycle and charged on resume;
 * only cycles due inside the pause are skipped. Before it, the resume skipped every cycle due before it.
 */
export const CYCLE_DUE_BEFORE_PAUSE_BILLED = 'cycle-due-before-pause-billed';
/** A run started by `billing repair` paused inside a restored wait shows `paused` first (no write of the wait before it) and the pause holds the wait. */
export const REPAIR_RESTORES_PAUSED_WAIT = 'repair-restores-paused-wait';
/**
 * Every other patch is decided once, at the start of the run, and its marker recorded in the
 * run's first workflow task (workflows/patch-decisions.ts): a patch first read right after a local
 * activity could otherwise land in a history the SDK's replay cannot follow. A run from before it
 * reads each patch where it is first reached, as it did.
 */
export const PATCHES_DECIDED_AT_RUN_START = 'patches-decided-at-run-start';
/**
 * What an IPN's fetch showed (a permissionStatus signal with evidenceOfChange: a new card, or
 * Chargeable after NonChargeable) is weighed on its own, as soon as it arrives — also during the
 * status write or the baseline fetch that start the payment-method wait — and even when a routine
 * check Amazon answered before it is delivered after it and overwrites the noted permission.
 * Before, such a fix waited for the next routine check (`paymentMethodCheckIntervalMs`) to see it.
 */
export const FIX_EVIDENCE_SURVIVES_OLDER_CHECK = 'fix-evidence-survives-older-check';
/**
 * Timers say in the Web UI what they wait for ("cycle 12 due 2026-12-28 09:00 America/New_York"):
 * a summary in the TimerStarted event's user metadata (workflows/ui-metadata.ts).
 */
export const TIMER_SUMMARIES = 'timer-summaries';
/**
 * After a hard decline, a new card is measured against the payment descriptor the run knew before
 * the charge was sent (from an earlier check or IPN), not only against the first fetch after the
 * decline: a buyer who changed the card between the decline and that fetch (the status write and
 * a slow answer widen the window) was otherwise taken as "no change" and the cycle waited out its
 * whole grace period. A first fetch that already shows a different card retries at once.
 */
export const BASELINE_FROM_BEFORE_ATTEMPT = 'fix-baseline-from-before-attempt';
/**
 * The charge made at checkout (cycle 0) is recorded in the state Amazon Pay's Get Charge gives it
 * and finished before billing goes on (workflows/checkout-charge.ts): an Authorized one is
 * captured, a pending one waited for, a declined or expired one leaves cycle 0 to bill through
 * dunning. Before, every checkout charge was written as Captured and cycle 0 taken as paid.
 */
export const CHECKOUT_CHARGE_AS_AMAZON_HAS_IT = 'checkout-charge-as-amazon-has-it';
/**
 * A Create Charge attempt has a heartbeat timeout (policy.chargeHeartbeatTimeoutMs, default 20 s)
 * and heartbeats while it runs: an attempt the server recorded as started but no worker ever ran
 * (a task start lost between Temporal's matching and history services under load,
 * temporalio/temporal#11733) is retried after the heartbeat timeout instead of the whole
 * start-to-close timeout (2 minutes): the benchmark's billing days saw such a charge go out 2
 * minutes late.
 */
export const CHARGE_ATTEMPT_HEARTBEAT = 'charge-attempt-heartbeat';
/**
 * No Create Charge at or after the Charge Permission's expirationTimestamp (SubscriptionWorkflowInput
 * .permissionExpiresAt): the cycle due then ends the subscription, status ended, reason
 * ChargePermissionExpired. Before, an expired permission was charged and refused by Amazon Pay.
 */
export const NO_CHARGE_AFTER_PERMISSION_EXPIRY = 'no-charge-after-permission-expiry';
/**
 * A routine Get Charge Permission check that an IPN's evidence (a permissionStatus signal with
 * evidenceOfChange) overtook while it was in flight does not replace that evidence as the noted
 * permission (SubscriptionRuntime.checkPermission): Amazon may have answered the check before what
 * the evidence reports. Before, a check answered Chargeable just before a NonChargeable IPN landed
 * after it, counted as the fix, and the cycle was retried against the NonChargeable permission
 * (a second decline). A Closed or NotFound answer is still taken: the end is final.
 */
export const CHECK_YIELDS_TO_NEWER_EVIDENCE = 'check-yields-to-newer-evidence';
/**
 * The run keeps the latest expirationTimestamp it knows (the input's, then every Get Charge
 * Permission answer it notes: its own checks and permissionStatus signals) and carries it across
 * continue-as-new. A cycle due at or after it asks Amazon first (Get Charge Permission) and ends
 * the subscription (ended, ChargePermissionExpired) only when the answer confirms the expiry has
 * passed; a later expiry or none is noted and the cycle charged. A Create Charge refused for the
 * permission's state whose re-read shows the expiry passed (one that appeared or moved earlier
 * after start) ends it the same way instead of waiting in needs_attention. Before, the expiry read
 * at start was final: a permission Amazon had extended ended at the stale date.
 */
export const PERMISSION_EXPIRY_ASKED_OF_AMAZON = 'permission-expiry-asked-of-amazon';
/**
 * A stop carries its final status explicitly: a Charge Permission Amazon reports Closed with reason
 * Expired — from the run's own Get Charge Permission answers (SubscriptionRuntime.notePermission) or
 * from a cancel signal whose `status` is `ended` (the IPN reaction and reconciliation,
 * billing/permission-end.ts), also through a charge not sent after the recorded stop — ends the
 * subscription ended, reason ChargePermissionExpired, like the run's own expiry check. Before, every
 * stop ended it canceled, a Closed/Expired permission with reason Expired.
 */
export const STOP_CARRIES_FINAL_STATUS = 'stop-carries-final-status';
/**
 * A second run-start marker (workflows/patch-decisions.ts): a run that records it takes every patch
 * registered before it — PATCHES_DECIDED_AT_RUN_START and the nine after it, FIX_EVIDENCE_SURVIVES_OLDER_CHECK
 * to STOP_CARRIES_FINAL_STATUS — without a marker of its own. Before it, each new run recorded ten
 * markers and, for each, sdk-core's TemporalChangeVersion search attribute upsert: 20 of the 28
 * events of a sleeping subscription, paid at every start and continue-as-new (docs/benchmarks.md).
 * A run recorded before it decides each of the nine at its start, as it did.
 */
export const PATCHES_DECIDED_AT_RUN_START_2 = 'patches-decided-at-run-start-2';

export interface PatchEntry {
  id: string;
  /** The file whose patched() call reads it. */
  usedIn: string[];
  /** The commit that added it (short hash) and its date (UTC). */
  added: { commit: string; date: string };
  /** Where it stands: every patch here is at step 1 (patched) until a deploy is on record. */
  step: 'patched' | 'deprecated';
  /**
   * A run-start marker: a run that records it took every entry above it without their own markers,
   * so those entries stay as they are (none added, removed or moved above it). A new run records
   * only the newest one (workflows/patch-decisions.ts).
   */
  runStart?: true;
  /**
   * Recorded histories (test/replay/histories) that replay the old branch (no marker) and the
   * new one (marker); the old ones are deleted together with the old branch at step 2.
   */
  histories: { before: string[]; after: string[] };
}

/**
 * The registry, oldest first. Deprecate (step 2) when no open run started before the patch was
 * deployed; remove (step 3) when no open run started before the deprecation was deployed. With
 * the default bound both come about 12 billing intervals after the deploy (see above).
 */
export const PATCHES: readonly PatchEntry[] = [
  {
    id: PAYMENT_METHOD_FIX_NEEDS_EVIDENCE,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: 'cbe8dd5', date: '2026-11-28' },
    step: 'patched',
    histories: { before: ['before-local-status-dunning.json'], after: ['dunning.json', 'hard-decline-grace-from-first.json', 'pause-in-grace.json'] },
  },
  {
    id: STATUS_WRITES_AS_LOCAL_ACTIVITIES,
    usedIn: ['workflows/runtime.ts'],
    added: { commit: '811a33f', date: '2026-11-28' },
    step: 'patched',
    histories: {
      before: ['before-local-status-completed.json', 'before-local-status-messages.json', 'before-local-status-cancelled.json'],
      after: ['completed.json', 'messages.json', 'cancelled.json'],
    },
  },
  {
    id: CHARGE_RECORDS_NEXT_STATUS,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: '09c4810', date: '2026-11-28' },
    step: 'patched',
    histories: {
      before: ['before-local-status-completed.json', 'before-local-status-continued-as-new-run1.json'],
      after: ['completed.json', 'continued-as-new-run1.json'],
    },
  },
  {
    id: FAILED_CALLS_WAIT_FOR_RETRY,
    usedIn: ['workflows/guarded-calls.ts'],
    added: { commit: '9f9b313', date: '2026-11-29' },
    step: 'patched',
    histories: { before: [], after: ['failed-amazon-read.json', 'failed-local-call.json', 'pause-failed-call.json'] },
  },
  {
    id: PLAN_CHANGE_EXCLUSIVE,
    usedIn: ['workflows/subscription.ts'],
    added: { commit: 'b260150', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['messages.json'], after: ['plan-change-locked.json'] },
  },
  {
    id: PAUSE_HOLDS_DUNNING,
    usedIn: ['workflows/runtime.ts', 'workflows/settle-cycle.ts'],
    added: { commit: 'c8f6c31', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['dunning.json', 'messages.json'], after: ['pause-in-dunning.json'] },
  },
  {
    id: FIX_EVIDENCE_FROM_AMAZON,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: 'c8f6c31', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['dunning.json'], after: ['hard-decline-grace-from-first.json', 'pause-in-grace.json'] },
  },
  {
    id: MONTHLY_CAP_BOUNDED,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: 'c8f6c31', date: '2026-11-29' },
    step: 'patched',
    histories: { before: [], after: ['monthly-cap-above-limit.json', 'pause-in-cap-wait.json', 'monthly-cap-plan-total.json'] },
  },
  {
    id: PAUSE_HOLDS_EVERY_WAIT,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: 'ae93799', date: '2026-11-29' },
    step: 'patched',
    histories: {
      before: ['hard-decline-grace-from-first.json', 'monthly-cap-above-limit.json'],
      after: ['pause-in-grace.json', 'pause-in-cap-wait.json', 'monthly-cap-plan-total.json'],
    },
  },
  {
    id: UNPAUSE_RETRIES_FAILED_CALL,
    usedIn: ['workflows/guarded-calls.ts'],
    added: { commit: 'd39b445', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['failed-amazon-read.json', 'failed-local-call.json'], after: ['pause-failed-call.json'] },
  },
  {
    id: MONTHLY_CAP_COUNTS_CYCLES,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: 'ae93799', date: '2026-11-29' },
    step: 'patched',
    histories: { before: [], after: ['monthly-cap-plan-total.json'] },
  },
  {
    id: BOUNDED_CONTINUE_AS_NEW,
    usedIn: ['workflows/continue-as-new.ts'],
    added: { commit: 'c844341', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['continued-as-new-run1.json'], after: ['continued-as-new.v2-run1.json', 'bounded-continue-as-new.v1-run1.json'] },
  },
  {
    id: STATUS_WRITES_FOLLOW_LAST_WRITTEN,
    usedIn: ['workflows/runtime.ts'],
    added: { commit: 'a2fca3b', date: '2026-11-29' },
    step: 'patched',
    histories: { before: [], after: ['status-write-unrecorded.json'] },
  },
  {
    id: PLAN_CHANGE_WRITTEN_EXPLICITLY,
    usedIn: ['workflows/subscription.ts'],
    added: { commit: 'd76440a', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['plan-change-locked.json'], after: ['plan-change-written-explicitly.json'] },
  },
  {
    id: SKIP_CYCLES_DUE_IN_ANY_PAUSE,
    usedIn: ['workflows/subscription.ts'],
    added: { commit: 'ab2ad5a', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['pause-in-dunning.json'], after: ['pause-skips-cycles-due.json'] },
  },
  {
    id: FAILED_CALL_SHOWN_OVER_OWN_STATUS,
    usedIn: ['workflows/guarded-calls.ts'],
    added: { commit: '34f034e', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['pause-failed-call.json'], after: ['handler-failed-call.json'] },
  },
  {
    id: REPAIR_RESTORES_WAIT,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: '5424475', date: '2026-11-29' },
    step: 'patched',
    histories: { before: [], after: ['repair-restored-unpaid.json'] },
  },
  {
    id: CHARGE_NOT_SENT_AFTER_STOP,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: '30e2bd2', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['cancelled.v2.json'], after: ['charge-not-sent-after-stop.v1.json'] },
  },
  {
    id: CYCLE_DUE_BEFORE_PAUSE_BILLED,
    usedIn: ['workflows/subscription.ts'],
    added: { commit: '9690c28', date: '2026-11-29' },
    step: 'patched',
    histories: { before: [], after: ['pause-during-charge-in-flight.v1.json'] },
  },
  {
    id: REPAIR_RESTORES_PAUSED_WAIT,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: '9690c28', date: '2026-11-29' },
    step: 'patched',
    histories: { before: ['repair-restored-unpaid.json'], after: ['repair-restored-paused-unpaid.v1.json'] },
  },
  {
    id: PATCHES_DECIDED_AT_RUN_START,
    usedIn: ['workflows/patch-decisions.ts'],
    runStart: true,
    added: { commit: 'e029fe1', date: '2026-11-30' },
    step: 'patched',
    histories: {
      before: ['completed.v2.json', 'dunning.v2.json', 'messages.v2.json', 'cancelled.v2.json', 'handler-failed-call.json'],
      after: [
        'completed.v3.json',
        'dunning.v3.json',
        'messages.v3.json',
        'cancelled.v3.json',
        'continued-as-new.v3-run1.json',
        'continued-as-new.v3-run2.json',
        'failed-amazon-read.v2.json',
        'failed-local-call.v2.json',
        'plan-change-locked.v2.json',
        'pause-in-dunning.v2.json',
        'hard-decline-grace-from-first.v2.json',
        'monthly-cap-above-limit.v2.json',
        'pause-in-grace.v2.json',
        'pause-in-cap-wait.v2.json',
        'pause-failed-call.v2.json',
        'monthly-cap-plan-total.v2.json',
        'plan-change-written-explicitly.v2.json',
        'pause-skips-cycles-due.v2.json',
        'handler-failed-call.v2.json',
        'charge-not-sent-after-stop.v2.json',
        'repair-restored-unpaid.v2.json',
        'pause-during-charge-in-flight.v2.json',
        'repair-restored-paused-unpaid.v2.json',
        'bounded-continue-as-new.v2-run1.json',
        'bounded-continue-as-new.v2-run2.json',
        'pending-authorization.v2.json',
        'unknown-outcome-resume.v2.json',
        'monthly-cap-wait.v2.json',
        'dunning-exhausted-unpaid.v2.json',
        'grace-expiry-close-permission.v2.json',
        'periodic-permission-check.v2.json',
      ],
    },
  },
  {
    id: FIX_EVIDENCE_SURVIVES_OLDER_CHECK,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: 'fc11af4', date: '2026-11-30' },
    step: 'patched',
    histories: { before: ['dunning.v3.json'], after: ['dunning.v4.json'] },
  },
  {
    id: TIMER_SUMMARIES,
    usedIn: ['workflows/runtime.ts'],
    added: { commit: 'b165416', date: '2026-11-30' },
    step: 'patched',
    histories: {
      before: ['completed.v3.json', 'dunning.v4.json', 'pending-authorization.v2.json'],
      after: ['completed.v4.json', 'dunning.v5.json', 'pending-authorization.v3.json'],
    },
  },
  {
    id: BASELINE_FROM_BEFORE_ATTEMPT,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: '45fd94f', date: '2026-11-30' },
    step: 'patched',
    histories: { before: ['dunning.v5.json'], after: ['dunning.v6.json'] },
  },
  {
    id: CHECKOUT_CHARGE_AS_AMAZON_HAS_IT,
    usedIn: ['workflows/subscription.ts'],
    added: { commit: '05a59ba', date: '2026-11-30' },
    step: 'patched',
    histories: { before: ['completed.v4.json'], after: ['checkout-authorized-capture.v1.json', 'checkout-pending-declined.v1.json'] },
  },
  {
    id: CHARGE_ATTEMPT_HEARTBEAT,
    usedIn: ['workflows/subscription.ts'],
    added: { commit: 'a9d98fb', date: '2026-11-30' },
    step: 'patched',
    histories: { before: ['completed.v4.json'], after: ['completed.v5.json'] },
  },
  {
    id: NO_CHARGE_AFTER_PERMISSION_EXPIRY,
    usedIn: ['workflows/settle-cycle.ts'],
    added: { commit: '12acf31', date: '2026-11-30' },
    step: 'patched',
    histories: { before: ['completed.v4.json'], after: ['permission-expired.v1.json'] },
  },
  {
    id: CHECK_YIELDS_TO_NEWER_EVIDENCE,
    usedIn: ['workflows/runtime.ts'],
    added: { commit: '58e4ed7', date: '2026-11-30' },
    step: 'patched',
    histories: { before: ['dunning.v6.json'], after: ['dunning.v7.json'] },
  },
  {
    id: PERMISSION_EXPIRY_ASKED_OF_AMAZON,
    usedIn: ['workflows/settle-cycle.ts', 'workflows/continue-as-new.ts'],
    added: { commit: '95e6573', date: '2026-11-30' },
    step: 'patched',
    histories: {
      before: ['permission-expired.v1.json'],
      after: ['permission-expired.v2-run1.json', 'permission-expired.v2-run2.json', 'permission-expiry-refused.v1.json'],
    },
  },
  {
    id: STOP_CARRIES_FINAL_STATUS,
    usedIn: ['workflows/runtime.ts', 'workflows/settle-cycle.ts'],
    added: { commit: '2d1ae0d', date: '2026-11-30' },
    step: 'patched',
    histories: {
      before: ['cancelled.v3.json', 'permission-expiry-refused.v1.json'],
      after: ['permission-closed-expired.v1.json', 'permission-closed-expired-stop.v1.json'],
    },
  },
  {
    id: PATCHES_DECIDED_AT_RUN_START_2,
    usedIn: ['workflows/patch-decisions.ts'],
    runStart: true,
    added: { commit: 'a30645c', date: '2026-12-01' },
    step: 'patched',
    histories: {
      before: [
        'completed.v5.json',
        'continued-as-new.v3-run1.json',
        'continued-as-new.v3-run2.json',
        'bounded-continue-as-new.v2-run1.json',
        'bounded-continue-as-new.v2-run2.json',
        'dunning.v7.json',
        'dunning-exhausted-unpaid.v2.json',
        'pending-authorization.v3.json',
        'unknown-outcome-resume.v2.json',
        'monthly-cap-wait.v2.json',
        'grace-expiry-close-permission.v2.json',
        'periodic-permission-check.v2.json',
        'messages.v3.json',
        'cancelled.v3.json',
        'permission-expired.v2-run1.json',
        'permission-expired.v2-run2.json',
        'permission-expiry-refused.v1.json',
        'permission-closed-expired.v1.json',
        'permission-closed-expired-stop.v1.json',
        'failed-amazon-read.v2.json',
        'pause-in-grace.v2.json',
        'handler-failed-call.v2.json',
        'charge-not-sent-after-stop.v2.json',
        'pause-during-charge-in-flight.v2.json',
        'repair-restored-paused-unpaid.v2.json',
        'checkout-authorized-capture.v1.json',
      ],
      after: [
        'completed.v6.json',
        'continued-as-new.v4-run1.json',
        'continued-as-new.v4-run2.json',
        'bounded-continue-as-new.v3-run1.json',
        'bounded-continue-as-new.v3-run2.json',
        'dunning.v8.json',
        'dunning-exhausted-unpaid.v3.json',
        'pending-authorization.v4.json',
        'unknown-outcome-resume.v3.json',
        'monthly-cap-wait.v3.json',
        'grace-expiry-close-permission.v3.json',
        'periodic-permission-check.v3.json',
        'messages.v4.json',
        'cancelled.v4.json',
        'permission-expired.v3-run1.json',
        'permission-expired.v3-run2.json',
        'permission-expiry-refused.v2.json',
        'permission-closed-expired.v2.json',
        'permission-closed-expired-stop.v2.json',
        'failed-amazon-read.v3.json',
        'pause-in-grace.v3.json',
        'handler-failed-call.v3.json',
        'charge-not-sent-after-stop.v3.json',
        'pause-during-charge-in-flight.v3.json',
        'repair-restored-paused-unpaid.v3.json',
        'checkout-authorized-capture.v2.json',
      ],
    },
  },
];

/**
 * Histories recorded on today's code, one per major path of a cycle (docs/versioning.md): what a
 * run started today looks like — the newest run-start marker (PATCHES_DECIDED_AT_RUN_START_2) in its
 * first workflow task, standing for every patch before it. A run can also hold an older combination —
 * an older run-start marker and the patches after it, a history recorded before a patch (PATCHES'
 * `before`), or one that crossed a deploy (older parts without a marker, newer parts with) — and the
 * replay test replays every committed history. Some other paths (failed calls, a pause in grace or
 * while a charge is in flight, repairs, a stop before the send, the checkout charge) were recorded
 * again with today's code too: PATCHES_DECIDED_AT_RUN_START_2's `after`.
 */
export const HISTORIES_WITH_TODAYS_PATCHES: Readonly<Record<string, readonly string[]>> = {
  'plain billing': ['completed.v6.json'],
  'continue-as-new at the default bound (12 cycles)': ['continued-as-new.v4-run1.json', 'continued-as-new.v4-run2.json'],
  'continue-as-new at a configured bound (3 cycles)': ['bounded-continue-as-new.v3-run1.json', 'bounded-continue-as-new.v3-run2.json'],
  'dunning, then a hard decline fixed by a new payment method': ['dunning.v8.json'],
  'dunning past its last step, final action mark_unpaid, resume': ['dunning-exhausted-unpaid.v3.json'],
  'pending authorization resolved by polling': ['pending-authorization.v4.json'],
  'unknown outcome, then a resume with the same key': ['unknown-outcome-resume.v3.json'],
  'monthly-cap wait until the reset': ['monthly-cap-wait.v3.json'],
  'grace expiry, final action cancel_and_close_permission': ['grace-expiry-close-permission.v3.json'],
  'periodic permission check (NonChargeable, then Chargeable)': ['periodic-permission-check.v3.json'],
  'plan change, pause and resume': ['messages.v4.json'],
  cancelled: ['cancelled.v4.json'],
  'Charge Permission expiry extended by Amazon, carried across continue-as-new, then confirmed': [
    'permission-expired.v3-run1.json',
    'permission-expired.v3-run2.json',
  ],
  'Charge Permission expiry set after start: the charge refused for it ends the subscription': ['permission-expiry-refused.v2.json'],
  'Charge Permission closed as Expired, seen by the run itself: ended ChargePermissionExpired': ['permission-closed-expired.v2.json'],
  'Charge Permission closed as Expired, stopped by the IPN reaction (cancel signal with status ended)': ['permission-closed-expired-stop.v2.json'],
};
