// The fault suite, reduced to seconds: 30 subscriptions × 2 cycles on the shared Temporal server
// (own task queues and database), the daemon in its own process SIGKILLed twice, the simulator
// answering 5xx and losing committed responses, three buyers closing their Charge Permission
// (cancelled through the IPN pipeline). Server and database restarts belong to `npm run chaos`.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChaos } from '../../bench/chaos-run.js';
import { newMerchantKey } from '../../bench/merchant-key.js';
import { createSimulatorControl } from '../../simulator/control-client.js';
import { startSimulator, type Simulator } from '../../simulator/server.js';
import { connectTestTemporal, createTestDatabase, type TestDatabase, type TestTemporal } from '../support/integration.js';

describe('reduced fault run', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;
  let simulator: Simulator;
  let workDir: string;
  const key = newMerchantKey();

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
    simulator = await startSimulator({
      publicKeys: { [key.publicKeyId]: key.publicKeyPem },
      throttle: { table: 'off' },
      seed: 11,
      pendingDelayMs: 60 * 60_000,
    });
    workDir = await mkdtemp(join(tmpdir(), 'chaos-reduced-'));
  });
  afterAll(async () => {
    await simulator?.close();
    await temporal?.close();
    await database?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('charges every due cycle exactly once through kills, 5xx and lost responses, and nothing after a close', async () => {
    const report = await runChaos(
      {
        temporalAddress: () => temporal.address,
        databaseUrl: database.url,
        db: database.db,
        client: temporal.client,
        control: createSimulatorControl(simulator.url),
        simulatorUrl: simulator.url,
        key,
        ipnPublicKeyPem: simulator.ipnSigningPublicKeyPem,
        workDir,
      },
      {
        tag: `chaos-r-${randomBytes(3).toString('hex')}`,
        subscriptions: 30,
        cycles: 2,
        intervalSeconds: 6,
        kills: 2,
        // Early in the day: the replacement's timers, retries and recovered activities still have cycles to charge.
        killWindow: [0, 0.6],
        closeFraction: 0.1,
        faults: { error500Rate: 0.05, error503Rate: 0.05, responseLostRate: 0.1, responseLostMode: 'status500' },
        quota: { burst: 10, ratePerSecond: 20 },
        hardThrottle: false,
        // Settles in about 60 s here; the rest is slack for a loaded 2-core CI machine (IPN redeliveries back off).
        durationSeconds: 130,
        seed: 11,
        say: () => {},
      },
    );
    expect(report.injected.workerKills).toBe(2);
    // Only the kills the run made: a worker that died by itself would be restarted silently.
    expect(report.unexpectedWorkerExitDetails.join('\n---\n')).toBe('');
    expect(report.unexpectedWorkerExits).toBe(0);
    // The faults really happened: some 5xx were injected, and charges Amazon committed but whose
    // response was lost were asked again under the same key and replayed (the dangerous fault).
    const injected = (report.injected.byOutcome.InjectedInternalServerError ?? 0) + (report.injected.byOutcome.InjectedServiceUnavailable ?? 0);
    expect(injected).toBeGreaterThan(0);
    expect(report.injected.byOutcome.Replayed ?? 0).toBeGreaterThan(0);
    if (report.check.violations.length > 0) process.stderr.write(`VIOLATIONS ${JSON.stringify(report.check.violations)}\n`);
    expect(report.check.violations.join('\n')).toBe('');
    // The webhook invariant (before `settled`, which waits for every delivery, so a lost event is named): one event per ledger and status change, no gap, every event at the run's receiver.
    if (report.events.violations.length > 0) process.stderr.write(`EVENT VIOLATIONS ${JSON.stringify(report.events.violations)}\n`);
    expect(report.events.violations.join('\n')).toBe('');
    expect(report.events).toMatchObject({ sequenceGaps: 0, chargeEventMismatches: 0, statusEventMismatches: 0, undelivered: 0 });
    // started, a charge.succeeded per paid cycle and an end per subscription at least.
    expect(report.events.events).toBeGreaterThanOrEqual(30 * 2 + 27 * 2);
    expect(report.settled).toBe(true);
    expect(report.check.duplicates).toBe(0);
    expect(report.check.misses).toBe(0);
    expect(report.check.closed).toBe(3);
    const { ipnReaction, ownCheck, term } = report.check.closedBy;
    expect(ipnReaction + ownCheck + term).toBe(3);
    // Nothing tried on a closed permission once the daemon had handled its close (the simulator
    // refuses such charges, so counting charges alone could not fail).
    expect(report.check.attemptsAfterCancel).toBe(0);
    expect(report.check.chargesAfterClose).toBe(0);
    expect(report.check.chargesMade).toBeGreaterThanOrEqual(27 * 2);
  }, 180_000);
});
