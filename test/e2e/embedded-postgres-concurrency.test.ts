import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { type RunningKassa, startKassa, workflowBundle } from '../../worker';
import { freePort } from '../support/processes';
import { api, createTestNamespace } from '../support/stack';

jest.setTimeout(240_000);

const concurrency = 50;

let dataDir: string;
let kassa: RunningKassa | undefined;
const adminToken = 'adm_concurrency_test_token_0123456789';

async function start(): Promise<RunningKassa> {
  const port = await freePort();
  const config = loadConfig({
    KASSA_ENV: 'test',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
    TEMPORAL_NAMESPACE: namespace,
    ADMIN_TOKEN: adminToken,
    LOG_LEVEL: 'error',
    RATE_LIMIT_PER_MINUTE: '1000000',
  });
  expect(config.databaseUrl).toBeUndefined();
  return startKassa(config, { workflowBundle: await workflowBundle() });
}

let namespace: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-embedded-'));
  namespace = await createTestNamespace(process.env.TEST_TEMPORAL_ADDRESS!);
});

afterAll(async () => {
  await kassa?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The pid of the PostgreSQL server holding `dataDir/postgres`, or null when none runs. */
function serverPid(): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

const tally = (statuses: number[]) =>
  Object.fromEntries(
    [...new Set(statuses)].sort().map((status) => [status, statuses.filter((other) => other === status).length]),
  );

test('with DATABASE_URL unset, each pooled connection is its own PostgreSQL session', async () => {
  kassa = await start();
  expect(serverPid()).not.toBeNull();
  const clients = await Promise.all(Array.from({ length: 5 }, () => kassa!.db.connect()));
  try {
    const pids = await Promise.all(
      clients.map(
        async (client) => (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid,
      ),
    );
    expect(new Set(pids).size).toBe(5);
  } finally {
    for (const client of clients) client.release();
  }
});

test(`${concurrency} merchants created at once, each using its new key at once, then ${concurrency} payments at once: no 5xx, no wrong 401, every answer with its own data`, async () => {
  const url = kassa!.url!;
  const onboarded = await Promise.all(
    Array.from({ length: concurrency }, async (_, index) => {
      const name = `Shop ${index}`;
      const merchant = await api(url, 'POST', '/admin/merchants', {
        token: adminToken,
        body: { name, email: `shop${index}@example.com` },
      });
      const key: string | undefined = merchant.body?.api_keys?.test;
      const checkout = key
        ? await api(url, 'POST', '/v1/checkouts', {
            token: key,
            body: {
              name: `Checkout ${index}`,
              site_url: `https://shop${index}.example`,
              currencies: ['RUB'],
              notify_url: `https://shop${index}.example/notify`,
              success_url: `https://shop${index}.example/ok`,
              fail_url: `https://shop${index}.example/fail`,
              pending_url: `https://shop${index}.example/wait`,
            },
          })
        : undefined;
      return { index, merchant, key, checkout };
    }),
  );
  const merchantStatuses = onboarded.map(({ merchant }) => merchant.status);
  const checkoutStatuses = onboarded.map(({ checkout }) => checkout?.status ?? 0);
  expect({ merchants: tally(merchantStatuses), checkouts: tally(checkoutStatuses) }).toEqual({
    merchants: { 201: concurrency },
    checkouts: { 201: concurrency },
  });
  for (const { index, merchant, checkout } of onboarded) {
    expect({ name: merchant.body.name, email: merchant.body.email }).toEqual({
      name: `Shop ${index}`,
      email: `shop${index}@example.com`,
    });
    expect({ name: checkout!.body.name, site_url: checkout!.body.site_url }).toEqual({
      name: `Checkout ${index}`,
      site_url: `https://shop${index}.example`,
    });
  }
  expect(new Set(onboarded.map(({ key }) => key)).size).toBe(concurrency);

  const payments = await Promise.all(
    onboarded.map(({ index, key, checkout }) =>
      api(url, 'POST', '/v1/payments', {
        token: key,
        headers: { 'idempotency-key': `concurrency-${index}` },
        body: {
          checkout_id: checkout!.body.id,
          order_id: `ORDER-${index}`,
          amount: `${100 + index}.50`,
          currency: 'RUB',
          description: `Order ${index}`,
        },
      }),
    ),
  );
  expect(tally(payments.map(({ status }) => status))).toEqual({ 201: concurrency });
  payments.forEach((payment, index) => {
    expect({
      order_id: payment.body.order_id,
      amount: payment.body.amount,
      checkout_id: payment.body.checkout_id,
    }).toEqual({
      order_id: `ORDER-${index}`,
      amount: `${100 + index}.50`,
      checkout_id: onboarded[index]!.checkout!.body.id,
    });
  });
  // Each key sees its own payment and no one else's.
  const lists = await Promise.all(onboarded.map(({ key }) => api(url, 'GET', '/v1/payments', { token: key })));
  expect(lists.map((list) => list.status)).toEqual(Array(concurrency).fill(200));
  lists.forEach((list, index) =>
    expect(list.body.data.map((payment: { order_id: string }) => payment.order_id)).toEqual([`ORDER-${index}`]),
  );
});

test('closing Kassa stops its PostgreSQL server, and the next start finds the same data', async () => {
  const pid = serverPid()!;
  await kassa!.close();
  kassa = undefined;
  expect(serverPid()).toBeNull();
  expect(() => process.kill(pid, 0)).toThrow();
  kassa = await start();
  const merchants = await kassa.db.query<{ count: number }>('select count(*)::int as count from merchants');
  expect(merchants.rows[0]!.count).toBe(concurrency);
});
