// A Create Charge attempt whose start Temporal recorded but no worker ever ran — the task lost
// between the server and the worker (temporalio/temporal#11733; the billing-day benchmark saw
// one such charge go out two minutes late) — is retried after the heartbeat timeout, not after
// the attempt's whole start-to-close timeout, and charged once.
//
// The loss is made real: a poller of our own takes the charge's task from the dev server (the
// server records the attempt as started) and drops it, as a lost poll response would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { ledger, newPermission, shortSpec } from '../support/subscriptions.js';

describe('a charge attempt lost on its way to the worker', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness({ workers: false });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is retried after the heartbeat timeout and charged once', async () => {
    const cp = await newPermission(h);
    // The start-to-close timeout alone would retry it after 90 s.
    await h.launch(shortSpec('lost-start-1', cp, { seconds: 3600, firstInSeconds: 2, cycles: 1 }), {
      chargeAttemptTimeoutMs: 90_000,
      chargeHeartbeatTimeoutMs: 3_000,
    });

    // Our polls wait before the product's workers start, so the server (first come, first served)
    // hands the charge's task to one of them.
    const connection = h.temporal.client.connection;
    const abort = new AbortController();
    const polls = Array.from({ length: 8 }, () =>
      connection
        .withAbortSignal(abort.signal, () =>
          // A long poll needs a deadline (the server refuses one without); a worker's is about 70 s.
          connection.withDeadline(Date.now() + 70_000, () =>
            connection.workflowService.pollActivityTaskQueue({
              namespace: h.temporal.namespace,
              taskQueue: { name: h.taskQueues.charges },
              identity: 'lost-start-test',
            }),
          ),
        )
        .catch(() => null),
    );
    const taken = new Promise<{ at: number; task: NonNullable<Awaited<(typeof polls)[number]>> }>((resolve) => {
      for (const poll of polls) void poll.then((task) => task?.taskToken?.length && resolve({ at: Date.now(), task }));
    });
    await h.startWorkers();

    const { at, task } = await Promise.race([
      taken,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no charge task reached the test poller within 30 s')), 30_000)),
    ]);
    abort.abort();
    expect(task.activityType?.name).toBe('chargeCycle');
    expect(task.workflowExecution?.workflowId).toContain('lost-start-1');
    expect(task.attempt).toBe(1);
    expect(Number(task.heartbeatTimeout?.seconds ?? 0), 'the attempt has a heartbeat timeout').toBe(3);

    const rows = await eventually(
      () => ledger(h, 'lost-start-1'),
      (r) => r.some((row) => row.state === 'Captured'),
      { timeoutMs: 40_000, intervalMs: 200, what: 'the lost charge charged by a retry' },
    );
    const retriedAfterMs = Date.now() - at;
    expect(retriedAfterMs, 'charged well before the 90 s start-to-close timeout').toBeLessThan(30_000);
    expect(rows.map((r) => [r.cycle, r.attempt, r.state])).toEqual([[0, 1, 'Captured']]);
    const created = (await h.control.attempts()).attempts.filter((a) => a.idempotencyKey === rows[0]!.idempotencyKey);
    expect(created.map((a) => a.outcome)).toEqual(['Created']);
  });
});
