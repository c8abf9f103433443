// Results files: <out>/<kind>-<timestamp>.json (every run) and <out>/<kind>-latest.md.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { loadAverage, mib } from './proc-stats.js';

export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryMiB: number;
  node: string;
  loadAverageAtStart: number[];
  commit: string | null;
}

export function machineInfo(): MachineInfo {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = null;
  }
  return {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryMiB: mib(totalmem()),
    node: process.version,
    loadAverageAtStart: loadAverage(),
    commit,
  };
}

export async function writeResults(dir: string, kind: string, report: unknown, markdown: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const json = join(dir, `${kind}-${stamp}.json`);
  const md = join(dir, `${kind}-latest.md`);
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(md, markdown);
  return [json, md];
}

/** A markdown table from rows of cells. */
export function table(header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cell = (v: string | number | null | undefined): string => (v === null || v === undefined ? '—' : String(v));
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}
