import type { Logger } from 'pino';
import { createLogger } from '../../config/logger.js';

/**
 * The product's logger (config/logger.ts: secrets redacted, task tokens removed) whose JSON lines
 * are kept in memory, for tests that check what is logged, at which level, and what never is.
 */
export function captureLogger(level = 'info'): { logger: Logger; lines: Array<Record<string, unknown> & { level: number; msg: string }> } {
  const lines: Array<Record<string, unknown> & { level: number; msg: string }> = [];
  const logger = createLogger(level, 'test', { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
  return { logger, lines };
}

export const PINO_WARN = 40;
