// Starts a TypeScript script in a child process (node --import tsx) and resolves once it prints
// its ready line on stdout, so a test can SIGKILL it mid-work.
import { spawn } from 'node:child_process';

export interface ReadyChild {
  readonly pid: number;
  /** Sends `signal` (unless it has exited) and resolves when it has. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function spawnReadyChild(
  script: string,
  options: { env: NodeJS.ProcessEnv; readyLine: string; what: string; readyTimeoutMs: number },
): Promise<ReadyChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.what} not ready after ${options.readyTimeoutMs} ms: ${stderr}`)), options.readyTimeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(options.readyLine)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${options.what} exited (${code}) before it was ready: ${stderr}`));
    });
  });
  return {
    pid: child.pid ?? -1,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
