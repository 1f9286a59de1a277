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
 * The one statement that posts a transaction, as common table expressions (`ledger_*`) a caller may
 * put beside its own, its parameters numbered from `firstParam`, and the two columns it answers:
 * `ledger_transaction_id` (null: posted before) and `ledger_unposted` (true: an entry's account was
 * created by another transaction after this statement's snapshot, so no entry was posted and
 * {@link finishPosting} posts them all, in order). Accounts are created with `do nothing` rather than `do update`: an upsert would lock a
 * merchant's shared accounts until commit and serialise its concurrent payments. New accounts are
 * inserted in key order, so two first postings waiting on each other's new accounts cannot deadlock.
 */
export function postingStatement(
  posting: Posting,
  firstParam = 1,
): { ctes: string; columns: string; params: unknown[] } {
  const n = (offset: number) => `$${firstParam + offset}`;
  const wanted = `select * from unnest(${n(5)}::text[], ${n(6)}::text[], ${n(7)}::text[], ${n(8)}::text[], ${n(9)}::boolean[],
           ${n(10)}::bigint[], ${n(11)}::text[]) with ordinality as w(owner, kind, provider, currency, test_mode, amount_minor, memo, ord)`;
  const sameAccount =
    'a.owner = w.owner and a.kind = w.kind and a.provider = w.provider and a.currency = w.currency and a.test_mode = w.test_mode';
  const ctes = `ledger_tx as (
       insert into ledger_transactions (source_type, source_id, event, test_mode, description)
       values (${n(0)}, ${n(1)}, ${n(2)}, ${n(3)}, ${n(4)})
       on conflict (source_type, source_id, event) do nothing returning id
     ), ledger_wanted as (${wanted}
     ), ledger_created as (
       insert into ledger_accounts (owner, kind, provider, currency, test_mode)
       select distinct owner, kind, provider, currency, test_mode from ledger_wanted where exists (select 1 from ledger_tx)
       order by owner, kind, provider, currency, test_mode
       on conflict (owner, kind, provider, currency, test_mode) do nothing
       returning id, owner, kind, provider, currency, test_mode
     ), ledger_known as (
       select id, owner, kind, provider, currency, test_mode from ledger_created
       union all
       select a.id, a.owner, a.kind, a.provider, a.currency, a.test_mode from ledger_accounts a
        where exists (select 1 from ledger_tx) and exists (select 1 from ledger_wanted w where ${sameAccount})
     ), ledger_unseen as (
       select 1 from ledger_wanted w where not exists (select 1 from ledger_known a where ${sameAccount})
     ), ledger_posted as (
       insert into ledger_entries (transaction_id, account_id, amount_minor, memo)
       select t.id, a.id, w.amount_minor, w.memo from ledger_tx t cross join ledger_wanted w join ledger_known a on ${sameAccount}
       where not exists (select 1 from ledger_unseen)
       order by w.ord returning id
     )`;
  const columns = `(select id from ledger_tx)::text as ledger_transaction_id,
       exists (select 1 from ledger_tx) and exists (select 1 from ledger_unseen) as ledger_unposted`;
  const { entries } = posting;
  const params = [
    posting.source.type,
    posting.source.id,
    posting.event,
    posting.testMode,
    posting.description,
    entries.map((entry) => entry.account.owner),
    entries.map((entry) => entry.account.kind),
    entries.map((entry) => entry.account.provider),
    entries.map((entry) => entry.account.currency),
    entries.map((entry) => entry.account.testMode),
    entries.map((entry) => entry.amountMinor.toString()),
    entries.map((entry) => entry.memo),
  ];
  return { ctes, columns, params };
}

/**
 * Completes what {@link postingStatement} answered: when it could not see an entry's account
 * (created by a concurrent transaction after its snapshot), posts the entries one by one. Answers
 * whether the posting is new.
 */
export async function finishPosting(
  client: PoolClient,
  posting: Posting,
  answer: { ledger_transaction_id: string | null; ledger_unposted: boolean },
): Promise<boolean> {
  if (answer.ledger_transaction_id === null) return false;
  if (!answer.ledger_unposted) return true;
  for (const entry of posting.entries) {
    const accountId = await ensureAccount(client, entry.account);
    await client.query(
      'insert into ledger_entries (transaction_id, account_id, amount_minor, memo) values ($1, $2, $3, $4)',
      [answer.ledger_transaction_id, accountId, entry.amountMinor.toString(), entry.memo],
    );
  }
  return true;
}

/**
 * Posts a transaction once, in one statement (the transaction, its accounts and its entries): a
 * second posting with the same source and event (an activity retried, two processes racing)
 * changes nothing and answers `false`. Must run inside a database transaction; the database
 * refuses, at commit, one that does not sum to zero per currency.
 */
export async function post(client: PoolClient, posting: Posting): Promise<boolean> {
  const { ctes, columns, params } = postingStatement(posting);
  const { rows } = await client.query<{ ledger_transaction_id: string | null; ledger_unposted: boolean }>(
    `with ${ctes} select ${columns}`,
    params,
  );
  return finishPosting(client, posting, rows[0]!);
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
