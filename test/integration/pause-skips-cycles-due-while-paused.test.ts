// README "Messages": cycles that come due while paused are skipped, not billed late — wherever the
// pause was held (found by a fresh review of issue 13). A pause held inside a cycle (here: in
// dunning) used to bill every cycle that came due during the pause back to back on resume,
// because only the pause between cycles skipped. Cycles due before the pause are still billed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pauseSignal, resumeSignal, stateQuery } from '../../workflows/messages.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { ledger, newPermission, shortSpec, statusHistory } from '../support/subscriptions.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Each case has its own subscription and Charge Permission and waits on short intervals: they run
// side by side, except the one that injects a Create Charge refusal for any request (it.sequential).
describe.concurrent('cycles due while paused are skipped wherever the pause held', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  it('a pause held in dunning: on resume the dunning retry runs, the cycles due during the pause are skipped and recorded', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined'] });
    const spec = shortSpec('skip-in-dunning', cp, { seconds: 3, cycles: 20 });
    const anchorMs = Date.parse(`${spec.anchor.localDateTime}Z`);
    const dueAt = (cycle: number) => anchorMs + cycle * 3_000;
    const { handle } = await h.launch(spec, { dunningRetryDelaysMs: [4_000] });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'past_due',
      { what: 'past_due' },
    );
    await handle.signal(pauseSignal, { reason: 'operator hold' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'paused',
      { what: 'paused' },
    );
    await sleep(15_000);
    expect(await ledger(h, 'skip-in-dunning')).toHaveLength(1);
    const resumedAt = Date.now();
    await handle.signal(resumeSignal, { reason: 'go on' });

    // The dunning retry of cycle 0, then billing goes on with the first cycle due after the resume.
    const rows = await eventually(
      () => ledger(h, 'skip-in-dunning'),
      (r) => r.filter((c) => c.state === 'Captured' && dueAt(c.cycle) >= resumedAt - 1_000).length >= 2,
      { what: 'the retry and two cycles due after the resume captured', timeoutMs: 30_000 },
    );
    await handle.terminate('test cleanup');
    const captured = rows.filter((c) => c.state === 'Captured');
    expect(captured[0]).toMatchObject({ cycle: 0, attempt: 2 });
    // When the workflow paused (its own status write): on a loaded machine that can be after
    // cycle 1 was due, and a cycle due before the pause is owed, not skipped.
    const history = await statusHistory(h, 'skip-in-dunning');
    const pausedAt = history.find((e) => e.to === 'paused')!.at.getTime();
    const skipped = history.filter((e) => e.reason === 'cycles_skipped_while_paused');
    expect(skipped).toHaveLength(1);
    const { from, to } = skipped[0]!.detail as { from: number; to: number };
    // Skipped: the cycles due while paused (a second of slack either side for signal delivery).
    expect(dueAt(from)).toBeGreaterThanOrEqual(pausedAt - 1_000);
    expect(dueAt(to)).toBeLessThan(resumedAt + 1_000);
    expect(captured.filter((c) => c.cycle >= from && c.cycle <= to)).toEqual([]);
    // Owed: every cycle due before the pause, caught up after the retry.
    expect(captured.slice(1, from).map((c) => c.cycle)).toEqual(Array.from({ length: from - 1 }, (_, i) => i + 1));
    for (const c of captured.slice(1, from)) expect(dueAt(c.cycle)).toBeLessThan(pausedAt + 1_000);
    // Then the first cycle due after the resume, and each later one at its own due time, not caught up.
    const next = captured[from]!.cycle;
    expect(next).toBe(to + 1);
    expect(dueAt(next)).toBeGreaterThanOrEqual(resumedAt - 1_000);
    for (const c of captured.slice(from)) expect(c.completedAt!.getTime()).toBeGreaterThanOrEqual(dueAt(c.cycle));
  }, 90_000);

  it('cycles that came due before the pause (a long dunning) are still billed after it', async () => {
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['SoftDeclined'] });
    // 4 s cycles from the spec's anchor (a whole second 1-2 s from now): cycle 2 is due at
    // dueAt(2), cycle 3 at dueAt(2) + 4 s; dunning of cycle 0 waits 16 s. The pause goes in 1.3 s
    // after cycle 2 came due, seconds away from both the retry and cycle 3 (a loaded machine delays
    // a signal by a second or more). Timed from the anchor, not from the test's own clock reading:
    // the anchor rounds up, so it may be almost 2 s after that reading.
    const spec = shortSpec('catch-up-before-pause', cp, { seconds: 4, cycles: 4 });
    const dueAt = (cycle: number) => Date.parse(`${spec.anchor.localDateTime}Z`) + cycle * 4_000;
    const { handle } = await h.launch(spec, { dunningRetryDelaysMs: [16_000] });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'past_due' && s.nextRetryAt !== null,
      { what: 'past_due' },
    );
    await sleep(Math.max(0, dueAt(2) + 1_300 - Date.now()));
    await handle.signal(pauseSignal, { reason: 'operator hold' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'paused',
      { what: 'paused' },
    );
    await handle.signal(resumeSignal, { reason: 'go on' });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 4 });
    const captured = (await ledger(h, 'catch-up-before-pause')).filter((c) => c.state === 'Captured').map((c) => c.cycle);
    expect(captured).toEqual([0, 1, 2, 3]);
    expect((await statusHistory(h, 'catch-up-before-pause')).some((e) => e.reason === 'cycles_skipped_while_paused')).toBe(false);
  }, 60_000);

  it('a pause that arrives while a charge is in flight: the cycles already due before it are billed on resume, only those due during it are skipped', async () => {
    const id = 'pause-during-pending';
    const cp = await newPermission(h);
    await h.control.setScript(cp, { next: ['AuthorizationInitiated:Captured'] });
    const spec = shortSpec(id, cp, { seconds: 2, cycles: 12 });
    const dueAt = (cycle: number) => Date.parse(`${spec.anchor.localDateTime}Z`) + cycle * 2_000;
    const { handle } = await h.launch(spec, { usePendingAuthorization: true });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.statusReason === 'AuthorizationPending',
      { what: 'cycle 0 pending' },
    );
    // Cycles 1 and 2 come due while cycle 0's authorization is pending; then the operator pauses,
    // and only then does Amazon settle cycle 0.
    await sleep(Math.max(0, dueAt(2) + 700 - Date.now()));
    const pausedAt = Date.now();
    await handle.signal(pauseSignal, { reason: 'operator hold' });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.paused,
      { what: 'pause taken' },
    );
    await h.control.resolveCharge((await ledger(h, id))[0]!.chargeId!);
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.status === 'paused' && s.chargesMade === 1,
      { what: 'paused after cycle 0 was paid', timeoutMs: 20_000 },
    );
    await sleep(4_000);
    expect(await ledger(h, id)).toHaveLength(1);
    const resumedAt = Date.now();
    await handle.signal(resumeSignal, { reason: 'go on' });
    expect(await handle.result()).toMatchObject({ status: 'ended', cycle: 12 });

    const captured = (await ledger(h, id)).filter((r) => r.state === 'Captured').map((r) => r.cycle);
    expect(captured.slice(0, 3)).toEqual([0, 1, 2]);
    expect(captured.filter((c) => dueAt(c) >= pausedAt + 500 && dueAt(c) < resumedAt - 1_000)).toEqual([]);
    const skipped = (await statusHistory(h, id)).filter((e) => e.reason === 'cycles_skipped_while_paused').map((e) => e.detail);
    expect(skipped).toEqual([expect.objectContaining({ from: 3 })]);
  }, 90_000);

  it.sequential(
    'a pause held in needs_attention: the cycles due during it are skipped once the cycle is retried and paid',
    async () => {
      const cp = await newPermission(h);
      await h.control.setInjectedErrors([{ operation: 'createCharge', id: cp, status: 400, reasonCode: 'TransactionAmountExceeded', times: 1 }]);
      const spec = shortSpec('skip-in-attention', cp, { seconds: 2, cycles: 20 });
      const dueAt = (cycle: number) => Date.parse(`${spec.anchor.localDateTime}Z`) + cycle * 2_000;
      const { handle } = await h.launch(spec);
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'needs_attention',
        { what: 'needs_attention' },
      );
      await handle.signal(pauseSignal, { reason: 'operator hold' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'paused',
        { what: 'paused' },
      );
      const pausedAt = Date.now();
      await sleep(7_000);
      const resumedAt = Date.now();
      await handle.signal(resumeSignal, { reason: 'lift the pause' });
      await eventually(
        () => handle.query(stateQuery),
        (s) => s.status === 'needs_attention' && !s.paused,
        { what: 'needs_attention again' },
      );
      await handle.signal(resumeSignal, { reason: 'retry it' });
      const rows = await eventually(
        () => ledger(h, 'skip-in-attention'),
        (r) => r.filter((c) => c.state === 'Captured').length >= 2,
        { what: 'retry and the next cycle' },
      );
      await handle.terminate('test cleanup');
      const captured = rows.filter((c) => c.state === 'Captured');
      expect(captured[0]).toMatchObject({ cycle: 0, attempt: 2 });
      expect(captured.filter((c) => dueAt(c.cycle) >= pausedAt + 1_000 && dueAt(c.cycle) < resumedAt - 1_000).map((c) => c.cycle)).toEqual([]);
      expect((await statusHistory(h, 'skip-in-attention')).some((e) => e.reason === 'cycles_skipped_while_paused')).toBe(true);
    },
    60_000,
  );
});
