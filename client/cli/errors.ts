// How the CLI ends: exit codes a script can branch on, and one line of text for a person.
import { ConfigError } from '../../config/errors.js';
import { BillingClientError, ConflictError, InvalidInputError } from '../errors.js';
import { cliFieldName } from './field-names.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;

/** Wrong flags, a missing argument, an unparseable value: exit 2 with the command's usage hint. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) return EXIT.usage;
  if (error instanceof BillingClientError) {
    if (error.code === 'not_found') return EXIT.notFound;
    if (error.code === 'invalid_input' || error.code === 'not_configured') return EXIT.usage;
    return EXIT.failure;
  }
  return EXIT.failure;
}

/**
 * One line, no stack: the error's own message, or a short description of an unexpected one. The
 * library's invalid input and conflicting terms name each field as `command` takes it (its option,
 * argument or import column: cli/field-names.ts), never by the library's internal name.
 */
export function describeError(error: unknown, command?: { name: string; options: object }): string {
  if (error instanceof ConfigError) return oneLine(error.message);
  if (error instanceof UsageError) return error.message;
  if (error instanceof InvalidInputError) return error.problems.map((p) => `${cliFieldName(command, p.field)} ${p.message}`).join('; ');
  if (error instanceof ConflictError && error.differences.length > 0) {
    return `${error.summary}: ${error.differences.map((d) => `${cliFieldName(command, d.field)} ${d.stored} ≠ ${d.requested}`).join('; ')}`;
  }
  if (error instanceof BillingClientError) return error.message;
  // drizzle wraps driver errors ("Failed query: <sql>"); the cause says what really happened.
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  const codes = chain.flatMap((e) => [
    (e as { code?: unknown }).code,
    ...(e instanceof AggregateError ? e.errors.map((x: { code?: unknown }) => x?.code) : []),
  ]);
  if (codes.includes('ECONNREFUSED')) {
    return 'cannot connect to PostgreSQL (connection refused): is the dev stack (`npm run dev`) running, or DATABASE_URL set?';
  }
  const innermost = chain[chain.length - 1];
  const message = innermost instanceof Error ? innermost.message : String(innermost);
  return `unexpected error: ${message.split('\n')[0]}`;
}

// Line breaks and the spaces around them become one space. split() and trim() stay linear; the regex
// this replaces (whitespace, newline, whitespace, global) backtracked quadratically over long runs of spaces.
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}
