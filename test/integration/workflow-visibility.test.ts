// What operators see: search attributes kept current (describe, and the temporal CLI's list
// query), and continue-as-new of a long-running subscription carrying its state across runs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cancelSignal, changePlanUpdate, stateQuery } from '../../workflows/messages.js';
import { BillingCycleKey, BillingStatusKey, NextBillingAtKey, SubscriptionIdKey } from '../../workflows/search-attributes.js';
import { eventually, startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { expectEachCycleChargedOnce, newPermission, shortSpec, simulatorCharges } from '../support/subscriptions.js';

const run = promisify(execFile);

/** `temporal workflow list --query <query> --output json` against the test server, parsed. */
async function listWorkflows(query: string): Promise<Array<{ execution: { workflowId: string }; type: { name: string } }>> {
  const { stdout } = await run(inject('temporalCliPath'), [
    'workflow',
    'list',
    '--address',
    inject('temporalAddress'),
    '--namespace',
    inject('temporalNamespace'),
    '--query',
    query,
    '--output',
    'json',
  ]);
  return stdout.trim() === '' ? [] : (JSON.parse(stdout) as Array<{ execution: { workflowId: string }; type: { name: string } }>);
}

describe('visibility and continue-as-new', () => {
  let h: BillingHarness;
  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => h?.close());

  it('BillingStatus/BillingCycle/NextBillingAt stay current and the CLI query finds the subscription', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('visible-1', cp, { seconds: 3, firstInSeconds: 1 }));
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle >= 2,
      { what: 'two cycles billed' },
    );

    // Read both until they describe the same moment (a cycle may tick between the two reads).
    const { state, attributes } = await eventually(
      async () => ({ state: await handle.query(stateQuery), attributes: (await handle.describe()).typedSearchAttributes }),
      ({ state, attributes }) => attributes.get(BillingCycleKey) === state.cycle && attributes.get(NextBillingAtKey)?.toISOString() === state.nextBillingAt,
      { what: 'search attributes matching the state' },
    );
    expect(attributes.get(BillingStatusKey)).toBe('active');
    expect(attributes.get(SubscriptionIdKey)).toBe('visible-1');
    expect(state.cycle).toBeGreaterThanOrEqual(2);

    const listed = await eventually(
      () => listWorkflows(`BillingStatus="active" AND SubscriptionId="visible-1"`),
      (workflows) => workflows.some((w) => w.execution.workflowId === handle.workflowId),
      { what: 'temporal workflow list to show the subscription' },
    );
    expect(listed.map((w) => w.execution.workflowId)).toContain(handle.workflowId);
    await handle.terminate('test cleanup');
  });

  it('the Web UI shows current details and labelled timers; WorkflowType tells subscriptions from IPN handlers', async () => {
    const cp = await newPermission(h);
    const { handle } = await h.launch(shortSpec('visible-details', cp, { seconds: 30, firstInSeconds: 1 }));
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle >= 1,
      { what: 'the first cycle billed' },
    );
    // The SDK answers the Web UI's metadata query with setCurrentDetails' text.
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    const state = await handle.query(stateQuery);
    expect(metadata.currentDetails).toContain('**Status:** active');
    expect(metadata.currentDetails).toContain('**Plan:** 14.00 USD every 30 seconds');
    expect(metadata.currentDetails).toContain(`**Cycle:** ${state.cycle}`);
    expect(metadata.currentDetails).toMatch(/\*\*Next billing:\*\* \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    // The timer of the next cycle says what it waits for (TimerStarted user metadata).
    const summaries: string[] = [];
    for await (const event of (await handle.fetchHistory()).events ?? []) {
      const summary = event.timerStartedEventAttributes ? event.userMetadata?.summary?.data : undefined;
      if (summary) summaries.push(JSON.parse(Buffer.from(summary).toString('utf8')) as string);
    }
    expect(summaries).toContainEqual(expect.stringMatching(/^cycle 1 due \d{4}-\d\d-\d\d \d\d:\d\d UTC$/));
    // A plan change and a stop at period end show at once, not only when the next cycle wakes the workflow.
    const changed = await handle.executeUpdate(changePlanUpdate, { args: [{ amountMinor: '1500' }] });
    await handle.signal(cancelSignal, { mode: 'period_end', reason: 'BuyerRequested' });
    const after = (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails ?? '';
    const cycleNow = (await handle.query(stateQuery)).cycle;
    expect(after).toContain(
      changed.fromCycle === cycleNow ? '**Plan:** 15.00 USD every 30 seconds' : `**From cycle ${changed.fromCycle}:** 15.00 USD every 30 seconds`,
    );
    expect(after).toContain('**Stops:** at the end of this period (BuyerRequested)');
    const listed = await listWorkflows(`WorkflowType="subscriptionWorkflow" AND TaskQueue="${h.launchContext.taskQueues.workflows}"`);
    expect(listed.map((w) => w.execution.workflowId)).toContain(handle.workflowId);
    expect(new Set(listed.map((w) => w.type.name))).toEqual(new Set(['subscriptionWorkflow']));
    await handle.terminate('test cleanup');
  });

  it('continues as new when the server suggests it, with cycles, plan and charges carried over', async () => {
    const cp = await newPermission(h);
    const cycles = 16;
    // The bound (policy.continueAsNewEveryCycles) out of reach: only the server's suggestion hands over.
    const { handle } = await h.launch(shortSpec('can-1', cp, { seconds: 1, firstInSeconds: 1, cycles }), { continueAsNewEveryCycles: 120 });
    await eventually(
      () => handle.query(stateQuery),
      (s) => s.cycle >= 2,
      { what: 'two cycles billed' },
    );
    const changed = await handle.executeUpdate(changePlanUpdate, { args: [{ amountMinor: '1500' }] });

    const result = await handle.result();
    expect(result).toMatchObject({ status: 'ended', cycle: cycles });
    const runs = [];
    for await (const execution of h.temporal.client.workflow.list({ query: `WorkflowId="${handle.workflowId}"` })) runs.push(execution);
    console.log(`[continue-as-new] ${runs.length} runs for ${cycles} one-second cycles`);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW')).toHaveLength(runs.length - 1);

    await expectEachCycleChargedOnce(h, 'can-1', cp, cycles);
    const amounts = (await simulatorCharges(h, cp)).map((c) => c.amount);
    expect(amounts.slice(changed.fromCycle)).toEqual(Array(cycles - changed.fromCycle).fill('15.00'));
  });
});
