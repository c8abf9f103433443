import { pino, type Logger } from 'pino';
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { logSafeText, withoutTaskTokens } from './task-tokens.js';

/**
 * Keys whose values are secrets wherever they appear in a log line (any depth, a line's own fields
 * and a child logger's bound fields alike): private keys (AMAZON_PAY_PRIVATE_KEY, the sandbox key's
 * privateKeyPem), API keys and HTTP credentials (the API's Authorization header, a new key's
 * `secret`, Temporal's apiKey), passwords. The value becomes "[redacted]"; the key stays, so a
 * reader sees that something was there. (This product has no webhook secrets: IPNs are trusted by
 * their SNS signature, ipn/signature.ts.)
 */
export const SECRET_LOG_KEY =
  /^(?:private_?key(?:_?pem)?|api_?key|authorization|proxy-authorization|cookie|x-api-key|secret|.*_secret|.*Secret|password|passwd)$/i;

/**
 * One structured JSON logger per process; child loggers bind subscriptionId, cycle, requestId.
 * Secrets (SECRET_LOG_KEY) are redacted and no line carries a Temporal task token
 * (config/task-tokens.ts) or a failed SQL statement's values (config/query-parameters.ts), whoever logs it: in the line's fields (formatters.log), in fields bound
 * by child() at any depth of children (Fastify's and ours), or in the message text (hooks.logMethod).
 */
export function createLogger(level: string, name = 'billing', destination?: pino.DestinationStream): Logger {
  const scrub = (object: Record<string, unknown>): Record<string, unknown> => withoutTaskTokens(object, SECRET_LOG_KEY);
  const options: pino.LoggerOptions = {
    name,
    level,
    formatters: { log: scrub },
    hooks: {
      // The message and its format arguments; the first argument, when an object, goes through formatters.log.
      logMethod(args, method) {
        const clean = args.map((arg, i) =>
          typeof arg === 'string' ? logSafeText(arg) : i > 0 && typeof arg === 'object' && arg !== null ? withoutTaskTokens(arg, SECRET_LOG_KEY) : arg,
        );
        method.apply(this, clean as Parameters<typeof method>);
      },
    },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino serialises a child's bindings once, at child(), without formatters.log (and it resets
  // formatters.bindings for children): they are scrubbed here. Children are created with the
  // parent as prototype, so every descendant inherits this child().
  const child = logger.child;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return child.call(this, scrub(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

/** Adapts pino to the Logger interface Temporal's Runtime expects. */
export function toTemporalLogger(logger: Logger): TemporalLogger {
  const log = (level: TemporalLogLevel, message: string, meta?: LogMetadata): void => {
    // The Create Charge and Amazon-reads workers host activities only, by design: not a warning.
    const expected = level === 'WARN' && message.startsWith('No workflows registered');
    const method = expected ? 'debug' : (level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error');
    logger[method](meta ?? {}, logSafeText(message));
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
