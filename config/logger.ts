import { pino, type Logger } from 'pino';
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { withoutTaskTokens, withoutTaskTokenText } from './task-tokens.js';

/** Paths pino blanks out wherever they appear in a log line. */
const REDACT = [
  'privateKey',
  '*.privateKey',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'password',
  '*.password',
];

/**
 * One structured JSON logger per process; child loggers bind subscriptionId, cycle, requestId.
 * Secrets are redacted, and no line carries a Temporal task token (config/task-tokens.ts), whoever logs it.
 */
export function createLogger(level: string, name = 'billing', destination?: pino.DestinationStream): Logger {
  const options = { name, level, redact: { paths: REDACT, censor: '[redacted]' }, formatters: { log: (object: Record<string, unknown>) => withoutTaskTokens(object) } };
  return destination ? pino(options, destination) : pino(options);
}

/** Adapts pino to the Logger interface Temporal's Runtime expects. */
export function toTemporalLogger(logger: Logger): TemporalLogger {
  const log = (level: TemporalLogLevel, message: string, meta?: LogMetadata): void => {
    // The Create Charge and Amazon-reads workers host activities only, by design: not a warning.
    const expected = level === 'WARN' && message.startsWith('No workflows registered');
    const method = expected ? 'debug' : (level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error');
    logger[method](meta ?? {}, withoutTaskTokenText(message));
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
