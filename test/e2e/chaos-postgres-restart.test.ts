import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Pool } from 'pg';
import { connectTimeoutMs, createPool, isDatabaseUnavailable } from '../../src/db/pool';
import {
  abortOnDeath,
  countOutcomes,
  type Deployment,
  describePayments,
  type Exchange,
  inParallel,
  type KassaProcess,
  newDeployment,
  observerPool,
  outcomesOf,
  payThroughSandbox,
  recordingClient,
  startApiProcess,
  startWorkerProcess,
  stopAllKassaProcesses,
  tail,
  waitForDeliveries,
} from '../support/chaos';
import { expectLedgerBalanced, postingsOf } from '../support/ledger';
import { freePort, type PostgresCluster, startPostgresCluster } from '../support/processes';
import { createTestNamespace, onboardMerchant, startReceiver, startSandboxProcess } from '../support/stack';

jest.setTimeout(300_000);

const root = path.resolve(__dirname, '../..');

const tally = (lines: string[]) =>
  Object.fromEntries([...new Set(lines)].map((line) => [line, lines.filter((other) => other === line).length]));

/** Runs `script` in a Node process of its own (TypeScript through tsx) and collects what it printed and how it ended. */
function runNode(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the database pool', () => {
  test('a process whose checked-out connection the server drops keeps running, and its pool serves the next query', async () => {
    // A transaction held open while something else is awaited (a provider call), and the server
    // ends that session: before the fix the pool's client emitted an unhandled 'error' and the process died.
    const script = `
      const { createPool } = require('./src/db/pool');
      const pool = createPool(process.env.URL, 2);
      const admin = createPool(process.env.URL, 1);
      (async () => {
        const client = await pool.connect();
        await client.query('begin');
        const { rows } = await client.query('select pg_backend_pid() as pid');
        await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const held = await client.query('select 1').then(() => 'answered', (error) => 'failed');
        client.release();
        const { rows: [next] } = await pool.query('select 42 as answer');
        console.log('held query ' + held + '; next query ' + next.answer);
        await pool.end();
        await admin.end();
      })();
    `;
    const { code, output } = await runNode(script, { URL: process.env.TEST_POSTGRES_ADMIN_URL! });
    expect({
      code,
      output: output
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('held query')),
    }).toEqual({ code: 0, output: ['held query failed; next query 42'] });
  });

  test('a wrong query is not taken for an outage', async () => {
    const pool = createPool(process.env.TEST_POSTGRES_ADMIN_URL!, 1);
    try {
      const error = await pool.query('select * from no_such_table').catch((failure: unknown) => failure);
      expect((error as { code?: string }).code).toBe('42P01');
      expect(isDatabaseUnavailable(error)).toBe(false);
    } finally {
      await pool.end();
    }
  });

  test(`a query against a server that accepts and never answers fails within ${connectTimeoutMs} ms instead of hanging`, async () => {
    const sockets: net.Socket[] = [];
    const blackHole = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const port = (blackHole.address() as net.AddressInfo).port;
    const pool = createPool(`postgres://kassa@127.0.0.1:${port}/kassa`, 1);
    try {
      const started = Date.now();
      const outcome = await Promise.race([
        pool.query('select 1').then(
          () => 'answered',
          (error: Error) => error,
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), connectTimeoutMs + 5_000)),
      ]);
      expect(outcome).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(outcome)).toBe(true);
      expect(Date.now() - started).toBeLessThan(connectTimeoutMs + 2_000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      blackHole.close();
      await pool.end().catch(() => undefined);
    }
  });
});

