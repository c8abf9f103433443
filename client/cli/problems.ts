// Every bad option of a command is named in one run: parsers throw InvalidInputError, and the
// command collects their problems instead of stopping at the first.
import type { Problem } from '../../billing/types.js';
import { InvalidInputError } from '../errors.js';

export interface ProblemCollector {
  readonly problems: Problem[];
  /** The parser's result, or undefined after recording its problems (other errors pass through). */
  attempt<T>(parse: () => T): T | undefined;
  /**
   * Like attempt, for a library check run over everything at once: its problems about a field
   * already recorded (the same field, or one under it such as anchor.zone under anchor) are dropped,
   * so a value that failed to parse (and was replaced by a stand-in) is not named twice.
   */
  attemptRest<T>(check: () => T): T | undefined;
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
    attemptRest(check) {
      const reported = problems.map((p) => p.field);
      try {
        return check();
      } catch (error) {
        if (!(error instanceof InvalidInputError)) throw error;
        problems.push(...error.problems.filter((p) => !reported.some((field) => p.field === field || p.field.startsWith(`${field}.`))));
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
