import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { randomToken } from '../../src/domain/ids';
import { freePort, stopChild } from '../support/processes';
import { api, createTestDatabase, createTestNamespace } from '../support/stack';

jest.setTimeout(150_000);

const root = path.resolve(__dirname, '../..');
const rounds = 4;
const perRound = 8;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Pool;
let env: Record<string, string>;
let dataDir: string;
let api1: RunningApi | null = null;

beforeAll(async () => {
  const temporalAddress = process.env.TEST_TEMPORAL_ADDRESS!;
  const [created, namespace] = await Promise.all([createTestDatabase(), createTestNamespace(temporalAddress)]);
  database = created;
  db = new Pool({ connectionString: database.url, max: 2 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-api-kill-'));
  env = {
    KASSA_ENV: 'test',
    KASSA_ROLE: 'api',
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    LOG_LEVEL: 'error',
    SANDBOX_URL: 'http://127.0.0.1:1',
    ADMIN_TOKEN: `adm_${randomToken(32)}`,
    NOTIFICATIONS_KEY: randomBytes(32).toString('hex'),
    RATE_LIMIT_PER_MINUTE: '1000000',
    DATA_DIR: dataDir,
  };
}, 60_000);
afterAll(async () => {
  if (api1) await stopChild(api1.child, 'SIGKILL');
  await db?.end();
  await database?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

interface RunningApi {
  url: string;
  child: ChildProcess;
}

/** Kassa's API alone, as its own process (`KASSA_ROLE=api`), ready once it says so. */
async function startApiProcess(): Promise<RunningApi> {
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker.ts')], {
      cwd: root,
      env: { ...process.env, ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready on')) resolve(true);
      });
      child.once('exit', () => resolve(false));
    });
    if (ready) return { url: `http://127.0.0.1:${port}`, child };
    if (tries === 3) throw new Error('the API process did not start');
  }
}

const kill = async (running: RunningApi) => {
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGKILL');
  await exited;
};

/** The retry: the same key and body, over a normal connection, until it is no longer told "still running". */
async function retry(url: string, token: string, key: string, body: unknown) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await api(url, 'POST', '/v1/payments', { token, body, headers: { 'idempotency-key': key } });
    if (response.status !== 409 || response.body?.error?.code !== 'idempotency_key_in_use' || Date.now() > deadline)
      return response;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test(`the API process SIGKILLed mid-POST /v1/payments (${rounds} kills, ${rounds * perRound} requests): every retry on a fresh process gets its one payment, the original answer when there was one`, async () => {
  api1 = await startApiProcess();
  const merchant = await api(api1.url, 'POST', '/admin/merchants', {
    token: env.ADMIN_TOKEN,
    body: { name: 'Shop', email: 'shop@example.com' },
  });
  const token: string = merchant.body.api_keys.test;
  const checkout = await api(api1.url, 'POST', '/v1/checkouts', {
    token,
    body: {
      name: 'Kill shop',
      site_url: 'https://shop.example',
      currencies: ['RUB'],
      notify_url: 'https://shop.example/notify',
      success_url: 'https://shop.example/ok',
      fail_url: 'https://shop.example/fail',
      pending_url: 'https://shop.example/wait',
    },
  });
  expect(checkout.status).toBe(201);

  const outcome = {
    tried: 0,
    answeredBeforeKill: 0,
    diedWithPayment: 0,
    diedWithoutPayment: 0,
    neverArrived: 0,
    held: 0,
    lost: 0,
    doubled: 0,
  };
  for (let round = 0; round < rounds; round++) {
    const victim = api1!;
    const bodies = Array.from({ length: perRound }, (_, index) => ({
      checkout_id: checkout.body.id,
      order_id: `KILL-${round}-${index}`,
      amount: '12.00',
      currency: 'RUB',
      description: 'Killed mid-request',
    }));
    const keys = bodies.map((body) => `kill-${body.order_id}`);
    // Warmed up by one payment, the process gets requests a few ms apart and dies at a random moment among them.
    const warm = await api(victim.url, 'POST', '/v1/payments', {
      token,
      body: { ...bodies[0], order_id: `WARM-${round}` },
    });
    expect(warm.status).toBe(201);
    const firsts = bodies.map((body, index) =>
      new Promise((resolve) => setTimeout(resolve, index * 2)).then(() =>
        api(victim.url, 'POST', '/v1/payments', { token, body, headers: { 'idempotency-key': keys[index]! } }).catch(
          () => null,
        ),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.floor(Math.random() * 40)));
    await kill(victim);
    const firstAnswers = await Promise.all(firsts);

    const claims = await db.query<{ key: string; state: string }>(
      `select key, state from idempotency_keys where key = any($1)`,
      [keys],
    );
    const made = await db.query<{ id: string; idempotency_key: string }>(
      `select id, idempotency_key from payments where idempotency_key = any($1)`,
      [keys],
    );
    for (const [index, key] of keys.entries()) {
      outcome.tried++;
      const state = claims.rows.find((row) => row.key === key)?.state;
      if (firstAnswers[index]?.status === 201) outcome.answeredBeforeKill++;
      else if (state === 'in_flight' && made.rows.some((row) => row.idempotency_key === key)) outcome.diedWithPayment++;
      else if (state === 'in_flight') outcome.diedWithoutPayment++;
      else outcome.neverArrived++;
    }

    api1 = await startApiProcess();
    const retries = await Promise.all(bodies.map((body, index) => retry(api1!.url, token, keys[index]!, body)));
    for (const [index, body] of bodies.entries()) {
      const count = Number(
        (
          await db.query(`select count(*) from payments where checkout_id = $1 and order_id = $2`, [
            checkout.body.id,
            body.order_id,
          ])
        ).rows[0].count,
      );
      const first = firstAnswers[index];
      const recovered = retries[index]!;
      const sameAnswer =
        first?.status === 201
          ? recovered.status === 201 && JSON.stringify(recovered.body) === JSON.stringify(first.body)
          : recovered.status === 201;
      if (count > 1) outcome.doubled++;
      else if (count === 1 && sameAnswer) outcome.held++;
      else {
        outcome.lost++;
        console.log(
          `lost ${keys[index]}: first ${first?.status} ${JSON.stringify(first?.body)}, retry ${recovered.status} ${JSON.stringify(recovered.body)}, ${count} payments`,
        );
      }
      const madeBeforeRetry = made.rows.find((row) => row.idempotency_key === keys[index]);
      if (madeBeforeRetry) expect(recovered.body.id).toBe(madeBeforeRetry.id);
      if (recovered.status === 201) {
        const row = await db.query(`select id, idempotency_key from payments where order_id = $1`, [body.order_id]);
        expect(row.rows).toEqual([{ id: recovered.body.id, idempotency_key: keys[index] }]);
      }
    }
  }
  console.log(`API SIGKILLed mid-POST /v1/payments, retried on a fresh process: ${JSON.stringify(outcome)}`);
  expect({ held: outcome.held, lost: outcome.lost, doubled: outcome.doubled }).toEqual({
    held: outcome.tried,
    lost: 0,
    doubled: 0,
  });
  // The kill must have landed mid-request somewhere, or this proves nothing about recovery.
  expect(outcome.diedWithPayment + outcome.diedWithoutPayment).toBeGreaterThan(0);
});
