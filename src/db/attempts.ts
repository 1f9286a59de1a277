/**
 * Payment attempts at connectors, the connectors' operator events and the circuit breaker's state
 * (migration 011).
 */
import type { Pool } from 'pg';
import {
  type AttemptStatus,
  type BreakerSettings,
  breakerCountedStatuses,
  type ConnectorEvent,
  type PaymentAttempt,
} from '../domain/attempt';

interface AttemptRow {
  payment_id: string;
  attempt: number;
  connector_id: string;
  provider: string;
  method: string;
  reference: string;
  provider_payment_id: string | null;
  status: AttemptStatus;
  latency_ms: number | null;
  error: string | null;
  created_at: Date;
}

const fromRow = (row: AttemptRow): PaymentAttempt => ({
  paymentId: row.payment_id,
  attempt: row.attempt,
  connectorId: row.connector_id,
  provider: row.provider,
  method: row.method,
  reference: row.reference,
  providerPaymentId: row.provider_payment_id,
  status: row.status,
  latencyMs: row.latency_ms,
  error: row.error,
  createdAt: row.created_at,
});

/** One attempt's row, null when it has none. */
export async function findAttempt(
  db: Pick<Pool, 'query'>,
  paymentId: string,
  attempt: number,
): Promise<PaymentAttempt | null> {
  const { rows } = await db.query<AttemptRow>('select * from payment_attempts where payment_id = $1 and attempt = $2', [
    paymentId,
    attempt,
  ]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** The status an attempt's row has now, null when it has none. */
export async function attemptStatus(db: Pick<Pool, 'query'>, paymentId: string, attempt: number) {
  return (await findAttempt(db, paymentId, attempt))?.status ?? null;
}

/** Stores what one create try at a connector gave (a retried try overwrites its own row). */
export async function saveAttempt(db: Pool, attempt: Omit<PaymentAttempt, 'createdAt'>): Promise<void> {
  await db.query(
    `insert into payment_attempts
       (payment_id, attempt, connector_id, provider, method, reference, provider_payment_id, status, latency_ms, error)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     on conflict (payment_id, attempt) do update set
       connector_id = excluded.connector_id, provider = excluded.provider, method = excluded.method,
       reference = excluded.reference,
       provider_payment_id = coalesce(excluded.provider_payment_id, payment_attempts.provider_payment_id),
       status = excluded.status, latency_ms = excluded.latency_ms, error = excluded.error, updated_at = now()`,
    [
      attempt.paymentId,
      attempt.attempt,
      attempt.connectorId,
      attempt.provider,
      attempt.method,
      attempt.reference,
      attempt.providerPaymentId,
      attempt.status,
      attempt.latencyMs,
      attempt.error,
    ],
  );
}

/** An attempt settled: succeeded, declined or canceled (and the provider payment it named, once known). */
export async function settleAttempt(
  db: Pick<Pool, 'query'>,
  target: { paymentId: string; attempt: number; status: AttemptStatus; providerPaymentId?: string | null },
): Promise<void> {
  await db.query(
    `update payment_attempts set status = $3, provider_payment_id = coalesce($4, provider_payment_id), updated_at = now()
     where payment_id = $1 and attempt = $2`,
    [target.paymentId, target.attempt, target.status, target.providerPaymentId ?? null],
  );
}

/** A payment's attempts, first first. */
export async function listAttempts(db: Pick<Pool, 'query'>, paymentId: string): Promise<PaymentAttempt[]> {
  const { rows } = await db.query<AttemptRow>('select * from payment_attempts where payment_id = $1 order by attempt', [
    paymentId,
  ]);
  return rows.map(fromRow);
}

/** Open payments whose current (latest) attempt is at `connectorId`. */
export async function openPaymentsAt(db: Pick<Pool, 'query'>, connectorId: string): Promise<string[]> {
  const { rows } = await db.query<{ payment_id: string }>(
    `select latest.payment_id from (
       select distinct on (a.payment_id) a.payment_id, a.connector_id
       from payment_attempts a join payments p on p.id = a.payment_id
       where p.status in ('awaiting_method', 'awaiting_payment')
       order by a.payment_id, a.attempt desc
     ) latest where latest.connector_id = $1`,
    [connectorId],
  );
  return rows.map((row) => row.payment_id);
}

/**
 * How many creates at `connectorId` failed (not reached, or outcome unknown) within the breaker's
 * window; those refused because it was paused do not count.
 */
export async function recentFailedCreates(db: Pool, connectorId: string, settings: BreakerSettings): Promise<number> {
  const { rows } = await db.query<{ failures: string }>(
    `select count(*) as failures from payment_attempts
     where connector_id = $1 and status = any($2) and updated_at > now() - make_interval(secs => $3)
       and error is distinct from 'connector_paused'`,
    [connectorId, breakerCountedStatuses, settings.windowSeconds],
  );
  return Number(rows[0]!.failures);
}

/**
 * Claims the breaker's trip of `connectorId`: true for the one caller that trips it; false when it
 * is tripped already (a trip older than the window belongs to a connector resumed since).
 */
export async function claimTrip(db: Pool, connectorId: string, settings: BreakerSettings): Promise<boolean> {
  const { rowCount } = await db.query(
    `insert into connector_breakers (connector_id, tripped_at, next_probe_at)
     values ($1, now(), now() + make_interval(secs => $2))
     on conflict (connector_id) do update set tripped_at = now(), next_probe_at = excluded.next_probe_at
     where connector_breakers.next_probe_at is null
        or connector_breakers.tripped_at < now() - make_interval(secs => $3)`,
    [connectorId, settings.probeSeconds, settings.windowSeconds],
  );
  return rowCount === 1;
}

/**
 * Tripped connectors whose probe is due, each claimed for this caller (its next probe moved one
 * cool-down on), so one process probes a connector per cool-down.
 */
export async function claimDueProbes(db: Pool, settings: BreakerSettings): Promise<string[]> {
  const { rows } = await db.query<{ connector_id: string }>(
    `update connector_breakers set next_probe_at = now() + make_interval(secs => $1)
     where next_probe_at <= now() returning connector_id`,
    [settings.probeSeconds],
  );
  return rows.map((row) => row.connector_id);
}

/** The breaker let go of `connectorId` (its probe answered). */
export async function releaseBreaker(db: Pool, connectorId: string): Promise<void> {
  await db.query('update connector_breakers set next_probe_at = null where connector_id = $1', [connectorId]);
}

export async function addConnectorEvent(
  db: Pool,
  event: Pick<ConnectorEvent, 'connectorId' | 'kind' | 'detail'>,
): Promise<void> {
  await db.query('insert into connector_events (connector_id, kind, detail) values ($1, $2, $3)', [
    event.connectorId,
    event.kind,
    JSON.stringify(event.detail),
  ]);
}

/** Connector events, newest first; of one connector when `connectorId` is given. */
export async function listConnectorEvents(
  db: Pick<Pool, 'query'>,
  options: { connectorId?: string; limit: number },
): Promise<ConnectorEvent[]> {
  const { rows } = await db.query<{
    id: string;
    connector_id: string;
    kind: ConnectorEvent['kind'];
    detail: Record<string, unknown>;
    created_at: Date;
  }>(`select * from connector_events where ($1::text is null or connector_id = $1) order by id desc limit $2`, [
    options.connectorId ?? null,
    options.limit,
  ]);
  return rows.map((row) => ({
    id: String(row.id),
    connectorId: row.connector_id,
    kind: row.kind,
    detail: row.detail,
    createdAt: row.created_at,
  }));
}
