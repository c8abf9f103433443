// activities/database-failure.ts: a drizzle query error becomes one line without the parameters;
// anything else is left alone. (The real thing, a foreign key refusal through the daemon's workers,
// is checked in test/integration/restore.test.ts.)
import { DrizzleQueryError } from 'drizzle-orm/errors';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { DATABASE_FAILURE_TYPE, databaseFailure } from '../../../activities/database-failure.js';

const columns = Array.from({ length: 40 }, (_, i) => `"column_${i}"`).join(', ');
const statement = `insert into "charges" (${columns}) values (${Array.from({ length: 40 }, (_, i) => `$${i + 1}`).join(', ')})`;
const params = Array.from({ length: 40 }, (_, i) => `buyer-value-${i}-${'x'.repeat(200)}`);

function foreignKeyViolation(): Error {
  const cause = new postgres.PostgresError({
    message: 'insert or update on table "charges" violates foreign key constraint "charges_subscription_id_subscriptions_id_fk"',
    code: '23503',
    detail: 'Key (subscription_id)=(sub-1) is not present in table "subscriptions".',
  } as never);
  return new DrizzleQueryError(statement, params, cause);
}

describe('databaseFailure', () => {
  it("gives PostgreSQL's reason and SQLSTATE and the statement's start, in one line without the values or PostgreSQL's detail", () => {
    const failure = databaseFailure(foreignKeyViolation());
    expect(failure?.type).toBe(DATABASE_FAILURE_TYPE);
    expect(failure?.nonRetryable).toBe(false);
    expect(failure?.message).toBe(
      'PostgreSQL refused insert into "charges" ("column_0", "column_1", "column_2", "column_3", "column_…: ' +
        'insert or update on table "charges" violates foreign key constraint "charges_subscription_id_subscriptions_id_fk" (SQLSTATE 23503).',
    );
    expect(failure?.message).not.toContain('buyer-value');
    expect(failure?.message).not.toContain('sub-1');
    expect(foreignKeyViolation().message.length).toBeGreaterThan(8_000);
    expect(failure!.message.length).toBeLessThan(300);
  });

  it("drops the statement's comments and names a missing reason", () => {
    const bare = new DrizzleQueryError('select -- why it is written so\n  1', [], new postgres.PostgresError({ message: '', code: 'XX000' } as never));
    expect(databaseFailure(bare)?.message).toBe('PostgreSQL refused select 1: no reason given by the driver (SQLSTATE XX000).');
  });

  it('says a statement PostgreSQL never ran was not run, not refused (a connection refused or lost)', () => {
    const refused = new DrizzleQueryError('select 1', [], Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    expect(databaseFailure(refused)?.message).toBe('PostgreSQL did not run select 1: connect ECONNREFUSED 127.0.0.1:5432 (ECONNREFUSED).');
    expect(databaseFailure(new DrizzleQueryError('select 1', [], undefined))?.message).toBe('PostgreSQL did not run select 1: no reason given by the driver.');
  });

  it('leaves every other error as it is', () => {
    expect(databaseFailure(new Error('connect ECONNREFUSED'))).toBeNull();
    expect(databaseFailure('Failed query: a string, not an error')).toBeNull();
    expect(databaseFailure(new postgres.PostgresError({ message: 'deadlock detected', code: '40P01' } as never))).toBeNull();
  });
});
