import type { Pool } from 'pg';

/**
 * Asserts the ledger sums to zero: every transaction per currency, and all accounts together per
 * currency and mode, computed here with its own SQL rather than the code under test.
 */
export async function expectLedgerBalanced(db: Pool): Promise<void> {
  const { rows: transactions } = await db.query(
    `select e.transaction_id, a.currency, sum(e.amount_minor)::text as total
     from ledger_entries e join ledger_accounts a on a.id = e.account_id
     group by e.transaction_id, a.currency having sum(e.amount_minor) <> 0`,
  );
  const { rows: totals } = await db.query(
    `select a.currency, a.test_mode, sum(e.amount_minor)::text as total
     from ledger_entries e join ledger_accounts a on a.id = e.account_id
     group by a.currency, a.test_mode having sum(e.amount_minor) <> 0`,
  );
  const { rows: mixed } = await db.query(
    `select t.id from ledger_transactions t join ledger_entries e on e.transaction_id = t.id join ledger_accounts a on a.id = e.account_id
     where a.test_mode <> t.test_mode`,
  );
  expect({ unbalancedTransactions: transactions, unbalancedTotals: totals, mixedModes: mixed }).toEqual({
    unbalancedTransactions: [],
    unbalancedTotals: [],
    mixedModes: [],
  });
}

/** A merchant's balance per kind in one currency and mode, in minor units, straight from the entries. */
export async function balancesOf(
  db: Pool,
  owner: string,
  currency: string,
  testMode = true,
): Promise<Record<string, bigint>> {
  const { rows } = await db.query<{ kind: string; total: string }>(
    `select a.kind, coalesce(sum(e.amount_minor), 0)::text as total from ledger_accounts a left join ledger_entries e on e.account_id = a.id
     where a.owner = $1 and a.currency = $2 and a.test_mode = $3 group by a.kind`,
    [owner, currency, testMode],
  );
  const result: Record<string, bigint> = { available: 0n, pending: 0n, reserved: 0n };
  for (const row of rows) result[row.kind] = BigInt(row.total);
  return result;
}

/** How many ledger transactions a source has, by event. */
export async function postingsOf(db: Pool, sourceType: string, sourceId: string): Promise<Record<string, number>> {
  const { rows } = await db.query<{ event: string; count: string }>(
    'select event, count(*)::text as count from ledger_transactions where source_type = $1 and source_id = $2 group by event',
    [sourceType, sourceId],
  );
  return Object.fromEntries(rows.map((row) => [row.event, Number(row.count)]));
}
