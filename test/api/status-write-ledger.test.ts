import { Pool, type PoolClient } from 'pg';
import { ensureAccount, lockAvailableBalance, post, transactionsOf } from '../../src/db/ledger';
import { migrate } from '../../src/db/migrate';
import { inTransaction } from '../../src/db/transaction';
import { type AccountRef, kassaOwner, paymentCaptured, type Posting } from '../../src/domain/ledger';
import { balancesOf, expectLedgerBalanced, postingsOf } from '../support/ledger';
import { createTestDatabase } from '../support/stack';

// The ledger posting in one statement: the same entries as one by one, a retry posting nothing,
// and an account created by a concurrent transaction after the statement's snapshot.
jest.setTimeout(30_000);

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  db = new Pool({ connectionString: database.url, max: 6 });
  await migrate(db);
});
afterAll(async () => {
  await db?.end();
  await database?.drop();
});
afterEach(async () => {
  await expectLedgerBalanced(db);
});

/** Counts the statements `client` runs. */
function counting(client: PoolClient): { client: PoolClient; statements: string[] } {
  const statements: string[] = [];
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const wrapped = new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'query')
        return (...args: unknown[]) => {
          statements.push(typeof args[0] === 'string' ? args[0] : String((args[0] as { text?: string }).text));
          return query(...args);
        };
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { client: wrapped, statements };
}

let serial = 0;
const capture = (merchantId: string, currency = 'RUB') =>
  paymentCaptured({
    paymentId: `pay_ledgerWrite${++serial}`,
    merchantId,
    testMode: true,
    currency,
    provider: 'sandbox',
    buyerTotalMinor: 5000n,
    merchantNetMinor: 4850n,
  })!;

test('a capture posts its three entries on new accounts in one statement, a retry posts nothing', async () => {
  const posting = capture('mer_ledgerWrite0001');
  const outcome = await inTransaction(db, async (client) => {
    const counted = counting(client);
    const posted = await post(counted.client, posting);
    return { posted, statements: counted.statements.length };
  });
  expect(outcome).toEqual({ posted: true, statements: 1 });
  const [stored] = await transactionsOf(db, 'payment', [posting.source.id]);
  expect(stored!.entries).toEqual(
    posting.entries.map((entry) => ({
      owner: entry.account.owner,
      kind: entry.account.kind,
      provider: entry.account.provider,
      currency: entry.account.currency,
      amount_minor: entry.amountMinor.toString(),
      amountMinor: entry.amountMinor,
      memo: entry.memo,
    })),
  );
  const again = await inTransaction(db, async (client) => {
    const counted = counting(client);
    return { posted: await post(counted.client, posting), statements: counted.statements.length };
  });
  expect(again).toEqual({ posted: false, statements: 1 });
  expect(await postingsOf(db, 'payment', posting.source.id)).toEqual({ captured: 1 });
  expect(await balancesOf(db, 'mer_ledgerWrite0001', 'RUB')).toMatchObject({ available: 4850n });
  const { rows } = await db.query(`select count(*)::int as n from ledger_accounts where owner = 'mer_ledgerWrite0001'`);
  expect(rows[0].n).toBe(1);
});

test('existing accounts are reused, and entries on one account twice are both posted', async () => {
  await inTransaction(db, (client) => post(client, capture('mer_ledgerWrite0002')));
  const accounts = Number((await db.query('select count(*) from ledger_accounts')).rows[0].count);
  const merchant: AccountRef = {
    owner: 'mer_ledgerWrite0002',
    kind: 'available',
    provider: '',
    currency: 'RUB',
    testMode: true,
  };
  const fees: AccountRef = { owner: kassaOwner, kind: 'fee_revenue', provider: '', currency: 'RUB', testMode: true };
  const twice: Posting = {
    source: { type: 'adjustment', id: 'adj_ledgerWrite1' },
    event: 'split',
    testMode: true,
    description: 'two entries on one account',
    entries: [
      { account: merchant, amountMinor: 30n, memo: 'one' },
      { account: merchant, amountMinor: 20n, memo: 'two' },
      { account: fees, amountMinor: -50n, memo: 'three' },
    ],
  };
  expect(await inTransaction(db, (client) => post(client, twice))).toBe(true);
  expect(Number((await db.query('select count(*) from ledger_accounts')).rows[0].count)).toBe(accounts);
  const [stored] = await transactionsOf(db, 'adjustment', ['adj_ledgerWrite1']);
  expect(stored!.entries.map((entry) => [entry.kind, entry.amountMinor, entry.memo])).toEqual([
    ['available', 30n, 'one'],
    ['available', 20n, 'two'],
    ['fee_revenue', -50n, 'three'],
  ]);
  expect(await balancesOf(db, 'mer_ledgerWrite0002', 'RUB')).toMatchObject({ available: 4850n + 50n });
});

