import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { toTemporalLogger } from '../config/logger.js';

let installed = false;

/**
 * Installs Temporal's Runtime once per process, before any connection: SDK logs go through
 * our pino logger, the SDK's own Prometheus metrics (task latencies, slots, polls, sticky cache)
 * are served on their own port when one is given, and signals are handled by our shutdown
 * sequence (which first stops taking new work, then drains the workers), not by the Runtime.
 */
export function installTemporalRuntime(logger: Logger, options: { metricsAddress?: string | null } = {}): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: toTemporalLogger(logger.child({ component: 'temporal' })),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }), forward: {} },
      ...(options.metricsAddress ? { metrics: { prometheus: { bindAddress: options.metricsAddress }, metricPrefix: 'temporal_' } } : {}),
    },
  });
}

/** host:port for the SDK metrics, or null when switched off in billing.yaml. */
export function temporalMetricsAddress(operations: { host: string; temporalMetricsPort: number | null }): string | null {
  return operations.temporalMetricsPort === null ? null : `${operations.host}:${operations.temporalMetricsPort}`;
}
