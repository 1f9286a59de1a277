import type { Pool, PoolClient } from 'pg';
import { inTransaction } from '../../src/db/transaction';

// The one transaction helper, over a stand-in connection that records what it was asked.

function fakePool(failOn?: string) {
  const statements: string[] = [];
  let released = 0;
  const client = {
    query: async (sql: string) => {
      statements.push(sql);
      if (sql === failOn) throw new Error(`${sql} failed`);
      return { rows: [], rowCount: 0 };
    },
    release: () => {
      released += 1;
    },
  } as unknown as PoolClient;
  const pool = { connect: async () => client } as unknown as Pool;
  return { pool, statements, released: () => released };
}

test('work that resolves is committed on one connection, which is released', async () => {
  const { pool, statements, released } = fakePool();
  const result = await inTransaction(pool, async (client) => {
    await client.query('insert 1');
    return 42;
  });
  expect(result).toBe(42);
  expect(statements).toEqual(['begin', 'insert 1', 'commit']);
  expect(released()).toBe(1);
});

test('work that throws is rolled back and its error passes through; the connection is released', async () => {
  const { pool, statements, released } = fakePool();
  await expect(
    inTransaction(pool, async (client) => {
      await client.query('insert 1');
      throw new Error('no such payment');
    }),
  ).rejects.toThrow('no such payment');
  expect(statements).toEqual(['begin', 'insert 1', 'rollback']);
  expect(released()).toBe(1);
});

test('a commit the database refuses is rolled back and thrown, not swallowed', async () => {
  const { pool, statements, released } = fakePool('commit');
  await expect(inTransaction(pool, async () => 'done')).rejects.toThrow('commit failed');
  expect(statements).toEqual(['begin', 'commit', 'rollback']);
  expect(released()).toBe(1);
});

test('a failed rollback does not hide the error that caused it', async () => {
  const { pool } = fakePool('rollback');
  await expect(
    inTransaction(pool, async () => {
      throw new Error('the first problem');
    }),
  ).rejects.toThrow('the first problem');
});
