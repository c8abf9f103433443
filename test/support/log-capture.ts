import { pino, type Logger } from 'pino';

/** A pino logger whose JSON lines are kept in memory, for tests that check what is logged and at which level. */
export function captureLogger(level = 'info'): { logger: Logger; lines: Array<Record<string, unknown> & { level: number; msg: string }> } {
  const lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines };
}

export const PINO_WARN = 40;
