/**
 * The circuit breaker's metric: `kassa_connector_breaker_trips_total{connector_id, provider}`,
 * counted where the breaker trips (a worker), in its own registry that `/metrics` serves beside Kassa's.
 */
import { Counter, Registry } from 'prom-client';

export const connectorMetricsRegistry = new Registry();

export const connectorBreakerTrips = new Counter({
  name: 'kassa_connector_breaker_trips_total',
  help: 'Connectors paused by their circuit breaker after too many failed creates in its window',
  labelNames: ['connector_id', 'provider'] as const,
  registers: [connectorMetricsRegistry],
});
