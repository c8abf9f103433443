import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInboxRows } from '../../db/queries/ipn-inbox.js';
import type { Daemon } from '../../daemon/run.js';
import { eventually } from '../support/billing-harness.js';
import { createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { connectTestTemporal, startTestDaemon, startTestSimulator, uniqueTaskQueues, type SimulatorWithKeys } from './ipn-support.js';

function envelope(i: number): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: 'arn:aws:sns:us-east-1:000000000000:Load',
    Timestamp: new Date().toISOString(),
    // Permissions no subscription uses: each one is dispatched, handled and ignored without an Amazon call.
    Message: JSON.stringify({ ObjectType: 'CHARGE_PERMISSION', ObjectId: `S01-${String(i).padStart(7, '0')}-0000000`, NotificationId: randomUUID() }),
  });
}

async function deliver(url: string, body: string): Promise<number> {
  try {
    return (await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body, signal: AbortSignal.timeout(20_000) })).status;
  } catch {
    return 0; // connection refused or reset: SNS would deliver again
  }
}

describe('graceful shutdown under IPN load', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let sim: SimulatorWithKeys;
  let second: Daemon | undefined;
  const taskQueues = uniqueTaskQueues();

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    sim = await startTestSimulator();
  });
  afterAll(async () => {
    await second?.shutdown();
    await sim?.simulator.close();
    await temporal?.close();
    await database?.drop();
  });

  it('loses nothing: every IPN is either stored and 200d, or refused so the sender retries', { timeout: 200_000 }, async () => {
    const first = await startTestDaemon({ database, taskQueues, amazonPay: sim.amazonPay, signature: { mode: 'off' }, replica: 'first' });
    const bodies = Array.from({ length: 240 }, (_, i) => envelope(i));
    const results = new Array<number>(bodies.length).fill(-1);
    let next = 0;
    let answered = 0;
    let shutdown: Promise<void> | undefined;
    const senders = Array.from({ length: 12 }, async () => {
      while (next < bodies.length) {
        const i = next++;
        results[i] = await deliver(first.ipnUrl, bodies[i]!);
        answered += 1;
        // The SIGTERM handler's call, in the middle of the load.
        if (answered === 60) shutdown = first.shutdown();
      }
    });
    await Promise.all(senders);
    await shutdown;
    await first.done;

    const ok = results.flatMap((s, i) => (s === 200 ? [i] : []));
    const refused = results.flatMap((s, i) => (s !== 200 ? [i] : []));
    console.log(`[daemon-shutdown] ${ok.length} stored and acknowledged, ${refused.length} refused (statuses ${JSON.stringify([...new Set(results)])})`);
    expect(ok.length).toBeGreaterThanOrEqual(60);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((i) => results[i] === 0 || results[i]! >= 500)).toBe(true);

    const messageId = (i: number) => (JSON.parse(bodies[i]!) as { MessageId: string }).MessageId;
    const storedIds = new Set((await listInboxRows(database.db)).map((r) => r.messageId));
    for (const i of ok) expect(storedIds.has(messageId(i)), `acknowledged IPN ${i} must be stored`).toBe(true);

    // The sender retries what was refused against the restarted daemon; its sweep hands over whatever was left pending.
    second = await startTestDaemon({ database, taskQueues, amazonPay: sim.amazonPay, signature: { mode: 'off' }, replica: 'second' });
    for (const i of refused) expect(await deliver(second.ipnUrl, bodies[i]!)).toBe(200);
    await second.jobs.inboxRetry();
    const rows = await eventually(
      () => listInboxRows(database.db),
      (rs) => rs.length === bodies.length && rs.every((r) => r.status === 'ignored'),
      // A reaction the first daemon had taken but not finished is retried by the server once its
      // activity times out (1 minute), so allow for that on a loaded machine.
      { timeoutMs: 100_000, intervalMs: 500, what: 'every IPN stored and settled' },
    );
    expect(new Set(rows.map((r) => r.messageId))).toEqual(new Set(bodies.map((_, i) => messageId(i))));
  });
});
