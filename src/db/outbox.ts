import type { Queryable } from './transaction';

/** Where a sweep of stored-but-unstarted rows got to: the last row it tried (`createdAt` as PostgreSQL writes it, to the microsecond). */
export interface OutboxCursor {
  createdAt: string;
  id: string;
}

/** A row a sweep found, with the cursor just after it. */
export interface Unstarted<T> {
  row: T;
  cursor: OutboxCursor;
}

/**
 * Rows of `table` stored at least `olderThanSeconds` ago and never marked started, `limit` at most,
 * oldest first (by creation, then id: the `*_unstarted` indexes), after the row `after` when given.
 */
export async function listUnstarted<R extends { id: string }, T>(
  db: Queryable,
  table: 'payments' | 'refunds' | 'payouts',
  map: (row: R) => T,
  olderThanSeconds: number,
  limit: number,
  after?: OutboxCursor,
): Promise<Unstarted<T>[]> {
  const { rows } = await db.query<R & { outbox_created_at: string }>(
    `select *, created_at::text as outbox_created_at from ${table}
     where not workflow_started and created_at < now() - make_interval(secs => $1)
       and ($3::timestamptz is null or (created_at, id) > ($3::timestamptz, $4::text))
     order by created_at, id limit $2`,
    [olderThanSeconds, limit, after?.createdAt ?? null, after?.id ?? null],
  );
  return rows.map((row) => ({ row: map(row), cursor: { createdAt: row.outbox_created_at, id: row.id } }));
}
