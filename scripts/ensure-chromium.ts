// Finds the Chromium that browser tests drive through playwright-core, installing Debian's
// `chromium` package when it is missing and we run as root (CI: a fresh machine, as root).
// Elsewhere it stops with one line saying what to install.
//
//   npx tsx scripts/ensure-chromium.ts        # prints the path, installing first if needed
//
// Browser tests call ensureChromium() from their own beforeAll (test/support/browser.ts), so only
// a run that includes a browser test pays for the install.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Where Debian (and Ubuntu's transitional package) put the binary; CHROMIUM_PATH wins over both. */
export const CHROMIUM_CANDIDATES: readonly string[] = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export class ChromiumUnavailableError extends Error {
  override readonly name = 'ChromiumUnavailableError';
}

export interface EnsureChromiumOptions {
  /** One line per step (e.g. console.log); the apt-get output itself is not echoed. */
  onProgress?: (line: string) => void;
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: process.getuid?.() === 0. */
  isRoot?: boolean;
  /** Default: CHROMIUM_CANDIDATES; injected by tests. */
  candidates?: readonly string[];
  /** Default: runs the command with spawn; injected by tests. */
  run?: (command: string, args: readonly string[]) => Promise<{ code: number; output: string }>;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findChromium(candidates: readonly string[]): string | undefined {
  return candidates.find(executable);
}

function runQuietly(command: string, args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    let output = '';
    const keep = (chunk: Buffer): void => {
      // The tail is what explains a failure; apt-get's full output runs to thousands of lines.
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => resolve({ code: 127, output: error.message }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

let pending: Promise<string> | undefined;

/**
 * The path of a runnable Chromium: CHROMIUM_PATH if set and executable, else /usr/bin/chromium
 * or /usr/bin/chromium-browser; when none exists and we are root, installs Debian's package
 * (`apt-get update && apt-get install -y --no-install-recommends chromium`, about a minute or two
 * on a fresh machine) and returns /usr/bin/chromium. Throws ChromiumUnavailableError with one
 * line when it cannot (not root, apt-get failed). Concurrent calls share one install.
 */
export function ensureChromium(options: EnsureChromiumOptions = {}): Promise<string> {
  pending ??= install(options).finally(() => (pending = undefined));
  return pending;
}

async function install(options: EnsureChromiumOptions): Promise<string> {
  const env = options.env ?? process.env;
  const say = options.onProgress ?? (() => {});
  const configured = env['CHROMIUM_PATH'];
  if (configured) {
    if (executable(configured)) return configured;
    throw new ChromiumUnavailableError(`CHROMIUM_PATH=${configured} is not an executable file; point it at a Chromium binary or unset it`);
  }
  const candidates = options.candidates ?? CHROMIUM_CANDIDATES;
  const found = findChromium(candidates);
  if (found) return found;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (!isRoot) {
    throw new ChromiumUnavailableError(
      `browser tests need Chromium and none is at ${candidates.join(' or ')}: run "sudo apt-get install -y --no-install-recommends chromium" (Debian) or set CHROMIUM_PATH`,
    );
  }
  const run = options.run ?? runQuietly;
  const started = Date.now();
  say('Chromium not found; installing Debian package chromium (apt-get update)…');
  const update = await run('apt-get', ['update']);
  if (update.code !== 0) throw new ChromiumUnavailableError(`apt-get update failed (exit ${update.code}): ${lastLine(update.output)}`);
  say('apt-get install -y --no-install-recommends chromium…');
  const installed = await run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium']);
  if (installed.code !== 0) throw new ChromiumUnavailableError(`apt-get install chromium failed (exit ${installed.code}): ${lastLine(installed.output)}`);
  const path = findChromium(candidates);
  if (!path) throw new ChromiumUnavailableError(`apt-get installed chromium but no binary is at ${candidates.join(' or ')}`);
  say(`Chromium installed at ${path} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return path;
}

function lastLine(output: string): string {
  const lines = output.trim().split('\n');
  return lines[lines.length - 1]?.trim() || 'no output';
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(await ensureChromium({ onProgress: (line) => console.error(`[chromium] ${line}`) }));
  } catch (error) {
    console.error(error instanceof ChromiumUnavailableError ? error.message : String(error));
    process.exit(1);
  }
}
