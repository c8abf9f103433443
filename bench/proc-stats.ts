// Process and machine resource readings from /proc (Linux): CPU seconds of a process, its
// current and peak resident memory, and the whole machine's busy CPU time.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux x86-64

export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
  peakRssBytes: number;
}

/** null when the process is gone. */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds: (utime + stime) / TICKS_PER_SECOND, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the machine since boot (all cores). */
export function machineCpu(): { busySeconds: number; totalSeconds: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return { busySeconds: (total - idle) / TICKS_PER_SECOND, totalSeconds: total / TICKS_PER_SECOND };
}

export function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).map(Number);
}

/**
 * Tracks a process's CPU between start() and stop(), and the peak RSS seen by polling (VmHWM
 * already gives the kernel's peak; polling also covers a process restarted under a new pid).
 */
export class ProcessMeter {
  private baseCpu = 0;
  private lastCpu = 0;
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly pid: () => number | undefined) {}

  start(): void {
    const pid = this.pid();
    const s = pid === undefined ? null : sampleProcess(pid);
    this.baseCpu = s?.cpuSeconds ?? 0;
    this.lastCpu = this.baseCpu;
    this.peak = s?.peakRssBytes ?? 0;
    this.timer = setInterval(() => this.poll(), 500);
  }

  private poll(): void {
    const pid = this.pid();
    const s = pid === undefined ? null : sampleProcess(pid);
    if (!s) return;
    this.lastCpu = s.cpuSeconds;
    this.peak = Math.max(this.peak, s.peakRssBytes);
  }

  stop(): { cpuSeconds: number; peakRssBytes: number } {
    this.poll();
    if (this.timer) clearInterval(this.timer);
    return { cpuSeconds: round(this.lastCpu - this.baseCpu, 2), peakRssBytes: this.peak };
  }
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function mib(bytes: number): number {
  return round(bytes / 1024 / 1024, 1);
}

/**
 * CPU seconds of a process plus all its children, dead or alive: its own time, the time of
 * children it has reaped (cutime/cstime, how PostgreSQL's finished backends are counted) and
 * the time of children still running.
 */
export function treeCpuSeconds(rootPid: number): number {
  const read = (pid: number): string[] | null => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    } catch {
      return null;
    }
  };
  const root = read(rootPid);
  if (!root) return 0;
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = read(Number(entry));
    if (fields && Number(fields[1]) === rootPid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}
