import type {
  DecisionAction,
  DecisionOutcome,
  DecisionStatus,
  ExceptionDecision,
  ExceptionKind,
  StoredException,
} from '../domain/exceptions';
import type { PaymentStatus } from '../domain/payment';
import type { Queryable } from './transaction';

export type {
  DecisionOutcome,
  DecisionRefund,
  ExceptionDecision,
  FlaggedCallback,
  StoredException,
} from '../domain/exceptions';

interface DecisionRow {
  id: string;
  exception_id: string;
  kind: ExceptionKind;
  payment_id: string | null;
  action: DecisionAction;
  operator: string;
  decided_at: Date | string;
  status: DecisionStatus;
  outcome: DecisionOutcome | null;
  failure_reason: string | null;
  completed_at: Date | string | null;
  workflow_id: string;
}

const date = (value: Date | string) => (value instanceof Date ? value : new Date(value));

const mapDecision = (row: DecisionRow): ExceptionDecision => ({
  id: row.id,
  exceptionId: row.exception_id,
  kind: row.kind,
  paymentId: row.payment_id,
  action: row.action,
  operator: row.operator,
  decidedAt: date(row.decided_at),
  status: row.status,
  outcome: row.outcome,
  failureReason: row.failure_reason,
  completedAt: row.completed_at === null ? null : date(row.completed_at),
  workflowId: row.workflow_id,
});

export interface ExceptionFilter {
  /** `open`: no decision that has not failed; `decided`: one. */
  status: 'open' | 'decided' | 'all';
  kind?: ExceptionKind;
  merchantId?: string;
  /** Exactly this exception. */
  id?: string;
  limit: number;
  /** The id of the last exception of the previous page. */
  startingAfter?: string;
}

/**
 * Exceptions, newest first: payments `under_review`; `expired`, `canceled` or `failed` payments
 * with a flagged success callback (money taken late); every other flagged callback (by
 * `provider:event_id`) unless its payment raises one of the former, which then lists it. A
 * payment-level exception stays one after its decision changed the payment's status.
 */
export async function listExceptions(
  db: Queryable,
  filter: ExceptionFilter,
): Promise<{ exceptions: StoredException[]; hasMore: boolean }> {
  const params: unknown[] = [];
  const where: string[] = [];
  const undecided = `not exists (select 1 from exception_decisions d where d.exception_id = x.exception_id and d.status <> 'failed')`;
  if (filter.status === 'open') where.push(undecided);
  if (filter.status === 'decided') where.push(`not ${undecided}`);
  if (filter.kind) where.push(`x.kind = $${params.push(filter.kind)}`);
  if (filter.merchantId) where.push(`p.merchant_id = $${params.push(filter.merchantId)}`);
  if (filter.id) where.push(`x.exception_id = $${params.push(filter.id)}`);
  if (filter.startingAfter) {
    where.push(
      `(x.since, x.exception_id) < (select since, exception_id from exceptions where exception_id = $${params.push(filter.startingAfter)})`,
    );
  }
  const { rows } = await db.query<{
    exception_id: string;
    kind: ExceptionKind;
    since: Date;
    payment_id: string | null;
    merchant_id: string | null;
    payment_status: PaymentStatus | null;
    test_mode: boolean | null;
    amount_minor: string | null;
    currency: string | null;
    method: string | null;
    fee_minor: string | null;
    buyer_total_minor: string | null;
    provider_payment_id: string | null;
    failure_reason: string | null;
    payment_created_at: Date | null;
    flags: { provider: string; event_id: string; state: string; flag: string; received_at: string }[];
    decisions: DecisionRow[];
  }>(
    `with flagged as (
       select provider, event_id, payment_id, state, flag, received_at from provider_callbacks where flag is not null
     ),
     payment_level as (
       select p.id as exception_id,
         coalesce((select d.kind from exception_decisions d where d.exception_id = p.id order by d.decided_at desc limit 1),
           case when p.status = 'under_review' then 'under_review' else 'late_success' end) as kind,
         p.id as payment_id,
         coalesce(
           (select min(e.created_at) from payment_events e where e.payment_id = p.id and e.type = 'payment.under_review'),
           (select min(f.received_at) from flagged f where f.payment_id = p.id and f.state = 'succeeded'),
           p.updated_at) as since
       from payments p
       where p.id in (
         select id from payments where status = 'under_review'
         union
         select f.payment_id from flagged f join payments q on q.id = f.payment_id
           where f.state = 'succeeded' and q.status in ('expired', 'canceled', 'failed')
         union
         select exception_id from exception_decisions where exception_id like 'pay\\_%'
       )
     ),
     exceptions as (
       select exception_id, kind, payment_id, since from payment_level
       union all
       select f.provider || ':' || f.event_id, 'flagged_callback', f.payment_id, f.received_at from flagged f
       where f.payment_id is null or not exists (select 1 from payment_level pl where pl.payment_id = f.payment_id)
     )
     select x.exception_id, x.kind, x.since, x.payment_id,
       p.merchant_id, p.status as payment_status, p.test_mode, p.amount_minor, p.currency, p.method, p.fee_minor, p.buyer_total_minor,
       p.provider_payment_id, p.failure_reason, p.created_at as payment_created_at,
       (select coalesce(json_agg(json_build_object('provider', f.provider, 'event_id', f.event_id, 'state', f.state, 'flag', f.flag,
           'received_at', f.received_at) order by f.received_at), '[]'::json)
         from flagged f
         where case when x.exception_id = x.payment_id then f.payment_id = x.payment_id else f.provider || ':' || f.event_id = x.exception_id end) as flags,
       (select coalesce(json_agg(to_json(d) order by d.decided_at, d.id), '[]'::json) from exception_decisions d where d.exception_id = x.exception_id) as decisions
     from exceptions x left join payments p on p.id = x.payment_id
     ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
     order by x.since desc, x.exception_id desc
     limit $${params.push(filter.limit + 1)}`,
    params,
  );
  const exceptions = rows.slice(0, filter.limit).map((row): StoredException => ({
    id: row.exception_id,
    kind: row.kind,
    since: row.since,
    paymentId: row.payment_id,
    payment:
      row.merchant_id === null
        ? null
        : {
            merchantId: row.merchant_id,
            status: row.payment_status!,
            testMode: row.test_mode!,
            amountMinor: BigInt(row.amount_minor!),
            currency: row.currency!,
            method: row.method,
            feeMinor: row.fee_minor === null ? null : BigInt(row.fee_minor),
            buyerTotalMinor: row.buyer_total_minor === null ? null : BigInt(row.buyer_total_minor),
            providerPaymentId: row.provider_payment_id,
            failureReason: row.failure_reason,
            createdAt: row.payment_created_at!,
          },
    flags: row.flags.map((flag) => ({
      provider: flag.provider,
      eventId: flag.event_id,
      state: flag.state,
      flag: flag.flag,
      receivedAt: new Date(flag.received_at),
    })),
    decisions: row.decisions.map(mapDecision),
  }));
  return { exceptions, hasMore: rows.length > filter.limit };
}

