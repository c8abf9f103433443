// A database error, as Temporal records it: one line saying what PostgreSQL refused, never the SQL
// parameters. drizzle wraps a driver error as "Failed query: <statement>\nparams: <every value>";
// thrown from an activity, that whole text went into the failure, and a long insert (the charge
// ledger's) passed the Temporal server's size limit: the pending activity then showed only
// "Failure exceeds size limit.", and the operator could not see why the call kept failing. The
// values (ids, amounts, buyer data) do not belong in workflow histories either; PostgreSQL's own
// message names the table, column or constraint (a type error quotes the one value it could not read).
import { ApplicationFailure } from '@temporalio/common';
import postgres from 'postgres';

/** The failure type of an activity's database error. Retryable: the activity's retry policy decides. */
export const DATABASE_FAILURE_TYPE = 'DatabaseError';

const FAILED_QUERY = 'Failed query: ';
/** Enough of a statement to tell which one it was ("insert into "charges" (…"). */
const STATEMENT_CHARS = 80;

/**
 * The ApplicationFailure (type DatabaseError, retryable) for a drizzle query error, e.g.
 * `PostgreSQL refused insert into "charges" ("id", …: insert or update on table "charges" violates
 * foreign key constraint "charges_subscription_id_subscriptions_id_fk" (SQLSTATE 23503).` — the start
 * of the statement and PostgreSQL's own message with its SQLSTATE. Not PostgreSQL's `detail`: it
 * quotes the row ("Key (subscription_id)=(sub-1)", "Failing row contains (…)"). A driver error
 * without a SQLSTATE (the connection refused or lost) reads `PostgreSQL did not run <statement>:
 * <reason> (<code>).` null for any other error (left as it is).
 */
export function databaseFailure(error: unknown): ApplicationFailure | null {
  if (!(error instanceof Error) || !error.message.startsWith(FAILED_QUERY)) return null;
  const query = (error as { query?: unknown }).query ?? error.message.slice(FAILED_QUERY.length).split('\nparams:')[0];
  // The statement's own comments ("-- Locked so a stop …") say why it is written so, not what it is.
  const statement = cut(oneLine(String(query).replace(/--[^\n]*/g, '')), STATEMENT_CHARS);
  const cause = error.cause;
  const reason = cause instanceof Error && cause.message !== '' ? oneLine(cause.message) : 'no reason given by the driver';
  const code = (cause as { code?: unknown } | undefined)?.code;
  const message =
    cause instanceof postgres.PostgresError
      ? `PostgreSQL refused ${statement}: ${reason} (SQLSTATE ${String(code)}).`
      : `PostgreSQL did not run ${statement}: ${reason}${typeof code === 'string' ? ` (${code})` : ''}.`;
  return ApplicationFailure.create({ type: DATABASE_FAILURE_TYPE, message, nonRetryable: false });
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();
const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
