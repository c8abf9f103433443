// The command lines of `billing`, `npm run dev` and the benchmarks, parsed one way: node:util
// parseArgs (strict), plus two rules it lacks.
//  - A negative number after an option that takes a value is that value: `--replicas -1` is
//    read as `--replicas=-1`, so the option's own range check answers, not parseArgs' "argument
//    is ambiguous" (no option of ours is named like a number).
//  - An option given twice is refused: parseArgs would keep the last silently, and
//    `--amount 1 --amount 2` charging 2 is a typo's guess.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Why a command line was refused, in one line without the program's usage hint (the caller adds it). */
export class CommandLineError extends Error {
  override name = 'CommandLineError';
}

const NEGATIVE_NUMBER = /^-\d+(\.\d+)?$/;

/** `argv` with `--name -3` joined as `--name=-3` where --name takes a value. */
export function joinNegativeNumbers(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg === '--') return [...out, ...argv.slice(i)];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * node:util parseArgs, strict, with the rules above. `args` defaults to process.argv after the
 * script. Throws CommandLineError: parseArgs' own complaint (unknown option, missing value) in
 * one line, a value starting with "-" with how to pass it, or an option given more than once
 * (unless `multiple`) with the values seen.
 */
export function parseCommandLine<T extends ParseArgsConfig & { options: Options }>(
  config: T,
): ReturnType<typeof parseArgs<T & { tokens: true; strict: true }>> {
  const args = joinNegativeNumbers(config.args ?? process.argv.slice(2), config.options);
  let parsed;
  try {
    parsed = parseArgs({ ...config, args, strict: true, tokens: true });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    // parseArgs reads "--reason -2+3" as a missing value followed by an option; say how to pass it.
    const ambiguous = /^Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(text);
    throw new CommandLineError(
      ambiguous
        ? `the value of ${ambiguous[1]} starts with "-"; write it joined with "=", as ${ambiguous[1]}=<value>`
        : (text.replace(/\. To specify .*$/s, '').split('\n')[0] ?? text),
    );
  }
  const given = new Map<string, string[]>();
  for (const token of parsed.tokens ?? []) if (token.kind === 'option') given.set(token.name, [...(given.get(token.name) ?? []), token.value ?? '']);
  for (const [name, seen] of given) {
    if (seen.length < 2 || config.options[name]?.multiple === true) continue;
    const shown = config.options[name]?.type === 'string' ? ` (${seen.map((v) => JSON.stringify(v)).join(', ')})` : '';
    throw new CommandLineError(`--${name} is given ${seen.length} times${shown}; give it once`);
  }
  return parsed as ReturnType<typeof parseArgs<T & { tokens: true; strict: true }>>;
}