test('an account another transaction creates after the statement snapshot: both postings succeed, nothing lost or doubled', async () => {
  // Holds a new merchant's account uncommitted, so the posting's insert waits on it, then sees it
  // committed but not in its snapshot: the entry must still be posted, once.
  const holder = await db.connect();
  const merchantId = 'mer_ledgerWriteRace';
  await inTransaction(db, (client) => post(client, capture('mer_ledgerWriteEur1', 'EUR')));
  try {
    await holder.query('begin');
    await ensureAccount(holder, {
      owner: merchantId,
      kind: 'available',
      provider: '',
      currency: 'EUR',
      testMode: true,
    });
    const first = capture(merchantId, 'EUR');
    const second = capture(merchantId, 'EUR');
    const counts: number[] = [];
    const posting = Promise.all(
      [first, second].map((each) =>
        inTransaction(db, async (client) => {
          const counted = counting(client);
          const posted = await post(counted.client, each);
          counts.push(counted.statements.length);
          return posted;
        }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await holder.query('commit');
    expect(await posting).toEqual([true, true]);
    // One statement, then the entries one by one (find the account, post the entry): it could not see one account.
    expect(counts).toEqual([10, 10]);
    for (const each of [first, second]) {
      const [stored] = await transactionsOf(db, 'payment', [each.source.id]);
      expect(stored!.entries.map((entry) => [entry.owner, entry.kind, entry.amountMinor])).toEqual(
        each.entries.map((entry) => [entry.account.owner, entry.account.kind, entry.amountMinor]),
      );
    }
    expect(await balancesOf(db, merchantId, 'EUR')).toMatchObject({ available: 2n * 4850n });
  } finally {
    holder.release();
  }
});

test('two concurrent first postings on the same new accounts both succeed with the right balance', async () => {
  const merchantId = 'mer_ledgerWriteBoth';
  const postings = Array.from({ length: 6 }, () => capture(merchantId, 'USD'));
  const outcomes = await Promise.all(postings.map((each) => inTransaction(db, (client) => post(client, each))));
  expect(outcomes).toEqual(postings.map(() => true));
  expect(await balancesOf(db, merchantId, 'USD')).toMatchObject({ available: 6n * 4850n });
  const { rows } = await db.query<{ entries: number }>(
    `select count(*)::int as entries from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
     where t.source_id = any($1)`,
    [postings.map((each) => each.source.id)],
  );
  expect(rows[0]!.entries).toBe(18);
});

test('a reservation still locks and reads the available balance the postings made', async () => {
  await inTransaction(db, (client) => post(client, capture('mer_ledgerWrite0003')));
  expect(await inTransaction(db, (client) => lockAvailableBalance(client, 'mer_ledgerWrite0003', 'RUB', true))).toBe(
    4850n,
  );
});

test('first postings naming the same new accounts in opposite orders, all at once, all post', async () => {
  const account = (owner: string): AccountRef => ({
    owner,
    kind: 'available',
    provider: '',
    currency: 'RUB',
    testMode: true,
  });
  const postings = Array.from({ length: 12 }, (_, index): Posting => {
    const [from, to] =
      index % 2
        ? ['mer_ledgerWriteOrderA', 'mer_ledgerWriteOrderB']
        : ['mer_ledgerWriteOrderB', 'mer_ledgerWriteOrderA'];
    return {
      source: { type: 'adjustment', id: `adj_ledgerWriteOrder${index}` },
      event: 'move',
      testMode: true,
      description: 'opposite orders',
      entries: [
        { account: account(from), amountMinor: -10n, memo: 'from' },
        { account: account(to), amountMinor: 10n, memo: 'to' },
      ],
    };
  });
  const outcomes = await Promise.all(postings.map((each) => inTransaction(db, (client) => post(client, each))));
  expect(outcomes).toEqual(postings.map(() => true));
  expect(await balancesOf(db, 'mer_ledgerWriteOrderA', 'RUB')).toMatchObject({ available: 0n });
});
