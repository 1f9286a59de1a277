/**
 * A connector: one account at one payment provider, configured by the operator
 * (`/admin/connectors`) with its own credentials, mode, methods and priority. Several connectors
 * may serve one method; the lowest priority number is tried first.
 */
export type ConnectorMode = 'test' | 'live';
export type ConnectorStatus = 'active' | 'paused';
/** Why a connector is paused: by an operator, or by the circuit breaker after failed creates. */
export type ConnectorPausedReason = 'operator' | 'circuit_breaker';

export interface Connector {
  /** `conn_…` */
  id: string;
  /** The adapter's name: `sandbox`, `stripe`, … */
  provider: string;
  mode: ConnectorMode;
  /** Method codes it serves, each one its adapter can serve. */
  methods: string[];
  /** Lower first. */
  priority: number;
  status: ConnectorStatus;
  pausedReason: ConnectorPausedReason | null;
  pausedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A connector with its credentials as its adapter reads them (never shown, never logged). */
export interface StoredConnector extends Connector {
  credentials: Record<string, unknown>;
  /** Credentials with every secret field masked, for answers. */
  credentialsHint: Record<string, string>;
}

/** The connector made from `SANDBOX_*` at startup when no sandbox connector exists: its id is fixed. */
export const CONFIG_SANDBOX_CONNECTOR_ID = 'conn_sandboxFromConfig';

export const isConnectorId = (value: string) => /^conn_[0-9A-Za-z]{8,64}$/.test(value);

/**
 * A credential value as answers show it: a secret as `********` and its last four characters
 * (none of a secret shorter than 12), other fields as they are.
 */
export function maskCredential(value: unknown, secret: boolean): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  if (!secret) return text;
  return `********${text.length >= 12 ? text.slice(-4) : ''}`;
}
