// One place that measures a benchmark phase: CPU of the worker process(es: one per daemon
// replica), the Temporal process (dev server or temporal-server), PostgreSQL (postmaster and backends), this process (simulator + load driver), any
// other processes a scenario names (e.g. webhook receivers), the machine's busy time, and the
// worker's peak memory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAverage, machineCpu, mib, ProcessMeter, round, sampleProcess, treeCpuSeconds } from './proc-stats.js';

export interface PhaseFigures {
  wallSeconds: number;
  cpuSeconds: {
    /** All daemon replicas together. */
    worker: number;
    /** Each daemon replica's own (absent with one replica). */
    workers?: number[];
    /** The Temporal process: the dev server, or the temporal-server with all four services (the field keeps its first name). */
    temporalDevServer: number;
    postgres: number;
    benchProcess: number;
    machineBusy: number;
    /** CPU seconds of the extra processes the meter was given, by name (absent: none given). */
    others?: Record<string, number>;
  };
  /** The largest replica's. */
  workerPeakRssMiB: number;
  /** Each replica's peak (absent with one replica). */
  workerPeakRssMiBByReplica?: number[];
  /** The Temporal process's RSS at the end. */
  devServerRssMiB: number;
  loadAverageAtEnd: number[];
}

export function postmasterPid(workDir: string): number | undefined {
  try {
    return Number(readFileSync(join(workDir, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

export class PhaseMeter {
  private readonly workers: ProcessMeter[];
  private started = 0;
  private devServerCpu0 = 0;
  private pgCpu0 = 0;
  private bench0 = process.cpuUsage();
  private machine0 = machineCpu();
  private readonly others: Array<[string, ProcessMeter]>;

  /**
   * `workerPid`: the daemon's pid, or one per replica (each read at every poll: a restarted
   * replica is followed). `others`: name → pid of further processes whose own CPU is measured
   * (e.g. webhook receivers).
   */
  constructor(
    workerPid: (() => number | undefined) | ReadonlyArray<() => number | undefined>,
    private readonly devServerPid: () => number | undefined,
    private readonly workDir: string,
    others: Record<string, () => number | undefined> = {},
  ) {
    this.workers = (typeof workerPid === 'function' ? [workerPid] : [...workerPid]).map((pid) => new ProcessMeter(pid));
    this.others = Object.entries(others).map(([name, pid]) => [name, new ProcessMeter(pid)]);
  }

  start(): this {
    this.started = Date.now();
    for (const worker of this.workers) worker.start();
    for (const [, meter] of this.others) meter.start();
    const dev = this.devServerPid();
    this.devServerCpu0 = dev === undefined ? 0 : (sampleProcess(dev)?.cpuSeconds ?? 0);
    const pg = postmasterPid(this.workDir);
    this.pgCpu0 = pg === undefined ? 0 : treeCpuSeconds(pg);
    this.bench0 = process.cpuUsage();
    this.machine0 = machineCpu();
    return this;
  }

  stop(): PhaseFigures {
    const workers = this.workers.map((w) => w.stop());
    const dev = this.devServerPid();
    const devSample = dev === undefined ? null : sampleProcess(dev);
    const pg = postmasterPid(this.workDir);
    const bench = process.cpuUsage(this.bench0);
    const machine = machineCpu();
    const others = this.others.map(([name, meter]) => [name, meter.stop().cpuSeconds] as const);
    return {
      wallSeconds: round((Date.now() - this.started) / 1000, 1),
      cpuSeconds: {
        worker: round(
          workers.reduce((sum, w) => sum + w.cpuSeconds, 0),
          2,
        ),
        ...(workers.length > 1 ? { workers: workers.map((w) => w.cpuSeconds) } : {}),
        // /proc counts in ticks of 10 ms: two decimals are what it resolves.
        temporalDevServer: round((devSample?.cpuSeconds ?? 0) - this.devServerCpu0, 2),
        postgres: round((pg === undefined ? 0 : treeCpuSeconds(pg)) - this.pgCpu0, 2),
        benchProcess: round((bench.user + bench.system) / 1e6, 2),
        machineBusy: round(machine.busySeconds - this.machine0.busySeconds, 1),
        ...(others.length > 0 ? { others: Object.fromEntries(others) } : {}),
      },
      workerPeakRssMiB: mib(Math.max(...workers.map((w) => w.peakRssBytes))),
      ...(workers.length > 1 ? { workerPeakRssMiBByReplica: workers.map((w) => mib(w.peakRssBytes)) } : {}),
      devServerRssMiB: mib(devSample?.rssBytes ?? 0),
      loadAverageAtEnd: loadAverage(),
    };
  }
}
