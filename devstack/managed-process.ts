import { spawn, type ChildProcess } from 'node:child_process';

/** A server process the dev stack started: its recent output, its exit, an orderly stop. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  /** The last 8 KB it printed (start-up errors are in it). */
  output(): string;
  /** How it exited, or null while it runs. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns a server in its own process group: a terminal's Ctrl-C must not stop it before the
 * workers have drained; stop() ends it in order, and an exit hook SIGKILLs it if this process dies.
 */
export function spawnManaged(
  binary: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; onOutput?: (line: string) => void } = {},
): ManagedProcess {
  const child = spawn(binary, [...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: options.env ?? process.env });
  let output = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString();
    output = (output + text).slice(-8000);
    for (const line of text.split('\n')) if (line.trim()) options.onOutput?.(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exit = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      process.removeListener('exit', killOnExit);
      resolve();
    });
    // A binary that cannot be run at all (ENOENT, EACCES): reported as an exit, with the reason as output.
    child.on('error', (error) => {
      output += `\n${error.message}`;
      exited ??= { code: null, signal: null };
      process.removeListener('exit', killOnExit);
      resolve();
    });
  });

  return {
    child,
    output: () => output,
    exited: () => exited,
    async stop(graceMs = 15_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/**
 * Polls `ready` every 250 ms until it answers true. Throws (and SIGKILLs the process) when the
 * process exits first or `timeoutMs` passes; both errors carry its output.
 */
export async function waitUntilReady(managed: ManagedProcess, what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exited = managed.exited();
    if (exited) throw new Error(`${what} exited during start-up (code ${exited.code}, signal ${exited.signal}). Its output:\n${managed.output().trim()}`);
    if (await ready()) return;
    if (Date.now() > deadline) {
      managed.child.kill('SIGKILL');
      throw new Error(`${what} was not ready within ${timeoutMs / 1000} s. Its output:\n${managed.output().trim()}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
