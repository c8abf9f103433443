// `billing` — the admin command line. argv → client/commands/*, errors → one line and an exit
// code: 0 ok, 1 failure, 2 usage or invalid input, 3 not found.
import '../config/luxon-strict.js';
import { pathToFileURL } from 'node:url';
import { parseCommandArgs, type Command, type CliIo, type CommandContext } from './cli/command.js';
import { describeError, EXIT, exitCodeFor, UsageError } from './cli/errors.js';
import { createProgress } from './cli/progress.js';
import { escapeControls, terminalSafeIo } from './cli/terminal.js';
import type { ConnectedBillingClient } from './connect.js';
import { apiKeysCommand } from './commands/api-keys.js';
import { demoCommand } from './commands/demo.js';
import { eventsCommand } from './commands/events.js';
import { exportCommand } from './commands/export.js';
import { forecastCommand } from './commands/forecast.js';
import { importCommand } from './commands/import.js';
import { changePlanCommand, pauseCommand, resumeCommand, stopCommand } from './commands/lifecycle.js';
import { listCommand } from './commands/list.js';
import { previewCommand } from './commands/preview.js';
import { refundCommand } from './commands/refund.js';
import { repairCommand } from './commands/repair.js';
import { replayCommand } from './commands/replay.js';
import { showCommand } from './commands/show.js';
import { startCommand } from './commands/start.js';
import { webhooksCommand } from './commands/webhooks.js';

export const COMMANDS: readonly Command[] = [
  startCommand,
  showCommand,
  listCommand,
  pauseCommand,
  resumeCommand,
  changePlanCommand,
  stopCommand,
  previewCommand,
  forecastCommand,
  refundCommand,
  repairCommand,
  replayCommand,
  importCommand,
  exportCommand,
  demoCommand,
  apiKeysCommand,
  eventsCommand,
  webhooksCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: billing <command> [options]   (billing <command> --help for details and examples)

Admin tool of the Amazon Pay recurring billing daemon. It uses the daemon's configuration:
temporal.yaml / TEMPORAL_*, DATABASE_URL (default: the dev stack's PostgreSQL), AMAZON_PAY_*
(default: the dev stack's Amazon Pay simulator).

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Exit codes: 0 ok, 1 failure, 2 usage error or invalid input, 3 not found.
`;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  let connected: Promise<ConnectedBillingClient> | undefined;
  try {
    if (!command) throw new UsageError(`billing: unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      io.out(command.help);
      return EXIT.ok;
    }
    const json = values.json === true;
    const ctx: CommandContext = {
      io: terminalSafeIo(io, { rawStdout: json || command.writesData === true }),
      json,
      progress: (total, label) => createProgress((text) => io.err(text), io.stderrIsTTY, total, label),
      // Loaded on first use: the Temporal client and the database driver take over a second to
      // load, which `--help` and input the CLI refuses never need.
      connect: () => (connected ??= import('./connect.js').then(({ connectBillingClient }) => connectBillingClient({ env: io.env, projectRoot: io.cwd }))),
    };
    return await command.run(ctx, values, positionals);
  } catch (error) {
    io.err(`error: ${escapeControls(describeError(error, command))}\n`);
    return exitCodeFor(error);
  } finally {
    if (connected) await (await connected.catch(() => undefined))?.close().catch(() => {});
  }
}

function processIo(): CliIo {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Runs the CLI on this process's argv and exits with its code (after stdout drained). */
export async function main(): Promise<void> {
  // A reader that stops early (`billing export ledger | head -5`) closes the pipe: that is the
  // reader's choice, not a failure, so the CLI stops quietly (exit 0) instead of dying on EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const code = await runCli(process.argv.slice(2), processIo());
  process.stdout.write('', () => process.exit(code));
}

// `tsx client/cli.ts …` (npm run billing) runs it directly; bin.js imports and calls main().
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