describe('PostgreSQL restarted during 20 payments', () => {
  const paymentCount = 20;
  /** Two outages of a few seconds: a restart (sessions ended with an error), then a crash (sessions dropped). */
  const outages = [
    { mode: 'fast' as const, afterMethods: 4, lastsMs: 5_000, pausedAt: 0, resumedAt: 0 },
    { mode: 'immediate' as const, afterMethods: 12, lastsMs: 4_000, pausedAt: 0, resumedAt: 0 },
  ];
  /** After the restart, a request already waiting may still see the old error for a moment. */
  const graceMs = 2_000;

  let cluster: PostgresCluster;
  let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let deployment: Deployment;
  let api: KassaProcess;
  let worker: KassaProcess;
  let db: Pool;
  const client = recordingClient(() => api.url!, 30_000);
  const observerErrors: unknown[] = [];
  let counts: Awaited<ReturnType<typeof countOutcomes>> | undefined;

  beforeAll(async () => {
    let namespace: string;
    [cluster, sandbox, receiver, namespace] = await Promise.all([
      // Crash-safe as in production: with commits acknowledged before their WAL is written, a crash
      // loses status writes the workflow has already moved past (seen here: paid at the provider,
      // workflow finished, payment still awaiting_payment).
      startPostgresCluster({ durable: true }),
      startSandboxProcess(),
      startReceiver(),
      createTestNamespace(process.env.TEST_TEMPORAL_ADDRESS!),
    ]);
    const admin = new Pool({ connectionString: cluster.adminUrl, max: 1 });
    await admin.query('create database kassa');
    await admin.end();
    const databaseUrl = cluster.adminUrl.replace(/\/postgres$/, '/kassa');
    deployment = newDeployment({
      databaseUrl,
      temporalAddress: process.env.TEST_TEMPORAL_ADDRESS!,
      namespace,
      sandboxUrl: sandbox.url,
    });
    deployment.publicUrl = `http://127.0.0.1:${await freePort()}`;
    [api, worker] = await Promise.all([startApiProcess(deployment), startWorkerProcess(deployment, 'worker')]);
    db = observerPool(databaseUrl);
  }, 180_000);

  afterAll(async () => {
    await stopAllKassaProcesses();
    await Promise.allSettled([receiver?.close(), sandbox?.stop(), db?.end()]);
    await cluster?.stop();
    if (deployment) fs.rmSync(deployment.dir, { recursive: true, force: true });
  });

  test('every payment is paid and captured once, with one payment.paid event and webhook id, the ledger balances, and no Kassa process dies', async () => {
    const shop = await onboardMerchant({ url: api.url!, adminToken: deployment.adminToken }, receiver.url);
    let methodsChosen = 0;
    let drivingDone = false;

    // The outages: once some payments are at the provider, the server stops and comes back a few
    // seconds later on the same port and data.
    const chaos = (async () => {
      for (const outage of outages) {
        while (methodsChosen < outage.afterMethods && !drivingDone)
          await new Promise((resolve) => setTimeout(resolve, 20));
        if (drivingDone) return;
        outage.pausedAt = Date.now();
        await cluster.pause(outage.mode);
        // What a reader sees while the server is down.
        const probe = new Pool({ connectionString: deployment.databaseUrl, max: 1 });
        observerErrors.push(await probe.query('select 1').catch((error: unknown) => error));
        await probe.end();
        await new Promise((resolve) => setTimeout(resolve, outage.lastsMs));
        await cluster.resume();
        outage.resumedAt = Date.now();
      }
    })();
    // A merchant reading a payment all along: its answers during the outage show the contract.
    const reading = (async () => {
      while (!drivingDone) {
        await client.call('GET', '/v1/payments?limit=1', { token: shop.testKey });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    const death = abortOnDeath(() => [api, worker]);
    const orders = Array.from({ length: paymentCount }, (_, i) => `chaos-pg-${i + 1}`);
    // Spread over a few seconds, so that the outage finds payments at every step: being created,
    // choosing a method, at the provider, confirmed by a callback, notifying the merchant.
    const results = await inParallel(orders, paymentCount, async (orderId, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 400));
      return payThroughSandbox(client, { key: shop.testKey, checkoutId: shop.checkout.id }, orderId, {
        timeoutMs: 90_000,
        signal: death.signal,
        onStep: (step) => {
          if (step === 'method') methodsChosen += 1;
        },
      });
    });
    drivingDone = true;
    death.stop();
    await Promise.all([chaos, reading]);
    if (death.reason()) throw new Error(death.reason()!);

    const failures = results.flatMap((result, i) =>
      result.status === 'rejected' ? [`${orders[i]}: ${(result.reason as Error).message}`] : [],
    );
    const paymentIds = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.paymentId] : []));
    // Every event delivered as far as Kassa knows, cut-off deliveries retried included.
    const undelivered = await waitForDeliveries(db, paymentIds, 90_000);

    const outcomes = await outcomesOf({
      db,
      sandboxUrl: sandbox.url,
      received: receiver.received,
      paymentIds,
      tried: paymentCount,
    });
    const { webhookIds } = outcomes;
    counts = outcomes.counts;
    const during = (exchange: Exchange) =>
      outages.some((outage) => exchange.startedAt <= outage.resumedAt + graceMs && exchange.endedAt >= outage.pausedAt);
    const failed = client.exchanges.filter((exchange) => exchange.status === null || exchange.status >= 500);
    console.log(
      `PostgreSQL restart chaos: ${JSON.stringify({
        tried: counts.tried,
        held: counts.held,
        lost: counts.lost,
        doubled: counts.doubled,
        outagesMs: outages.map((outage) => `${outage.mode} ${outage.resumedAt - outage.pausedAt}`),
        requests: client.exchanges.length,
        failedDuringOutage: tally(
          failed
            .filter(during)
            .map(
              (exchange) =>
                `${exchange.method} ${exchange.path.replace(/pay_\w+/, ':id')} ${exchange.status ?? exchange.error} ${exchange.body?.error?.code ?? ''}`,
            ),
        ),
        slowestFailedMs: Math.max(0, ...failed.map((exchange) => exchange.endedAt - exchange.startedAt)),
      })}`,
    );

    for (const outage of outages) expect(outage.resumedAt).toBeGreaterThan(outage.pausedAt);
    expect(observerErrors.map(isDatabaseUnavailable)).toEqual(outages.map(() => true));
    // Neither process went down with the database.
    if (api.child.exitCode !== null || api.child.signalCode !== null)
      throw new Error(`the API process exited:\n${tail(api.logFile)}`);
    if (worker.child.exitCode !== null || worker.child.signalCode !== null)
      throw new Error(`the worker exited:\n${tail(worker.logFile)}`);
    const unwell = [
      ...new Set([
        ...counts.details.map((detail) => String(detail.paymentId)),
        ...failures.flatMap((failure) => failure.match(/pay_\w+/) ?? []),
      ]),
    ];
    if (unwell.length > 0) {
      console.log(
        `payments not held: ${JSON.stringify(await describePayments(deployment, unwell), null, 1)}\nworker log:\n${tail(worker.logFile, 30)}\napi log:\n${tail(api.logFile, 30)}`,
      );
    }
    expect(failures).toEqual([]);
    expect(undelivered).toBe(0);
    expect(counts.details).toEqual([]);
    expect({ tried: counts.tried, held: counts.held, lost: counts.lost, doubled: counts.doubled }).toEqual({
      tried: paymentCount,
      held: paymentCount,
      lost: 0,
      doubled: 0,
    });
    for (const [event, ids] of webhookIds) expect({ event, ids: ids.size }).toEqual({ event, ids: 1 });
    for (const paymentId of paymentIds) expect(await postingsOf(db, 'payment', paymentId)).toEqual({ captured: 1 });
    await expectLedgerBalanced(db);
    // Every request got an answer, and only requests during the outage failed.
    expect(
      client.exchanges
        .filter((exchange) => exchange.status === null)
        .map((exchange) => `${exchange.method} ${exchange.path}: ${exchange.error}`),
    ).toEqual([]);
    expect(
      failed
        .filter((exchange) => !during(exchange))
        .map((exchange) => `${exchange.method} ${exchange.path} ${exchange.status}`),
    ).toEqual([]);
    // A request while the database is down is answered within seconds, not left hanging: each of
    // its few queries waits at most the pool's connect timeout.
    for (const exchange of failed) expect(exchange.endedAt - exchange.startedAt).toBeLessThan(3 * connectTimeoutMs);
  });

  test('while PostgreSQL is down, the API answers 503 service_unavailable, never a bare 500', () => {
    if (!counts) throw new Error('the restart scenario did not run');
    const failed = client.exchanges.filter((exchange) => exchange.status !== null && exchange.status >= 500);
    expect(failed.length).toBeGreaterThan(0);
    for (const exchange of failed) {
      expect({ status: exchange.status, type: exchange.body?.error?.type, code: exchange.body?.error?.code }).toEqual({
        status: 503,
        type: 'api_error',
        code: 'service_unavailable',
      });
    }
  });
});
