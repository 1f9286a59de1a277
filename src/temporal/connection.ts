/** How Kassa opens its connections to Temporal from the settings `src/temporal-settings.ts` reads. */
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalSettings } from '../temporal-settings';

/** The options both kinds of connection take: the same for the API's client and the worker. */
export function temporalConnectionOptions(settings: TemporalSettings): ConnectionOptions & NativeConnectionOptions {
  return {
    address: settings.address,
    ...(settings.tls && { tls: settings.tls }),
    ...(settings.apiKey !== undefined && { apiKey: settings.apiKey }),
    ...(settings.metadata && { metadata: settings.metadata }),
  };
}

/** The client connection (API calls, operator service). */
export function connectClient(settings: TemporalSettings): Promise<Connection> {
  return Connection.connect(temporalConnectionOptions(settings));
}

/** The worker's native connection; a client on it starts workflows eagerly. */
export function connectWorker(settings: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(settings));
}

/** A log line's worth of the settings, without secrets: `host:port namespace ns, mTLS, API key`. */
export function describeTemporal(settings: TemporalSettings): string {
  const security = settings.tls ? (settings.tls.clientCertPair ? 'mTLS' : 'TLS') : 'plaintext';
  return [
    `${settings.address} namespace ${settings.namespace}`,
    security,
    ...(settings.apiKey !== undefined ? ['API key'] : []),
  ].join(', ');
}
