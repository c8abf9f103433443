// What the CLI prints and exports, against the real stack: currency in any case, examples valid
// for the currency, every bad option and every bad import row named at once, stored text that
// cannot drive a terminal, and exports a spreadsheet cannot run.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { subscriptionEvents, subscriptions } from '../../db/schema/index.js';
import { getSubscription } from '../../db/queries/subscriptions.js';
import { eventually } from '../support/billing-harness.js';
import { useCliHarness } from '../support/cli-harness.js';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const ESC_TITLE = '\u001b]0;owned\u0007';
const FORMULA = "-2+3+cmd|' /C calc'!A0";

describe('billing CLI: output and input hardening', () => {
  const stack = useCliHarness();
  const permission = async (currency = 'USD'): Promise<string> =>
    (await stack.h.control.createChargePermission({ type: 'Recurring', currency })).chargePermission.chargePermissionId;

  it('a currency in lower case is accepted and stored upper case, by the CLI and the library', async () => {
    const started = await stack.cli.run([
      'start',
      '--id',
      'cur-lower',
      '--charge-permission',
      await permission(),
      '--amount',
      '14.00',
      '--currency',
      'usd',
      '--interval',
      'month',
      '--anchor',
      '2099-01-01T00:00',
    ]);
    expect(started.stderr).toBe('');
    expect(started.stdout).toMatch(/^Started: subscription cur-lower — 14\.00 USD every month/);
    const library = await stack.cli.library.startSubscription({
      id: 'cur-lib',
      chargePermissionId: await permission('EUR'),
      plan: { amountMinor: '900', currency: ' eur', interval: { unit: 'month', count: 1 } },
      anchor: { localDateTime: '2099-01-01T00:00', zone: 'UTC' },
    });
    expect(library.subscription.plan.currency).toBe('EUR');
    expect((await getSubscription(stack.h.database.db, 'cur-lower'))?.currency).toBe('USD');
  });

  it('a JPY amount with decimals is refused with a JPY example; change-plan names a bad amount and a bad interval together', async () => {
    const jpy = await stack.cli.run([
      'start',
      '--id',
      'cur-jpy',
      '--charge-permission',
      await permission('JPY'),
      '--amount',
      '14.00',
      '--currency',
      'JPY',
      '--interval',
      'month',
    ]);
    expect([jpy.code, jpy.stderr]).toEqual([
      2,
      'error: --amount must be a positive amount in JPY such as "1400" (no sign, no thousands separators, at most the currency\'s decimals), got "14.00"\n',
    ]);
    expect(await getSubscription(stack.h.database.db, 'cur-jpy')).toBeUndefined();

    const change = await stack.cli.run(['change-plan', 'cur-lower', '--amount=-1', '--interval', 'fortnight']);
    expect(change.code).toBe(2);
    expect(change.stderr).toMatch(
      /^error: --interval must be "<count> <unit>" .*got "fortnight"; --amount must be a positive amount in USD such as "14\.00".*got "-1"\n$/,
    );
  });

  it('start with no options names all five required ones in one line and creates nothing', async () => {
    const result = await stack.cli.run(['start']);
    expect(result.code).toBe(2);
    expect(result.stderr.match(/is required/g)).toHaveLength(5);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('import reports every bad row with its line (wrong field count too), starts the good ones, and prints stored text escaped', async () => {
    const [a, b] = [await permission(), await permission()];
    const file = join(stack.cli.dir, 'rows.csv');
    await writeFile(
      file,
      [
        'id,charge_permission_id,amount,currency,interval,anchor,zone',
        `imp-ok-1,${a},14.00,usd,month,2099-01-31T09:00,UTC`,
        `imp-short,${a},14.00,USD,month`,
        `imp-esc${ESC_TITLE},${a},14.00,USD,month,2099-01-31T09:00,UTC`,
        `imp-ok-2,${b},3.00,USD,2 weeks,2099-01-31T09:00,UTC`,
      ].join('\n'),
    );
    const result = await stack.cli.run(['import', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    expect(result.stdout.trim().split('\n')).toEqual([
      `Imported ${file}: 4 rows, 2 started, 0 already there, 2 rejected`,
      '  line 3 (imp-short): row has 5 fields, the header has 7 (id, charge_permission_id, amount, currency, interval, anchor, zone)',
      '  line 4 (imp-esc\\u001b]0;owned\\u0007): id must be 1 to 64 characters of A-Z a-z 0-9 _ . : -, got "imp-esc\\u001b]0;owned\\u0007"',
    ]);
    const ids = (await stack.h.database.db.select().from(subscriptions)).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['imp-ok-1', 'imp-ok-2']));
    const json = await stack.cli.run(['import', file, '--json']);
    expect((JSON.parse(json.stdout) as { results: Array<{ id: string }> }).results.map((r) => r.id)).toContain(`imp-esc${ESC_TITLE}`);
  });

  it('a reason with control characters is refused; stored text is escaped by show, exact in --json, and guarded in the CSV export', async () => {
    const reason = `${FORMULA}${ESC_TITLE}`;
    const id = 'out-reason';
    await stack.cli.library.startSubscription({
      id,
      chargePermissionId: await permission(),
      plan: { amountMinor: '1400', currency: 'USD', interval: { unit: 'month', count: 1 } },
      anchor: { localDateTime: '2099-01-01T00:00', zone: 'UTC' },
    });
    // Control characters never get in (PostgreSQL cannot store U+0000; the others corrupt records and terminals).
    const refused = await stack.cli.run(['pause', id, `--reason=${reason}`]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--reason must not contain control characters \(found U\+001B at position 23\)/);
    // A formula is printable text: accepted, and guarded where a spreadsheet would evaluate it.
    expect((await stack.cli.run(['pause', id, `--reason=${FORMULA}`])).code).toBe(0);
    await eventually(
      () => getSubscription(stack.h.database.db, id),
      (row) => row?.statusReason === FORMULA,
      { what: 'the pause reason stored' },
    );
    // Text stored before the rule (or by another writer) is still shown safely: the row and its status history.
    await stack.h.database.db.update(subscriptions).set({ statusReason: reason }).where(eq(subscriptions.id, id));
    await stack.h.database.db
      .update(subscriptionEvents)
      .set({ reasonCode: reason })
      .where(and(eq(subscriptionEvents.subscriptionId, id), eq(subscriptionEvents.reasonCode, FORMULA)));

    const show = await stack.cli.run(['show', id]);
    expect(show.code).toBe(0);
    expect(show.stdout).not.toMatch(RAW_CONTROL);
    expect(show.stdout).toContain(`paused  ${FORMULA}\\u001b]0;owned\\u0007`);
    const shown = JSON.parse((await stack.cli.run(['show', id, '--json'])).stdout) as { subscription: { statusReason: string } };
    expect(shown.subscription.statusReason).toBe(reason);

    const csv = await stack.cli.run(['export', 'subscriptions']);
    expect(csv.code).toBe(0);
    const records = parse(csv.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(records.find((r) => r.id === id)?.status_reason).toBe(`'${reason}`);
    const exported = JSON.parse((await stack.cli.run(['export', 'subscriptions', '--format', 'json'])).stdout) as Array<{ id: string; statusReason: string }>;
    expect(exported.find((s) => s.id === id)?.statusReason).toBe(reason);
  });
});
