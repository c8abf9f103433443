// Keeps the state in a JSON data file so idempotency keys and objects survive a restart.
// Writes are atomic: a temporary file in the same directory, then rename over the target.
import { readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { emptyState, type SimulatorState } from './state.js';

export function loadState(dataFile: string | undefined): SimulatorState {
  if (!dataFile || !existsSync(dataFile)) return emptyState();
  const text = readFileSync(dataFile, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Simulator data file ${dataFile} is not valid JSON; delete it or fix it.`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { version?: unknown }).version !== 1) {
    throw new Error(`Simulator data file ${dataFile} has an unknown format (expected version 1).`);
  }
  return { ...emptyState(), ...(parsed as SimulatorState) };
}

export function saveState(dataFile: string, state: SimulatorState): void {
  const tmp = `${dataFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, dataFile);
}
