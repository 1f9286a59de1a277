/**
 * Connectors as data (`/admin/connectors`): the operator adds accounts at payment providers,
 * each with credentials its adapter validates (sealed at rest, write-only, shown masked), a mode,
 * the methods it serves and a priority; pauses and resumes them. Every change is read back into
 * this process's registry at once (other processes read it within `CONNECTOR_REFRESH_MS`).
 */
import type { Pool } from 'pg';
import type { Config } from '../config';
import {
  type ConnectorView,
  ensureConfigSandboxConnector,
  findConnector,
  insertConnector,
  listConnectors as listConnectorRows,
  resealConnectorCredentials,
  setConnectorStatus,
  updateConnector as updateConnectorRow,
} from '../db/connectors';
import { type ConnectorMode, maskCredential } from '../domain/connector';
import { invalid, notFound } from '../domain/errors';
import { randomToken } from '../domain/ids';
import { notificationsKey } from '../notifications/secrets';
import { configSandboxConnector, connectorAdapters } from '../providers/registry';
import type { ConnectorAdapter } from '../providers/types';
import { wakeParkedPurchases } from '../temporal/connectors';
import type { ServiceDeps } from './deps';

/** A connector as the operator API answers it. */
export interface ConnectorResource {
  id: string;
  object: 'connector';
  provider: string;
  mode: 'test' | 'live';
  methods: string[];
  priority: number;
  status: 'active' | 'paused';
  paused_reason: 'operator' | 'circuit_breaker' | null;
  paused_at: string | null;
  paused_by: string | null;
  /** Every field as given, secrets masked. */
  credentials: Record<string, string>;
  created_at: string;
  updated_at: string;
}

