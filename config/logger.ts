import { pino, type Logger } from 'pino';
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';

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

/** One structured JSON logger per process; child loggers bind subscriptionId, cycle, requestId. */
export function createLogger(level: string, name = 'billing'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } });
}

/** Adapts pino to the Logger interface Temporal's Runtime expects. */
export function toTemporalLogger(logger: Logger): TemporalLogger {
  const log = (level: TemporalLogLevel, message: string, meta?: LogMetadata): void => {
    // The Create Charge and Amazon-reads workers host activities only, by design: not a warning.
    const expected = level === 'WARN' && message.startsWith('No workflows registered');
    const method = expected ? 'debug' : (level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error');
    logger[method](meta ?? {}, message);
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
