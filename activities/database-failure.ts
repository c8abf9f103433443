// A database error, as Temporal records it: one line saying what PostgreSQL refused, never the SQL
// parameters. drizzle wraps a driver error as "Failed query: <statement>\nparams: <every value>";
// thrown from an activity, that whole text went into the failure, and a long insert (the charge
// ledger's) passed the Temporal server's size limit: the pending activity then showed only
// "Failure exceeds size limit.", and the operator could not see why the call kept failing. The
// values (ids, amounts, buyer data) do not belong in workflow histories either.
import { ApplicationFailure } from '@temporalio/common';

/** The failure type of an activity's database error. Retryable: the activity's retry policy decides. */
export const DATABASE_FAILURE_TYPE = 'DatabaseError';

const FAILED_QUERY = 'Failed query: ';
/** Enough of a statement to tell which one it was ("insert into "charges" (…"). */
const STATEMENT_CHARS = 80;
/** PostgreSQL's detail (e.g. 'Key (subscription_id)=(sub-1) is not present in table "subscriptions".'), cut to this. */
const DETAIL_CHARS = 200;

interface DriverError {
  message?: unknown;
  code?: unknown;
  detail?: unknown;
}

/**
 * The ApplicationFailure (type DatabaseError, retryable) for a drizzle query error: PostgreSQL's
 * message, its SQLSTATE and detail, and the start of the statement, e.g.
 * `PostgreSQL refused insert into "charges" ("id", …: insert or update on table "charges" violates
 * foreign key constraint "charges_subscription_id_fkey" (SQLSTATE 23503). Key (subscription_id)=(sub-1)
 * is not present in table "subscriptions".`; null for any other error (left as it is).
 */
export function databaseFailure(error: unknown): ApplicationFailure | null {
  if (!(error instanceof Error) || !error.message.startsWith(FAILED_QUERY)) return null;
  const query = (error as { query?: unknown }).query ?? error.message.slice(FAILED_QUERY.length).split('\nparams:')[0];
  // The statement's own comments ("-- Locked so a stop …") say why it is written so, not what it is.
  const statement = oneLine(String(query).replace(/--[^\n]*/g, ''));
  const cause = (error.cause ?? {}) as DriverError;
  const reason = typeof cause.message === 'string' && cause.message !== '' ? oneLine(cause.message) : 'no reason given by the driver';
  const code = typeof cause.code === 'string' ? ` (SQLSTATE ${cause.code})` : '';
  const detail = typeof cause.detail === 'string' && cause.detail !== '' ? ` ${cut(oneLine(cause.detail), DETAIL_CHARS)}` : '';
  return ApplicationFailure.create({
    type: DATABASE_FAILURE_TYPE,
    message: `PostgreSQL refused ${cut(statement, STATEMENT_CHARS)}: ${reason}${code}.${detail}`,
    nonRetryable: false,
  });
}

const oneLine = (text: unknown): string => String(text).replace(/\s+/g, ' ').trim();
const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
