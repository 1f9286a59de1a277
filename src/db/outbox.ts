/** Where a sweep of stored-but-unstarted rows got to: the last row it tried. */
export interface OutboxCursor {
  createdAt: Date;
  id: string;
}

/**
 * Rows of `table` stored at least `$1` seconds ago and never marked started, `$2` at most, oldest
 * first, after the row `($3, $4)` when one is given. The order is by creation to the millisecond
 * (what a `Date` keeps), then id, so a cursor taken from a row read back resumes just after it.
 */
export const unstartedRowsSql = (table: 'payments' | 'refunds' | 'payouts') =>
  `select * from ${table}
   where not workflow_started and created_at < now() - make_interval(secs => $1)
     and ($3::timestamptz is null or (date_trunc('milliseconds', created_at), id) > ($3::timestamptz, $4::text))
   order by date_trunc('milliseconds', created_at), id limit $2`;

export const unstartedRowsParams = (olderThanSeconds: number, limit: number, after?: OutboxCursor) => [
  olderThanSeconds,
  limit,
  after?.createdAt ?? null,
  after?.id ?? null,
];