export const connectorResource = (connector: ConnectorView): ConnectorResource => ({
  id: connector.id,
  object: 'connector',
  provider: connector.provider,
  mode: connector.mode,
  methods: connector.methods,
  priority: connector.priority,
  status: connector.status,
  paused_reason: connector.pausedReason,
  paused_at: connector.pausedAt?.toISOString() ?? null,
  paused_by: connector.pausedBy,
  credentials: connector.credentialsHint,
  created_at: connector.createdAt.toISOString(),
  updated_at: connector.updatedAt.toISOString(),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyAdapter = ConnectorAdapter<any>;

function adapterOf(provider: string): AnyAdapter {
  const adapter = Object.hasOwn(connectorAdapters, provider) ? connectorAdapters[provider] : undefined;
  if (!adapter)
    throw invalid(
      'provider',
      `unknown provider ${JSON.stringify(provider)}; known: ${Object.keys(connectorAdapters).join(', ')}`,
    );
  return adapter;
}

/** The credentials as the adapter reads them; a problem names `credentials.<field>`. */
function validCredentials(adapter: AnyAdapter, credentials: unknown, mode: ConnectorMode): Record<string, unknown> {
  const parsed = adapter.credentials.safeParse(credentials ?? {});
  if (parsed.success) {
    const problem = adapter.modeProblem?.(parsed.data, mode);
    if (problem) throw invalid(`credentials.${problem.field}`, `credentials.${problem.field}: ${problem.message}`);
    return parsed.data as Record<string, unknown>;
  }
  const issue = parsed.error.issues[0]!;
  const field = issue.code === 'unrecognized_keys' ? (issue.keys[0] ?? '') : issue.path.map(String).join('.');
  const param = field ? `credentials.${field}` : 'credentials';
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  const message = issue.code === 'unrecognized_keys' ? `unknown field for ${adapter.provider}` : issue.message;
  throw invalid(
    param,
    `${param}: ${missing ? 'required' : message}`,
    missing ? 'parameter_missing' : 'parameter_invalid',
  );
}

function validMethods(adapter: AnyAdapter, methods: string[] | undefined): string[] {
  if (methods === undefined) return adapter.methods.map((method) => method.code);
  if (methods.length === 0) throw invalid('methods', 'methods: at least one method');
  methods.forEach((code, index) => {
    if (!adapter.methods.some((method) => method.code === code))
      throw invalid(
        `methods.${index}`,
        `methods.${index}: ${adapter.provider} cannot serve ${JSON.stringify(code)}; it serves ${adapter.methods.map((method) => method.code).join(', ')}`,
      );
  });
  return [...new Set(methods)];
}

const hintOf = (adapter: AnyAdapter, credentials: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(credentials).map(([field, value]) => [
      field,
      maskCredential(value, adapter.secretFields.includes(field)),
    ]),
  );

const keyOf = (config: Config) => notificationsKey(config);

async function existing(deps: ServiceDeps, id: string): Promise<ConnectorView> {
  const found = await findConnector(deps.db, id);
  if (!found) throw notFound('connector', 'id');
  return found;
}

export interface CreateConnectorInput {
  provider: string;
  mode: 'test' | 'live';
  credentials: Record<string, unknown>;
  methods?: string[];
  priority?: number;
}

export async function createConnector(deps: ServiceDeps, input: CreateConnectorInput): Promise<ConnectorResource> {
  const adapter = adapterOf(input.provider);
  const credentials = validCredentials(adapter, input.credentials, input.mode);
  const created = await insertConnector(
    deps.db,
    {
      id: `conn_${randomToken(20)}`,
      provider: adapter.provider,
      mode: input.mode,
      methods: validMethods(adapter, input.methods),
      priority: input.priority ?? 100,
      credentials,
      credentialsHint: hintOf(adapter, credentials),
    },
    keyOf(deps.config),
  );
  await deps.providers.refresh();
  return connectorResource(created);
}

export async function listConnectors(deps: ServiceDeps): Promise<{ object: 'list'; data: ConnectorResource[] }> {
  return { object: 'list', data: (await listConnectorRows(deps.db)).map(connectorResource) };
}

export async function getConnector(deps: ServiceDeps, id: string): Promise<ConnectorResource> {
  return connectorResource(await existing(deps, id));
}

export interface UpdateConnectorInput {
  methods?: string[];
  priority?: number;
  /** Replaces the credentials whole. */
  credentials?: Record<string, unknown>;
}

export async function updateConnector(
  deps: ServiceDeps,
  id: string,
  input: UpdateConnectorInput,
): Promise<ConnectorResource> {
  const current = await existing(deps, id);
  const adapter = adapterOf(current.provider);
  const credentials =
    input.credentials === undefined ? undefined : validCredentials(adapter, input.credentials, current.mode);
  const updated = await updateConnectorRow(
    deps.db,
    id,
    {
      ...(input.methods !== undefined && { methods: validMethods(adapter, input.methods) }),
      ...(input.priority !== undefined && { priority: input.priority }),
      ...(credentials && { credentials: { value: credentials, hint: hintOf(adapter, credentials) } }),
    },
    keyOf(deps.config),
  );
  if (!updated) throw notFound('connector', 'id');
  await deps.providers.refresh();
  return connectorResource(updated);
}

/** Pauses a connector: its methods vanish from new payments; payments waiting at it wait. */
export async function pauseConnector(
  deps: ServiceDeps,
  id: string,
  input: { operator?: string },
): Promise<ConnectorResource> {
  await existing(deps, id);
  const paused = await setConnectorStatus(deps.db, id, 'paused', 'operator', input.operator ?? null);
  if (!paused) throw notFound('connector', 'id');
  await deps.providers.refresh();
  deps.observability?.logger.info(
    { connectorId: id, operator: input.operator ?? null },
    `connector ${id} paused by the operator`,
  );
  return connectorResource(paused);
}

/** Resumes a connector: its methods are offered again, and payments parked at it go on. */
export async function resumeConnector(
  deps: ServiceDeps,
  id: string,
  input: { operator?: string },
): Promise<ConnectorResource> {
  const current = await existing(deps, id);
  if (current.status === 'active') return connectorResource(current);
  const resumed = await setConnectorStatus(deps.db, id, 'active', null);
  if (!resumed) throw notFound('connector', 'id');
  await deps.providers.refresh();
  const woken = await wakeParkedPurchases(deps, id);
  deps.observability?.logger.info(
    { connectorId: id, operator: input.operator ?? null, woken },
    `connector ${id} resumed by the operator`,
  );
  return connectorResource(resumed);
}

/**
 * At startup, after the migrations: connectors' credentials sealed with a replaced key are sealed
 * again, and the test-mode sandbox connector `SANDBOX_*` describes is created when no sandbox
 * connector exists (and follows `SANDBOX_*` after that).
 */
export async function prepareConnectors(
  db: Pool,
  config: Config,
): Promise<{ resealed: number; sandboxWritten: boolean }> {
  const key = notificationsKey(config);
  const resealed = await resealConnectorCredentials(db, key, config.notifications.previousKeys);
  const sandbox = configSandboxConnector(config);
  const adapter = adapterOf('sandbox');
  const sandboxWritten = await ensureConfigSandboxConnector(
    db,
    {
      provider: sandbox.provider,
      mode: sandbox.mode,
      methods: sandbox.methods,
      priority: sandbox.priority,
      credentials: sandbox.credentials,
      credentialsHint: hintOf(adapter, sandbox.credentials),
    },
    key,
  );
  return { resealed, sandboxWritten };
}
