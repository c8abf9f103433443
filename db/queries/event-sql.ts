// SQL pieces for statements that write a business fact and its event together (the
// transactional outbox, docs/events.md): one statement, no extra round trip per fact.
import { sql, type SQL } from 'drizzle-orm';
import { CURRENCY_EXPONENTS } from '../../billing/plan-rules.js';
import { newEventIdSql } from './events.js';

/**
 * Two CTEs, `event_seq` and `event_row`, that append one event per row of the CTE `source`
 * whose `type` is not null. `source` has the columns subscription_id, type (text) and data
 * (jsonb), at most one row per subscription (UPDATE … FROM bumps a row once). The sequence is
 * bumped under the subscription's row lock, as appendEvent does, so it stays gapless; the event
 * commits or rolls back with the statement that wrote the fact.
 */
export function appendEventsFrom(source: string, occurredAt: Date): SQL {
  return sql`event_seq as (
      update subscriptions set last_event_sequence = last_event_sequence + 1
      from ${sql.identifier(source)} src
      where subscriptions.id = src.subscription_id and src.type is not null
      returning subscriptions.id, subscriptions.last_event_sequence, subscriptions.account, src.type, src.data
    ), event_row as (
      insert into events (id, type, subscription_id, sequence, account, occurred_at, data)
      select ${newEventIdSql}, type, id, last_event_sequence, account, ${occurredAt.toISOString()}::timestamptz, data from event_seq
      returning id
    )`;
}

/**
 * An amount in minor units as the decimal string of its currency (billing/money.ts
 * toDecimalString in SQL: 1400 USD → "14.00", 500 JPY → "500"), for event payloads: money is a
 * decimal string at the edges. Exponents come from CURRENCY_EXPONENTS, the one table.
 */
export function decimalAmountSql(amountMinor: SQL, currency: SQL): SQL {
  const byExponent = new Map<number, string[]>();
  for (const [code, exponent] of Object.entries(CURRENCY_EXPONENTS)) byExponent.set(exponent, [...(byExponent.get(exponent) ?? []), code]);
  const branches = [...byExponent].map(
    ([exponent, codes]) =>
      sql`when ${currency} in (${sql.join(
        codes.map((c) => sql`${c}`),
        sql`, `,
      )}) then round(${amountMinor}::numeric / ${sql.raw(String(10 ** exponent))}, ${sql.raw(String(exponent))})::text`,
  );
  return sql`(case ${sql.join(branches, sql` `)} end)`;
}
