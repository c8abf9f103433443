import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { connectTestTemporal, createTestDatabase, uniqueTaskQueue, type TestDatabase, type TestTemporal } from '../support/integration.js';
import { createSmokeActivities } from './fixtures/smoke-activities.js';
import { smokeWorkflow } from './fixtures/smoke-workflows.js';

describe('the real stack', () => {
  let database: TestDatabase;
  let temporal: TestTemporal;

  beforeAll(async () => {
    [database, temporal] = await Promise.all([createTestDatabase(), connectTestTemporal()]);
  });
  afterAll(async () => {
    await temporal?.close();
    await database?.drop();
  });

  it('runs a workflow on the dev server whose activity writes to and reads from PostgreSQL', async () => {
    const taskQueue = uniqueTaskQueue('smoke');
    const worker = await Worker.create({
      connection: temporal.nativeConnection,
      namespace: temporal.namespace,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./fixtures/smoke-workflows.ts', import.meta.url)),
      activities: createSmokeActivities(database.db),
    });
    const result = await worker.runUntil(
      temporal.client.workflow.execute(smokeWorkflow, { taskQueue, workflowId: `smoke-${taskQueue}`, args: ['sub-smoke-1'] }),
    );
    expect(result).toEqual({ id: 'sub-smoke-1', status: 'active', amountMinor: '1400' });
    const [{ count }] = (await database.db.execute(sql`select count(*)::int as count from subscriptions`)) as unknown as [{ count: number }];
    expect(count).toBe(1);
  });

  it('has the schema migrated, with the ledger constraints in place', async () => {
    const rows = (await database.db.execute(sql`select indexname from pg_indexes where tablename = 'charges' order by indexname`)) as unknown as {
      indexname: string;
    }[];
    expect(rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining(['charges_cycle_attempt_key', 'charges_idempotency_key_key', 'charges_one_success_per_cycle']),
    );
  });

  it('registers the project search attributes on the dev server', async () => {
    const response = await temporal.client.connection.operatorService.listSearchAttributes({ namespace: temporal.namespace });
    expect(Object.keys(response.customAttributes ?? {})).toEqual(
      expect.arrayContaining(['SubscriptionId', 'ChargePermissionId', 'BillingStatus', 'NextBillingAt', 'BillingCycle']),
    );
  });
});
