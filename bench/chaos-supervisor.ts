// Keeps one worker process running, as systemd or Kubernetes would: the fault suite SIGKILLs it
// on purpose, and any exit it did not ask for (a crash) is counted and restarted too.
import { spawnWorker, type WorkerProcess, type WorkerSpawnOptions } from './worker-process.js';

export class WorkerSupervisor {
  private current: WorkerProcess | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private respawning: Promise<void> | undefined;
  private stopped = false;
  /** Exits nobody asked for (the worker crashed, e.g. while Temporal was down). */
  unexpectedExits = 0;
  /** For each unexpected exit: its code or signal and the worker's last output lines. */
  readonly unexpectedExitDetails: string[] = [];

  constructor(private readonly options: WorkerSpawnOptions) {}

  get pid(): number | undefined {
    return this.current?.pid;
  }

  async start(): Promise<number> {
    this.current = await spawnWorker(this.options);
    const readyMs = await this.current.ready();
    this.watchdog = setInterval(() => {
      if (!this.stopped && this.current?.exited && !this.respawning) {
        this.unexpectedExits += 1;
        this.unexpectedExitDetails.push(this.current.exitDescription);
        this.options.onOutput?.(`worker ${this.current.pid} exited unexpectedly; restarting it`);
        this.respawning = this.respawn().finally(() => (this.respawning = undefined));
      }
    }, 500);
    return readyMs;
  }

  private async respawn(): Promise<void> {
    this.current = await spawnWorker(this.options);
    await this.current.ready(120_000).catch(() => {});
  }

  /** SIGKILL now, start a replacement at once; resolves when it polls, with its start-up time. */
  async killAndRestart(): Promise<{ killedPid: number | undefined; readyMs: number }> {
    await this.respawning;
    const killed = this.current;
    this.respawning = (async () => {
      await killed?.kill('SIGKILL');
      this.current = await spawnWorker(this.options);
    })();
    await this.respawning;
    this.respawning = undefined;
    const readyMs = await (this.current as WorkerProcess).ready(120_000);
    return { killedPid: killed?.pid, readyMs };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    await this.respawning;
    await this.current?.stop();
  }
}
