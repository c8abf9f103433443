import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { toTemporalLogger } from '../config/logger.js';

let installed = false;

/**
 * Installs Temporal's Runtime once per process, before any connection: SDK logs go through
 * our pino logger, and signals are handled by our own shutdown sequence (which first stops
 * taking new work, then drains the workers), not by the Runtime's.
 */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: toTemporalLogger(logger.child({ component: 'temporal' })),
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }), forward: {} } },
  });
}
