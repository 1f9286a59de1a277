import type { PoolClient } from 'pg';
import type {
  AccountBalance,
  AccountKind,
  AccountRef,
  CurrencyBalance,
  LedgerImbalance,
  PostedTransaction,
  Posting,
  SourceType,
} from '../domain/ledger';
import type { Queryable } from './transaction';

/** The id of an account, made on first use. */
export async function ensureAccount(db: Queryable, ref: AccountRef): Promise<string> {
  const params = [ref.owner, ref.kind, ref.provider, ref.currency, ref.testMode];
  await db.query(
    `insert into ledger_accounts (owner, kind, provider, currency, test_mode) values ($1, $2, $3, $4, $5)
     on conflict (owner, kind, provider, currency, test_mode) do nothing`,
    params,
  );
  const { rows } = await db.query<{ id: string }>(
    'select id from ledger_accounts where owner = $1 and kind = $2 and provider = $3 and currency = $4 and test_mode = $5',
    params,
  );
  return rows[0]!.id;
}

/**
 * Posts a transaction once: a second posting with the same source and event (an activity retried,
 * two processes racing) changes nothing and answers `false`. Must run inside a database
 * transaction; the database refuses, at commit, one that does not sum to zero per currency.
 */
export async function post(client: PoolClient, posting: Posting): Promise<boolean> {
  const { rows } = await client.query<{ id: string }>(
    `insert into ledger_transactions (source_type, source_id, event, test_mode, description) values ($1, $2, $3, $4, $5)
     on conflict (source_type, source_id, event) do nothing returning id`,
    [posting.source.type, posting.source.id, posting.event, posting.testMode, posting.description],
  );
  if (!rows[0]) return false;
  for (const entry of posting.entries) {
    const accountId = await ensureAccount(client, entry.account);
    await client.query(
      'insert into ledger_entries (transaction_id, account_id, amount_minor, memo) values ($1, $2, $3, $4)',
      [rows[0].id, accountId, entry.amountMinor.toString(), entry.memo],
    );
  }
  return true;
}

/**
 * Locks a merchant's available account for this database transaction and answers its balance:
 * reservations (refunds, payouts) take it first, so two of them never spend the same money.
 * `FOR NO KEY UPDATE` leaves concurrent credits (whose entries only reference the row) unblocked.
 */
export async function lockAvailableBalance(
  client: PoolClient,
  merchantId: string,
  currency: string,
  testMode: boolean,
): Promise<bigint> {
  const id = await ensureAccount(client, { owner: merchantId, kind: 'available', provider: '', currency, testMode });
  await client.query('select id from ledger_accounts where id = $1 for no key update', [id]);
  const { rows } = await client.query<{ balance: string }>(
    'select coalesce(sum(amount_minor), 0) as balance from ledger_entries where account_id = $1',
    [id],
  );
  return BigInt(rows[0]!.balance);
}

/** A merchant's balances in one mode, per currency it has ever had money in. */
export async function merchantBalances(
  db: Queryable,
  merchantId: string,
  testMode: boolean,
): Promise<CurrencyBalance[]> {
  const { rows } = await db.query<{ currency: string; kind: AccountKind; balance: string }>(
    `select a.currency, a.kind, coalesce(sum(e.amount_minor), 0) as balance
     from ledger_accounts a left join ledger_entries e on e.account_id = a.id
     where a.owner = $1 and a.test_mode = $2
     group by a.currency, a.kind order by a.currency`,
    [merchantId, testMode],
  );
  const byCurrency = new Map<string, CurrencyBalance>();
  for (const row of rows) {
    const balance = byCurrency.get(row.currency) ?? {
      currency: row.currency,
      available: 0n,
      pending: 0n,
      reserved: 0n,
    };
    if (row.kind === 'available' || row.kind === 'pending' || row.kind === 'reserved')
      balance[row.kind] = BigInt(row.balance);
    byCurrency.set(row.currency, balance);
  }
  return [...byCurrency.values()];
}

