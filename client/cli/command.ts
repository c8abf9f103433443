// The shape every subcommand has, and the context the dispatcher hands it.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ConnectedBillingClient } from '../connect.js';
import { InvalidInputError } from '../errors.js';
import { UsageError } from './errors.js';
import type { Progress } from './progress.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface CommandContext {
  /** Human output: control characters escaped (see cli/terminal.ts); stdout as is with --json or `writesData`. */
  io: CliIo;
  json: boolean;
  /** A progress report on stderr (its own fixed text, so it may redraw with a carriage return). */
  progress(total: number, label: string): Progress;
  /** Connects on first use (configuration, database, Temporal, Amazon Pay); closed by the dispatcher. */
  connect(): Promise<ConnectedBillingClient>;
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  name: string;
  summary: string;
  /** Full --help text: usage, options, examples. */
  help: string;
  options: OptionSpec;
  /** Its stdout is data (CSV, JSON) written exactly, never escaped for a terminal. */
  writesData?: boolean;
  /** Positional arguments it takes: [min, max]. */
  positionals: [number, number];
  /** Its first argument names one of these actions (`billing webhooks add`): a missing or unknown one is refused before it runs. */
  actions?: readonly string[];
  run(ctx: CommandContext, values: Record<string, string | boolean | string[] | boolean[] | undefined>, positionals: string[]): Promise<number>;
}

/** The --json line of every command's Options list (every command takes it). */
export const JSON_OPTION_HELP = '  --json                       machine-readable output';

export const COMMON_OPTIONS: OptionSpec = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/**
 * node:util parseArgs with our options, turning its errors into one-line usage errors. An option
 * given twice is refused (parseArgs would keep the last silently: `--amount 1 --amount 2` charging
 * 2 is a typo's guess), found in parseArgs' own tokens.
 */
export function parseCommandArgs(
  command: Command,
  argv: string[],
): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  let parsed;
  const options = { ...COMMON_OPTIONS, ...command.options };
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    // parseArgs reads "--reason -2+3" as a missing value followed by an option; say how to pass it.
    const ambiguous = /^Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(text);
    const message = ambiguous
      ? `the value of ${ambiguous[1]} starts with "-"; write it joined with "=", as ${ambiguous[1]}=<value>`
      : text.replace(/\. To specify .*$/, '').split('\n')[0];
    throw new UsageError(`billing ${command.name}: ${message} (see \`billing ${command.name} --help\`)`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | boolean[] | undefined>;
  if (values.help) return { values, positionals: parsed.positionals };
  const given = new Map<string, string[]>();
  for (const token of parsed.tokens) if (token.kind === 'option') given.set(token.name, [...(given.get(token.name) ?? []), token.value ?? '']);
  for (const [name, seen] of given) {
    if (seen.length < 2 || options[name]?.multiple === true) continue;
    const shown = options[name]?.type === 'string' ? ` (${seen.map((v) => JSON.stringify(v)).join(', ')})` : '';
    throw new UsageError(`billing ${command.name}: --${name} is given ${seen.length} times${shown}; give it once (see \`billing ${command.name} --help\`)`);
  }
  const action = parsed.positionals[0];
  if (command.actions && (action === undefined || !command.actions.includes(action))) {
    const use = `${command.actions.slice(0, -1).join(', ')} or ${command.actions.at(-1)}`;
    throw new UsageError(
      action === undefined
        ? `billing ${command.name}: needs an action: ${use} (see \`billing ${command.name} --help\`)`
        : `billing ${command.name}: unknown action ${JSON.stringify(action)}; use ${use}`,
    );
  }
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw new UsageError(
      `billing ${command.name}: expected ${expected} argument${max === 1 ? '' : 's'}, got ${parsed.positionals.length} (see \`billing ${command.name} --help\`)`,
    );
  }
  return { values, positionals: parsed.positionals };
}

export function str(values: Record<string, unknown>, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

/** A whole number option; InvalidInputError naming it otherwise (collectProblems gathers it with the rest). */
export function intOption(values: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const text = str(values, key);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw InvalidInputError.of(key, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return Number(text);
}
