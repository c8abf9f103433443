// One place that measures a benchmark phase: CPU of the worker process, the Temporal dev
// server, PostgreSQL (postmaster and backends), this process (simulator + load driver), any
// other processes a scenario names (e.g. webhook receivers), the machine's busy time, and the
// worker's peak memory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAverage, machineCpu, mib, ProcessMeter, round, sampleProcess, treeCpuSeconds } from './proc-stats.js';

export interface PhaseFigures {
  wallSeconds: number;
  cpuSeconds: {
    worker: number;
    temporalDevServer: number;
    postgres: number;
    benchProcess: number;
    machineBusy: number;
    /** CPU seconds of the extra processes the meter was given, by name (absent: none given). */
    others?: Record<string, number>;
  };
  workerPeakRssMiB: number;
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
  private readonly worker: ProcessMeter;
  private started = 0;
  private devServerCpu0 = 0;
  private pgCpu0 = 0;
  private bench0 = process.cpuUsage();
  private machine0 = machineCpu();
  private readonly others: Array<[string, ProcessMeter]>;

  /** `others`: name → pid of further processes whose own CPU is measured (e.g. webhook receivers). */
  constructor(
    workerPid: () => number | undefined,
    private readonly devServerPid: () => number | undefined,
    private readonly workDir: string,
    others: Record<string, () => number | undefined> = {},
  ) {
    this.worker = new ProcessMeter(workerPid);
    this.others = Object.entries(others).map(([name, pid]) => [name, new ProcessMeter(pid)]);
  }

  start(): this {
    this.started = Date.now();
    this.worker.start();
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
    const worker = this.worker.stop();
    const dev = this.devServerPid();
    const devSample = dev === undefined ? null : sampleProcess(dev);
    const pg = postmasterPid(this.workDir);
    const bench = process.cpuUsage(this.bench0);
    const machine = machineCpu();
    const others = this.others.map(([name, meter]) => [name, meter.stop().cpuSeconds] as const);
    return {
      wallSeconds: round((Date.now() - this.started) / 1000, 1),
      cpuSeconds: {
        worker: worker.cpuSeconds,
        // /proc counts in ticks of 10 ms: two decimals are what it resolves.
        temporalDevServer: round((devSample?.cpuSeconds ?? 0) - this.devServerCpu0, 2),
        postgres: round((pg === undefined ? 0 : treeCpuSeconds(pg)) - this.pgCpu0, 2),
        benchProcess: round((bench.user + bench.system) / 1e6, 2),
        machineBusy: round(machine.busySeconds - this.machine0.busySeconds, 1),
        ...(others.length > 0 ? { others: Object.fromEntries(others) } : {}),
      },
      workerPeakRssMiB: mib(worker.peakRssBytes),
      devServerRssMiB: mib(devSample?.rssBytes ?? 0),
      loadAverageAtEnd: loadAverage(),
    };
  }
}
