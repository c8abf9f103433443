// Bad flags to `npm run bench` / `npm run chaos` are reported in one line, without a stack;
// so is an embedded PostgreSQL that cannot run here (it says what to change); anything else that
// goes wrong keeps its stack, since that is a bug to look at.
import { EmbeddedPostgresAccessError } from '../devstack/postgres-access.js';

/** A flag the user got wrong. */
export class UsageError extends Error {}

/** node:util parseArgs's complaints (unknown flag, missing value) are usage errors too. */
export function asUsage<R>(parse: () => R): R {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Prints the failure of `program` and exits: 2 for a usage error, `failureCode` otherwise. */
export function exitWithFailure(program: string, error: unknown, failureCode: number): never {
  if (error instanceof UsageError) {
    console.error(`${program}: ${error.message} (${program} -- --help lists every flag)`);
    process.exit(2);
  }
  if (error instanceof EmbeddedPostgresAccessError) {
    console.error(`${program}: ${error.message}`);
    process.exit(failureCode);
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(failureCode);
}
