// Every bad option of a command is named in one run: parsers throw InvalidInputError, and the
// command collects their problems instead of stopping at the first.
import type { Problem } from '../../billing/types.js';
import { InvalidInputError } from '../errors.js';

export interface ProblemCollector {
  readonly problems: Problem[];
  /** The parser's result, or undefined after recording its problems (other errors pass through). */
  attempt<T>(parse: () => T): T | undefined;
  add(field: string, message: string): void;
  /** Throws one InvalidInputError with every problem recorded (plus `more`), if there is any. */
  throwIfAny(more?: Problem[]): void;
}

export function collectProblems(): ProblemCollector {
  const problems: Problem[] = [];
  return {
    problems,
    attempt(parse) {
      try {
        return parse();
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        problems.push(...error.problems);
        return undefined;
      }
    },
    add(field, message) {
      problems.push({ field, message });
    },
    throwIfAny(more = []) {
      if (problems.length + more.length > 0) throw new InvalidInputError([...problems, ...more]);
    },
  };
}
