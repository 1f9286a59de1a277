import type { Tracer } from '@opentelemetry/api';
import { type Logger, silentLogger } from './logger';
import { createMetrics, type Metrics } from './metrics';

/** What the API and the worker report through: logs, metrics and (when on) traces. Built in worker.ts. */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
  /** Present when tracing is on (`OTEL_EXPORTER`). */
  tracer?: Tracer;
}

/** For code paths built without observability (tests that assemble an app by hand): silent, own registry. */
export function quietObservability(): Observability {
  return { logger: silentLogger, metrics: createMetrics() };
}