/** One exception by id, decided or not. */
export async function findException(db: Queryable, id: string): Promise<StoredException | null> {
  const { exceptions } = await listExceptions(db, { status: 'all', id, limit: 1 });
  return exceptions[0] ?? null;
}

/**
 * Records a decision unless the exception already has one that has not failed; answers the
 * decision the exception has afterwards (this one, or the earlier one that stands).
 */
export async function insertDecision(
  db: Queryable,
  decision: Pick<ExceptionDecision, 'id' | 'exceptionId' | 'kind' | 'paymentId' | 'action' | 'operator' | 'workflowId'>,
): Promise<{ decision: ExceptionDecision; created: boolean }> {
  const { rows } = await db.query<DecisionRow>(
    `insert into exception_decisions (id, exception_id, kind, payment_id, action, operator, workflow_id) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (exception_id) where status <> 'failed' do nothing returning *`,
    [
      decision.id,
      decision.exceptionId,
      decision.kind,
      decision.paymentId,
      decision.action,
      decision.operator,
      decision.workflowId,
    ],
  );
  if (rows[0]) return { decision: mapDecision(rows[0]), created: true };
  const standing = await standingDecision(db, decision.exceptionId);
  if (!standing) throw new Error(`exception ${decision.exceptionId}: decision neither recorded nor found`);
  return { decision: standing, created: false };
}

/** The decision that closes an exception: pending or applied. */
export async function standingDecision(db: Queryable, exceptionId: string): Promise<ExceptionDecision | null> {
  const { rows } = await db.query<DecisionRow>(
    `select * from exception_decisions where exception_id = $1 and status <> 'failed'`,
    [exceptionId],
  );
  return rows[0] ? mapDecision(rows[0]) : null;
}

export async function findDecision(db: Queryable, id: string): Promise<ExceptionDecision | null> {
  const { rows } = await db.query<DecisionRow>('select * from exception_decisions where id = $1', [id]);
  return rows[0] ? mapDecision(rows[0]) : null;
}

/** Completes a pending decision once; a retried write finds it completed and changes nothing. */
export async function completeDecision(
  db: Queryable,
  id: string,
  result: { status: 'applied' | 'failed'; outcome: DecisionOutcome | null; failureReason: string | null },
): Promise<void> {
  await db.query(
    `update exception_decisions set status = $2, outcome = $3, failure_reason = $4, completed_at = now() where id = $1 and status = 'pending'`,
    [id, result.status, result.outcome === null ? null : JSON.stringify(result.outcome), result.failureReason],
  );
}

/**
 * The decisions reconciliation needs: the applied ones of these payments, and every one (applied
 * or failed part-way) whose outcome lists one of these refund ids as succeeded, whatever its
 * payment (a flagged callback's may be a payment Kassa does not know, or one outside the period).
 */
export async function decisionsForReconciliation(
  db: Queryable,
  paymentIds: string[],
  refundIds: string[],
): Promise<ExceptionDecision[]> {
  if (paymentIds.length === 0 && refundIds.length === 0) return [];
  const { rows } = await db.query<DecisionRow>(
    `select * from exception_decisions d
     where (d.status = 'applied' and d.payment_id = any($1))
       or exists (select 1 from jsonb_array_elements(coalesce(d.outcome -> 'refunds', '[]'::jsonb)) r
                  where r ->> 'state' = 'succeeded' and r ->> 'refundId' = any($2))
     order by d.decided_at, d.id`,
    [paymentIds, refundIds],
  );
  return rows.map(mapDecision);
}

/**
 * The refund ids of succeeded refunds of `providerPaymentId` recorded by any decision, applied
 * or failed part-way (another capture's refund refused).
 */
export async function recordedReviewRefunds(db: Queryable, providerPaymentId: string): Promise<string[]> {
  const { rows } = await db.query<{ refund_id: string }>(
    `select distinct r ->> 'refundId' as refund_id
     from exception_decisions d, jsonb_array_elements(coalesce(d.outcome -> 'refunds', '[]'::jsonb)) r
     where r ->> 'providerPaymentId' = $1 and r ->> 'state' = 'succeeded'
     order by 1`,
    [providerPaymentId],
  );
  return rows.map((row) => row.refund_id);
}
