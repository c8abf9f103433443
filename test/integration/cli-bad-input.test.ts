// Bad input gets one line naming the problem, a usage/not-found exit code, and changes nothing:
// no subscription row, no workflow, no call that charges.
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriptionWorkflowId } from '../../billing/keys.js';
import { createBillingClient, InvalidInputError, ChargePermissionNotChargeableError, NotFoundError, ConflictError } from '../../client/index.js';
import { requireRunning } from '../../client/subscriptions/workflow-handle.js';
import type { BillingClientDeps } from '../../client/deps.js';
import { subscriptions } from '../../db/schema/index.js';
import { changePlanUpdate, pauseSignal } from '../../workflows/messages.js';
import { startBillingHarness, type BillingHarness } from '../support/billing-harness.js';
import { startCliHarness, type CliHarness } from '../support/cli-harness.js';

describe('billing CLI: bad input changes nothing', () => {
  let h: BillingHarness;
  let cli: CliHarness;
  let goodPermission: string;
  beforeAll(async () => {
    h = await startBillingHarness();
    cli = await startCliHarness(h, { mode: 'process' });
    goodPermission = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
  });
  afterAll(async () => {
    await cli?.close();
    await h?.close();
  });

  const start = (id: string, overrides: Record<string, string>): string[] => {
    const options: Record<string, string> = { id, 'charge-permission': goodPermission, amount: '14.00', currency: 'USD', interval: 'month', ...overrides };
    return ['start', ...Object.entries(options).map(([k, v]) => `--${k}=${v}`)];
  };

  async function expectNothingCreated(ids: string[]): Promise<void> {
    expect(await h.database.db.select().from(subscriptions)).toEqual([]);
    for (const id of ids) {
      await expect(h.temporal.client.workflow.getHandle(subscriptionWorkflowId(id)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
    expect(await h.control.charges()).toEqual([]);
  }

  it.each([
    [
      'a malformed Charge Permission id',
      'bad-cp',
      { 'charge-permission': 'S01-123' },
      2,
      /^error: --charge-permission must look like "S01-1234567-1234567" .*got "S01-123"\n$/,
    ],
    ['a negative amount', 'bad-negative', { amount: '-5' }, 2, /^error: --amount must be a positive amount in USD such as "14\.00".*got "-5"\n$/],
    ['a non-numeric amount', 'bad-text', { amount: 'fourteen' }, 2, /^error: --amount must be a positive amount in USD .*got "fourteen"\n$/],
    ['an unknown currency', 'bad-currency', { currency: 'XYZ' }, 2, /^error: --currency must be one of .*USD.*got "XYZ"\n$/],
    ['an unknown interval', 'bad-interval', { interval: 'fortnight' }, 2, /^error: --interval must be "<count> <unit>" or "<unit>" .*got "fortnight"\n$/],
    ['an unknown time zone', 'bad-zone', { zone: 'Mars/Olympus' }, 2, /^error: --zone must be an IANA time zone name .*got "Mars\/Olympus"\n$/],
    [
      'a Charge Permission Amazon Pay does not know',
      'bad-unknown',
      { 'charge-permission': 'S01-0000000-0000000' },
      3,
      /^error: Charge Permission S01-0000000-0000000 not found: Amazon Pay does not know it\n$/,
    ],
  ])('start with %s: one line, nothing created', async (_what, id, overrides, code, message) => {
    const result = await cli.run(start(id, overrides));
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    await expectNothingCreated([id]);
  });

  it('start on a Charge Permission the buyer closed: exit 1, names the state and reason', async () => {
    const { chargePermission } = await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' });
    const cp = chargePermission.chargePermissionId;
    await h.control.closeChargePermission(cp, 'buyer');
    const result = await cli.run(start('bad-closed', { 'charge-permission': cp }));
    expect(result.stderr).toMatch(
      new RegExp(`^error: Charge Permission ${cp} cannot be billed: it is Closed \\(\\w+\\); only a Chargeable permission can start a subscription\\n$`),
    );
    expect(result.code).toBe(1);
    await expectNothingCreated(['bad-closed']);
  });

  it('show, pause and refund of things that do not exist: exit 3', async () => {
    const show = await cli.run(['show', 'no-such-subscription']);
    expect([show.code, show.stderr]).toEqual([3, 'error: Subscription no-such-subscription not found\n']);
    const pause = await cli.run(['pause', 'no-such-subscription']);
    expect([pause.code, pause.stderr]).toEqual([3, 'error: Subscription no-such-subscription not found\n']);
    const refund = await cli.run(['refund', 'S01-0000000-0000000-C000001']);
    expect([refund.code, refund.stderr]).toEqual([3, 'error: Charge S01-0000000-0000000-C000001 not found: no charge of any subscription has this ChargeId\n']);
    await expectNothingCreated([]);
  });

  it('refund names a bad ChargeId, a too long reason and a bad amount in one run, by argument and option', async () => {
    const refund = await cli.run(['refund', 'C-1', '--amount=-4', '--reason', 'x'.repeat(501)]);
    expect(refund.code).toBe(2);
    expect(
      refund.stderr
        .replace(/^error: /, '')
        .trim()
        .split('; ')
        .map((p) => p.split(' ')[0]),
    ).toEqual(['<ChargeId>', '--reason', '--amount']);
  });

  it('the library gives typed errors a caller can act on, and refuses sandbox-only intervals in live', async () => {
    const live = createBillingClient({
      db: h.database.db,
      temporal: async () => h.temporal.client,
      amazonPay: () => h.amazonPay,
      environment: 'live',
      taskQueues: h.launchContext.taskQueues,
      policy: h.launchContext.policy,
      now: () => new Date(),
    });
    const spec = {
      id: 'bad-live-minute',
      chargePermissionId: goodPermission,
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'minute' as const, count: 1 } },
    };
    const error = await live.startSubscription(spec).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('plan.interval.unit');
    expect((error as InvalidInputError).message).toMatch(/"minute" intervals are sandbox-only/);

    const negative = await cli.library
      .startSubscription({ ...spec, id: 'bad-negative-minor', plan: { ...spec.plan, amountMinor: '-100' } })
      .catch((e: unknown) => e);
    expect(negative).toBeInstanceOf(InvalidInputError);
    expect((negative as InvalidInputError).field).toBe('plan.amountMinor');

    const { chargePermission } = await h.control.createChargePermission({ type: 'Recurring', currency: 'EUR' });
    const currency = await cli.library
      .startSubscription({ ...spec, id: 'bad-currency-cp', chargePermissionId: chargePermission.chargePermissionId })
      .catch((e: unknown) => e);
    expect(currency).toBeInstanceOf(ChargePermissionNotChargeableError);
    expect((currency as ChargePermissionNotChargeableError).message).toMatch(/it is in EUR but the plan is in USD/);

    const oneTime = (await h.control.createChargePermission({ type: 'OneTime', currency: 'USD' })).chargePermission.chargePermissionId;
    await expect(cli.library.startSubscription({ ...spec, id: 'bad-one-time', chargePermissionId: oneTime })).rejects.toThrow(
      /its type is OneTime; recurring billing needs Recurring or PaymentMethodOnFile/,
    );

    await expect(cli.library.getSubscription('nope')).rejects.toBeInstanceOf(NotFoundError);
    await expectNothingCreated(['bad-live-minute', 'bad-negative-minor', 'bad-currency-cp', 'bad-one-time']);
  });

  it('a first charge that does not match the plan is refused before anything starts; the same id with other terms is a Conflict', async () => {
    const { chargePermission, firstChargeId } = await h.control.createChargePermission({
      type: 'Recurring',
      currency: 'USD',
      firstCharge: { amount: '10.00' },
    });
    const cp = chargePermission.chargePermissionId;
    const base = {
      id: 'first-mismatch',
      chargePermissionId: cp,
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month' as const, count: 1 } },
      anchor: { localDateTime: '2099-01-01T00:00', zone: 'UTC' },
    };
    await expect(cli.library.startSubscription({ ...base, firstChargeId: firstChargeId! })).rejects.toThrow(
      /firstChargeId .*it is for 10\.00 USD, the plan charges 14\.00 USD/,
    );
    expect(await h.database.db.select().from(subscriptions)).toEqual([]);

    const started = await cli.library.startSubscription({ ...base, id: 'conflict-1' });
    expect(started.created).toBe(true);
    const conflict = await cli.library.startSubscription({ ...base, id: 'conflict-1', plan: { ...base.plan, amountMinor: '1500' } }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as Error).message).toMatch(/already exists with different terms: plan\.amountMinor 14\.00 USD ≠ 15\.00 USD$/);
    await h.temporal.client.workflow.getHandle(started.workflowId).terminate('test cleanup');
  });

  it('a workflow that finishes between the running check and the message is a Conflict "already finished", never Temporal\'s WorkflowNotFoundError', async () => {
    const cp = (await h.control.createChargePermission({ type: 'Recurring', currency: 'USD' })).chargePermission.chargePermissionId;
    const started = await cli.library.startSubscription({
      id: 'finishes-meanwhile',
      chargePermissionId: cp,
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
      anchor: { localDateTime: '2099-01-01T00:00', zone: 'UTC' },
    });
    // requireRunning reads only the database and Temporal.
    const deps = { db: h.database.db, temporal: async () => h.temporal.client } as unknown as BillingClientDeps;
    const { handle } = await requireRunning(deps, 'finishes-meanwhile', 'pause');
    const { handle: planHandle } = await requireRunning(deps, 'finishes-meanwhile', 'change the plan of');
    // It ends right after the check, as after a "cancel now" sent by someone else.
    await h.temporal.client.workflow.getHandle(started.workflowId).terminate('finished meanwhile');
    const signal = await handle.signal(pauseSignal, { reason: 'late' }).catch((e: unknown) => e);
    expect(signal).toBeInstanceOf(ConflictError);
    expect((signal as Error).message).toBe(
      'Cannot pause subscription finishes-meanwhile: it has already finished (workflow completed while the request was sent)',
    );
    const update = await planHandle.executeUpdate(changePlanUpdate, { args: [{ amountMinor: '1500' }] }).catch((e: unknown) => e);
    expect(update).toBeInstanceOf(ConflictError);
    expect((update as Error).message).toMatch(/Cannot change the plan of subscription finishes-meanwhile: it has already finished/);
  });
});
