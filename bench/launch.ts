// Seeding a benchmark: Charge Permissions in the simulator (as buyers would create them at
// checkout) and subscriptions started through the product's own launchSubscription.
import { Client, Connection } from '@temporalio/client';
import pMap from 'p-map';
import type { SubscriptionSpec } from '../billing/types.js';
import { launchSubscription, type LaunchContext } from '../client/launch.js';
import { DEFAULT_BILLING_POLICY } from '../config/policy.js';
import type { Database } from '../db/client.js';
import type { SimulatorControl } from '../simulator/control-client.js';
import type { BillingPolicy } from '../workflows/types.js';

export async function createPermissions(control: SimulatorControl, count: number, concurrency = 16): Promise<string[]> {
  return pMap(
    Array.from({ length: count }, (_v, i) => i),
    async () => {
      const { chargePermission } = await control.createChargePermission({ type: 'Recurring', currency: 'USD' });
      return chargePermission.chargePermissionId;
    },
    { concurrency },
  );
}

/** A yearly plan anchored at `anchorMs` (UTC, whole seconds): each subscription is due once at T0. */
export function yearlySpec(id: string, chargePermissionId: string, anchorMs: number, afterCycles?: number): SubscriptionSpec {
  return {
    id,
    chargePermissionId,
    plan: { amountMinor: '1000', currency: 'USD', interval: { unit: 'year', count: 1 } },
    anchor: { localDateTime: new Date(anchorMs).toISOString().slice(0, 19), zone: 'UTC' },
    ...(afterCycles === undefined ? {} : { end: { afterCycles } }),
  };
}

export interface BenchClient {
  client: Client;
  close(): Promise<void>;
}

export async function connectClient(address: string): Promise<BenchClient> {
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection, namespace: 'default' }), close: () => connection.close() };
}

export function launchContext(db: Database, client: Client, taskQueues: LaunchContext['taskQueues'], policy: Partial<BillingPolicy> = {}): LaunchContext {
  return { db, client, environment: 'sandbox', taskQueues, policy: { ...DEFAULT_BILLING_POLICY, ...policy } };
}

export interface LaunchFigures {
  count: number;
  concurrency: number;
  elapsedMs: number;
  perSecond: number;
}

/** Starts every spec (row + workflow) with bounded concurrency; the start-rate figure. */
export async function launchAll(
  ctx: LaunchContext,
  specs: readonly SubscriptionSpec[],
  concurrency: number,
  onProgress?: (done: number) => void,
): Promise<LaunchFigures> {
  const started = Date.now();
  let done = 0;
  await pMap(
    specs,
    async (spec) => {
      await launchSubscription(ctx, spec);
      done += 1;
      if (done % 1000 === 0) onProgress?.(done);
    },
    { concurrency },
  );
  const elapsedMs = Date.now() - started;
  return { count: specs.length, concurrency, elapsedMs, perSecond: Math.round((specs.length / elapsedMs) * 1000 * 10) / 10 };
}