/** Every account with its balance (operators, reconciliation, tests). */
export async function accountBalances(db: Queryable): Promise<AccountBalance[]> {
  const { rows } = await db.query<{
    owner: string;
    kind: AccountKind;
    provider: string;
    currency: string;
    test_mode: boolean;
    balance: string;
  }>(
    `select a.owner, a.kind, a.provider, a.currency, a.test_mode, coalesce(sum(e.amount_minor), 0) as balance
     from ledger_accounts a left join ledger_entries e on e.account_id = a.id
     group by a.id order by a.test_mode, a.currency, a.owner, a.kind, a.provider`,
  );
  return rows.map((row) => ({
    owner: row.owner,
    kind: row.kind,
    provider: row.provider,
    currency: row.currency,
    testMode: row.test_mode,
    balanceMinor: BigInt(row.balance),
  }));
}

/**
 * What does not sum to zero: any transaction per currency, and the whole ledger per currency and
 * mode. Empty when the ledger is sound (the database enforces it; this is the auditor's check).
 */
export async function ledgerImbalances(db: Queryable): Promise<LedgerImbalance[]> {
  const { rows } = await db.query<{
    transaction_id: string | null;
    currency: string;
    test_mode: boolean;
    total: string;
  }>(
    `select e.transaction_id::text, a.currency, a.test_mode, sum(e.amount_minor) as total
       from ledger_entries e join ledger_accounts a on a.id = e.account_id
       group by e.transaction_id, a.currency, a.test_mode having sum(e.amount_minor) <> 0
     union all
     select null, a.currency, a.test_mode, sum(e.amount_minor)
       from ledger_entries e join ledger_accounts a on a.id = e.account_id
       group by a.currency, a.test_mode having sum(e.amount_minor) <> 0`,
  );
  return rows.map((row) => ({
    transactionId: row.transaction_id,
    currency: row.currency,
    testMode: row.test_mode,
    sumMinor: BigInt(row.total),
  }));
}

/** Transactions of one source (a payment, refund or payout), oldest first. */
export async function transactionsOf(
  db: Queryable,
  sourceType: string,
  sourceIds: string[],
): Promise<PostedTransaction[]> {
  if (sourceIds.length === 0) return [];
  const { rows } = await db.query<{
    id: string;
    source_type: string;
    source_id: string;
    event: string;
    test_mode: boolean;
    created_at: Date;
    entries: {
      owner: string;
      kind: AccountKind;
      provider: string;
      currency: string;
      amount_minor: string;
      memo: string;
    }[];
  }>(
    `select t.id::text, t.source_type, t.source_id, t.event, t.test_mode, t.created_at,
       json_agg(json_build_object('owner', a.owner, 'kind', a.kind, 'provider', a.provider, 'currency', a.currency,
         'amount_minor', e.amount_minor::text, 'memo', e.memo) order by e.id) as entries
     from ledger_transactions t join ledger_entries e on e.transaction_id = t.id join ledger_accounts a on a.id = e.account_id
     where t.source_type = $1 and t.source_id = any($2)
     group by t.id order by t.id`,
    [sourceType, sourceIds],
  );
  return rows.map((row) => ({
    id: row.id,
    sourceType: row.source_type,
    sourceId: row.source_id,
    event: row.event,
    testMode: row.test_mode,
    createdAt: row.created_at,
    entries: row.entries.map((entry) => ({ ...entry, amountMinor: BigInt(entry.amount_minor) })),
  }));
}

/** Sources of one type with a transaction created in [from, to). */
export async function sourcesPosted(db: Queryable, sourceType: SourceType, from: Date, to: Date): Promise<string[]> {
  const { rows } = await db.query<{ source_id: string }>(
    'select source_id from ledger_transactions where source_type = $1 and created_at >= $2 and created_at < $3',
    [sourceType, from, to],
  );
  return rows.map((row) => row.source_id);
}
