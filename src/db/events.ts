import type { Pool, PoolClient } from 'pg';
import type { PaymentEvent, PaymentEventWithAttempts, WebhookAttempt } from '../domain/event';
import type { MerchantEventType, PayoutEventType } from '../domain/event-types';
import type { Posting } from '../domain/ledger';
import { finishPosting, postingStatement } from './ledger';
import type { Queryable } from './transaction';

interface EventRow {
  id: string;
  payment_id: string | null;
  checkout_id: string | null;
  type: string;
  body: string;
  created_at: Date;
  delivered_at: Date | null;
}

const mapRow = (row: EventRow): PaymentEvent => ({
  id: row.id,
  paymentId: row.payment_id ?? '',
  checkoutId: row.checkout_id,
  type: row.type as MerchantEventType,
  body: row.body,
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

/** Inserts the event once; a retried insert of the same id keeps the first body. */
export async function insertEvent(
  db: PoolClient,
  event: Pick<PaymentEvent, 'id' | 'paymentId' | 'type' | 'body' | 'createdAt'>,
) {
  await db.query(
    'insert into payment_events (id, payment_id, type, body, created_at) values ($1, $2, $3, $4, $5) on conflict (id) do nothing',
    [event.id, event.paymentId, event.type, event.body, event.createdAt],
  );
}

/**
 * {@link insertEvent} and the ledger posting the same change makes, in one statement (see
 * `postingStatement`). Answers whether the posting is new.
 */
export async function insertEventAndPost(
  client: PoolClient,
  event: Pick<PaymentEvent, 'id' | 'paymentId' | 'type' | 'body' | 'createdAt'>,
  posting: Posting,
): Promise<boolean> {
  const ledger = postingStatement(posting, 6);
  const { rows } = await client.query<{ ledger_transaction_id: string | null; ledger_unposted: boolean }>(
    `with stored_event as (
       insert into payment_events (id, payment_id, type, body, created_at) values ($1, $2, $3, $4, $5)
       on conflict (id) do nothing
     ), ${ledger.ctes}
     select ${ledger.columns}`,
    [event.id, event.paymentId, event.type, event.body, event.createdAt, ...ledger.params],
  );
  return finishPosting(client, posting, rows[0]!);
}

/** Stores a payout event with its exact body, once (a retried insert of the same id keeps the first). */
export async function insertPayoutEvent(
  client: PoolClient,
  event: { id: string; payoutId: string; checkoutId: string; type: PayoutEventType; body: string; createdAt: Date },
): Promise<void> {
  await client.query(
    `insert into payment_events (id, payout_id, checkout_id, type, body, created_at) values ($1, $2, $3, $4, $5, $6)
     on conflict (id) do nothing`,
    [event.id, event.payoutId, event.checkoutId, event.type, event.body, event.createdAt],
  );
}

/** Whether event `id` is stored. */
export async function eventExists(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('select 1 from payment_events where id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

export async function findEvent(db: Queryable, id: string): Promise<PaymentEvent | null> {
  const { rows } = await db.query<EventRow>('select * from payment_events where id = $1', [id]);
  return rows[0] ? mapRow(rows[0]) : null;
}

/** Records a delivery attempt and, when it got a 2xx, marks the event delivered: one statement. */
export async function recordWebhookAttempt(db: Pool, eventId: string, attempt: WebhookAttempt): Promise<void> {
  await db.query(
    `with delivered as (
       update payment_events set delivered_at = coalesce(delivered_at, $4)
       where id = $1 and $5::int >= 200 and $5::int < 300
     )
     insert into webhook_attempts (event_id, attempt, url, attempted_at, status_code, latency_ms, error)
     values ($1, $2, $3, $4, $5, $6, $7) on conflict (event_id, attempt) do nothing`,
    [eventId, attempt.attempt, attempt.url, attempt.attemptedAt, attempt.statusCode, attempt.latencyMs, attempt.error],
  );
}

/** Where a merchant event goes, as stored: its checkout's URL and webhook secrets (sealed, or clear from before encryption). */
export interface WebhookTarget {
  checkoutId: string;
  notifyUrl: string;
  webhookSecret: string;
  /** Still signed with during a rotation; null when there is none or it has expired. */
  previousWebhookSecret: string | null;
}

/**
 * Everything one delivery attempt of a merchant event needs before it is sent, in one query: the
 * event, the number of its next attempt, and its checkout's target (null when the checkout is
 * gone). Null when the event does not exist.
 */
export async function webhookDeliveryOf(
  db: Pool,
  eventId: string,
): Promise<{ event: PaymentEvent; attempt: number; target: WebhookTarget | null } | null> {
  const { rows } = await db.query<
    EventRow & {
      next_attempt: number;
      target_checkout_id: string | null;
      notify_url: string | null;
      webhook_secret: string | null;
      previous_webhook_secret: string | null;
    }
  >(
    `select e.*,
       (select coalesce(max(a.attempt), 0)::int + 1 from webhook_attempts a where a.event_id = e.id) as next_attempt,
       c.id as target_checkout_id, c.notify_url, c.webhook_secret,
       case when c.previous_webhook_secret_expires_at > now() then c.previous_webhook_secret end as previous_webhook_secret
     from payment_events e
     left join checkouts c on c.id = coalesce(e.checkout_id, (select p.checkout_id from payments p where p.id = e.payment_id))
     where e.id = $1`,
    [eventId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    event: mapRow(row),
    attempt: row.next_attempt,
    target:
      row.target_checkout_id === null
        ? null
        : {
            checkoutId: row.target_checkout_id,
            notifyUrl: row.notify_url!,
            webhookSecret: row.webhook_secret!,
            previousWebhookSecret: row.previous_webhook_secret,
          },
  };
}

/** A payment's events, oldest first, each with its delivery attempts. */
export async function listEventsWithAttempts(db: Pool, paymentId: string): Promise<PaymentEventWithAttempts[]> {
  const { rows } = await db.query<EventRow & { attempts: WebhookAttempt[] | null }>(
    `select e.*, (select json_agg(json_build_object('attempt', a.attempt, 'url', a.url, 'attemptedAt', a.attempted_at,
         'statusCode', a.status_code, 'latencyMs', a.latency_ms, 'error', a.error) order by a.attempt)
       from webhook_attempts a where a.event_id = e.id) as attempts
     from payment_events e where e.payment_id = $1 order by e.created_at, e.id`,
    [paymentId],
  );
  return rows.map((row) => ({
    ...mapRow(row),
    attempts: (row.attempts ?? []).map((attempt) => ({ ...attempt, attemptedAt: new Date(attempt.attemptedAt) })),
  }));
}

/** The next delivery attempt number of a merchant event: one past the last recorded. */
export async function nextWebhookAttempt(db: Pool, eventId: string): Promise<number> {
  const { rows } = await db.query<{ next: number }>(
    'select coalesce(max(attempt), 0)::int + 1 as next from webhook_attempts where event_id = $1',
    [eventId],
  );
  return rows[0]!.next;
}
