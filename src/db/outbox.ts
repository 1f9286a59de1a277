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
 * Rows of `table` stored at least `$1` seconds ago and never marked started, `$2` at most, oldest
 * first (by creation, then id: the `*_unstarted` indexes), after the row `($3, $4)` when one is given.
 */
export const unstartedRowsSql = (table: 'payments' | 'refunds' | 'payouts') =>
  `select *, created_at::text as outbox_created_at from ${table}
   where not workflow_started and created_at < now() - make_interval(secs => $1)
     and ($3::timestamptz is null or (created_at, id) > ($3::timestamptz, $4::text))
   order by created_at, id limit $2`;

export const unstartedRowsParams = (olderThanSeconds: number, limit: number, after?: OutboxCursor) => [
  olderThanSeconds,
  limit,
  after?.createdAt ?? null,
  after?.id ?? null,
];

/** Maps what {@link unstartedRowsSql} answered. */
export const unstartedRows = <R extends { id: string; outbox_created_at: string }, T>(
  rows: R[],
  map: (row: R) => T,
): Unstarted<T>[] => rows.map((row) => ({ row: map(row), cursor: { createdAt: row.outbox_created_at, id: row.id } }));
