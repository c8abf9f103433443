// The shape every subcommand has, and the context the dispatcher hands it.
import type { ParseArgsConfig } from 'node:util';
import { CommandLineError, parseCommandLine } from '../../config/command-line.js';
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
 * The command's options parsed by config/command-line.ts (strict node:util parseArgs; a negative
 * number is an option's value; an option given twice is refused), its errors as one-line usage
 * errors naming the command.
 */
export function parseCommandArgs(
  command: Command,
  argv: string[],
): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseCommandLine({ args: argv, options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: true });
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    throw new UsageError(`billing ${command.name}: ${error.message} (see \`billing ${command.name} --help\`)`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | boolean[] | undefined>;
  if (values.help) return { values, positionals: parsed.positionals };
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
