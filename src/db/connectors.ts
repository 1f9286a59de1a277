import type { Pool } from 'pg';
import {
  CONFIG_SANDBOX_CONNECTOR_ID,
  type Connector,
  type ConnectorPausedReason,
  type ConnectorStatus,
  type StoredConnector,
} from '../domain/connector';
import { decryptSecret, decryptWithKeys, encryptSecret, SecretUnreadableError } from '../notifications/secrets';
import type { Queryable } from './transaction';

interface ConnectorRow {
  id: string;
  provider: string;
  mode: 'test' | 'live';
  methods: string[];
  priority: number;
  status: ConnectorStatus;
  paused_reason: ConnectorPausedReason | null;
  paused_at: Date | null;
  paused_by: string | null;
  credentials: string;
  credentials_hint: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

/** A connector as the operator API shows it: credentials masked, who paused it. */
export type ConnectorView = Connector & { credentialsHint: Record<string, string>; pausedBy: string | null };

const toView = (row: ConnectorRow): ConnectorView => ({
  id: row.id,
  provider: row.provider,
  mode: row.mode,
  methods: row.methods,
  priority: row.priority,
  status: row.status,
  pausedReason: row.paused_reason,
  pausedAt: row.paused_at,
  pausedBy: row.paused_by,
  credentialsHint: row.credentials_hint,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The owner a connector's sealed credentials are bound to (AES-GCM additional data). */
export const connectorCredentialsOwner = (connectorId: string) => `connector/${connectorId}`;

const seal = (key: Buffer, connectorId: string, credentials: Record<string, unknown>) =>
  encryptSecret(key, JSON.stringify(credentials), connectorCredentialsOwner(connectorId));

export interface NewConnector {
  id: string;
  provider: string;
  mode: 'test' | 'live';
  methods: string[];
  priority: number;
  credentials: Record<string, unknown>;
  credentialsHint: Record<string, string>;
}

export async function insertConnector(db: Queryable, connector: NewConnector, key: Buffer): Promise<ConnectorView> {
  const { rows } = await db.query<ConnectorRow>(
    `insert into connectors (id, provider, mode, methods, priority, credentials, credentials_hint)
     values ($1, $2, $3, $4, $5, $6, $7) returning *`,
    [
      connector.id,
      connector.provider,
      connector.mode,
      connector.methods,
      connector.priority,
      seal(key, connector.id, connector.credentials),
      JSON.stringify(connector.credentialsHint),
    ],
  );
  return toView(rows[0]!);
}

export async function findConnector(db: Queryable, id: string): Promise<ConnectorView | null> {
  const { rows } = await db.query<ConnectorRow>('select * from connectors where id = $1', [id]);
  return rows[0] ? toView(rows[0]) : null;
}

/** Every connector, by mode, priority and age. */
export async function listConnectors(db: Queryable): Promise<ConnectorView[]> {
  const { rows } = await db.query<ConnectorRow>('select * from connectors order by mode, priority, created_at, id');
  return rows.map(toView);
}

/**
 * Every connector with its credentials opened by the first of `keys` that fits; a connector no key
 * opens comes with no credentials (its adapter then refuses it).
 */
export async function loadStoredConnectors(db: Queryable, keys: readonly Buffer[]): Promise<StoredConnector[]> {
  const { rows } = await db.query<ConnectorRow>('select * from connectors');
  return rows.map((row) => {
    let credentials: Record<string, unknown> = {};
    try {
      credentials = JSON.parse(decryptWithKeys(keys, row.credentials, connectorCredentialsOwner(row.id))) as Record<
        string,
        unknown
      >;
    } catch (error) {
      if (!(error instanceof SecretUnreadableError) && !(error instanceof SyntaxError)) throw error;
    }
    const { pausedBy: _by, ...connector } = toView(row);
    return { ...connector, credentials };
  });
}

export interface ConnectorChange {
  methods?: string[];
  priority?: number;
  /** Replaces the credentials whole, with their masked form. */
  credentials?: { value: Record<string, unknown>; hint: Record<string, string> };
}

export async function updateConnector(
  db: Queryable,
  id: string,
  change: ConnectorChange,
  key: Buffer,
): Promise<ConnectorView | null> {
  const { rows } = await db.query<ConnectorRow>(
    `update connectors set methods = coalesce($2, methods), priority = coalesce($3, priority),
       credentials = coalesce($4, credentials), credentials_hint = coalesce($5, credentials_hint), updated_at = now()
     where id = $1 returning *`,
    [
      id,
      change.methods ?? null,
      change.priority ?? null,
      change.credentials ? seal(key, id, change.credentials.value) : null,
      change.credentials ? JSON.stringify(change.credentials.hint) : null,
    ],
  );
  return rows[0] ? toView(rows[0]) : null;
}

/**
 * Pauses (with its reason) or resumes a connector. Pausing an already paused connector keeps its
 * first reason and time; `null` when there is no such connector.
 */
export async function setConnectorStatus(
  db: Queryable,
  id: string,
  status: ConnectorStatus,
  reason: ConnectorPausedReason | null,
  pausedBy: string | null = null,
): Promise<ConnectorView | null> {
  const { rows } = await db.query<ConnectorRow>(
    status === 'paused'
      ? `update connectors set status = 'paused', paused_reason = coalesce(paused_reason, $2),
           paused_at = coalesce(paused_at, now()), paused_by = case when status = 'paused' then paused_by else $3 end,
           updated_at = now()
         where id = $1 returning *`
      : `update connectors set status = 'active', paused_reason = null, paused_at = null, paused_by = null,
           updated_at = now()
         where id = $1 returning *`,
    status === 'paused' ? [id, reason ?? 'operator', pausedBy] : [id],
  );
  return rows[0] ? toView(rows[0]) : null;
}

/**
 * The order number a provider sees for one of Kassa's idempotency keys: the key itself for
 * `kassa`, else a number from a sequence, stored once per connector and key (a retry gets the same).
 */
export async function providerReference(
  db: Queryable,
  connectorId: string,
  idempotencyKey: string,
  format: 'kassa' | 'numeric',
): Promise<string> {
  if (format === 'kassa') return idempotencyKey;
  await db.query(
    `insert into provider_references (connector_id, idempotency_key, reference)
     values ($1, $2, nextval('provider_reference_numbers')::text) on conflict (connector_id, idempotency_key) do nothing`,
    [connectorId, idempotencyKey],
  );
  const { rows } = await db.query<{ reference: string }>(
    'select reference from provider_references where connector_id = $1 and idempotency_key = $2',
    [connectorId, idempotencyKey],
  );
  return rows[0]!.reference;
}

/** The idempotency key behind a provider's reference (a numeric one maps back; a `kassa` one is the key). */
export async function idempotencyKeyOfReference(
  db: Queryable,
  connectorId: string,
  reference: string,
): Promise<string | null> {
  const { rows } = await db.query<{ idempotency_key: string }>(
    'select idempotency_key from provider_references where connector_id = $1 and reference = $2',
    [connectorId, reference],
  );
  return rows[0]?.idempotency_key ?? null;
}

/**
 * Makes sure a sandbox connector exists: when there is none, the test-mode one `SANDBOX_*`
 * describes is created (with a fixed id, so processes starting together make one). That one
 * follows `SANDBOX_*` at every start. Answers whether it wrote anything.
 */
export async function ensureConfigSandboxConnector(
  db: Pool,
  connector: Omit<NewConnector, 'id'>,
  key: Buffer,
): Promise<boolean> {
  const id = CONFIG_SANDBOX_CONNECTOR_ID;
  const existing = await db.query<ConnectorRow>('select * from connectors where provider = $1', ['sandbox']);
  const own = existing.rows.find((row) => row.id === id);
  if (existing.rows.length > 0 && !own) return false;
  if (own) {
    let current: string | null = null;
    try {
      current = decryptSecret(key, own.credentials, connectorCredentialsOwner(id));
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) throw error;
    }
    if (current === JSON.stringify(connector.credentials)) return false;
    await updateConnector(
      db,
      id,
      { credentials: { value: connector.credentials, hint: connector.credentialsHint } },
      key,
    );
    return true;
  }
  const { rowCount } = await db.query(
    `insert into connectors (id, provider, mode, methods, priority, credentials, credentials_hint)
     values ($1, $2, $3, $4, $5, $6, $7) on conflict (id) do nothing`,
    [
      id,
      connector.provider,
      connector.mode,
      connector.methods,
      connector.priority,
      seal(key, id, connector.credentials),
      JSON.stringify(connector.credentialsHint),
    ],
  );
  return rowCount === 1;
}

/**
 * After `NOTIFICATIONS_KEY` changes: connectors' credentials still sealed with a key it replaced
 * are sealed again with the current one (a row changed meanwhile is left as it is). Answers how many.
 */
export async function resealConnectorCredentials(
  db: Pool,
  key: Buffer,
  previousKeys: readonly Buffer[],
): Promise<number> {
  if (previousKeys.length === 0) return 0;
  const { rows } = await db.query<{ id: string; credentials: string }>('select id, credentials from connectors');
  let resealed = 0;
  for (const row of rows) {
    const owner = connectorCredentialsOwner(row.id);
    try {
      decryptSecret(key, row.credentials, owner);
      continue;
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) throw error;
    }
    let plaintext: string;
    try {
      plaintext = decryptWithKeys(previousKeys, row.credentials, owner);
    } catch (error) {
      if (error instanceof SecretUnreadableError) continue;
      throw error;
    }
    const { rowCount } = await db.query('update connectors set credentials = $3 where id = $1 and credentials = $2', [
      row.id,
      row.credentials,
      encryptSecret(key, plaintext, owner),
    ]);
    resealed += rowCount ?? 0;
  }
  return resealed;
}

/** Records the connector a refund goes through. */
export async function setRefundConnector(db: Queryable, refundId: string, connectorId: string): Promise<void> {
  await db.query('update refunds set connector_id = $2 where id = $1', [refundId, connectorId]);
}

/** Records the connector a payout goes through. */
export async function setPayoutConnector(db: Queryable, payoutId: string, connectorId: string): Promise<void> {
  await db.query('update payouts set connector_id = $2 where id = $1', [payoutId, connectorId]);
}

export async function refundConnectorId(db: Queryable, refundId: string): Promise<string | null> {
  const { rows } = await db.query<{ connector_id: string | null }>('select connector_id from refunds where id = $1', [
    refundId,
  ]);
  return rows[0]?.connector_id ?? null;
}

export async function payoutConnectorId(db: Queryable, payoutId: string): Promise<string | null> {
  const { rows } = await db.query<{ connector_id: string | null }>('select connector_id from payouts where id = $1', [
    payoutId,
  ]);
  return rows[0]?.connector_id ?? null;
}

/**
 * The connector whose attempt made a payment's provider payment (the one that captured it), from
 * the payment's recorded attempts; `null` when none is recorded.
 */
export async function capturingConnectorId(
  db: Queryable,
  paymentId: string,
  providerPaymentId: string | null,
): Promise<string | null> {
  if (providerPaymentId === null) return null;
  const { rows } = await db.query<{ connector_id: string }>(
    `select connector_id from payment_attempts where payment_id = $1 and provider_payment_id = $2
     order by attempt desc limit 1`,
    [paymentId, providerPaymentId],
  );
  return rows[0]?.connector_id ?? null;
}
