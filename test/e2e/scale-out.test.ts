import fs from 'node:fs';
import { Pool } from 'pg';
import {
  abortOnDeath,
  type Deployment,
  describePayments,
  inParallel,
  type KassaProcess,
  newDeployment,
  outcomesOf,
  payThroughSandbox,
  startApiProcess,
  startSlowReceiver,
  startWorkerProcess,
  stopAllKassaProcesses,
  tail,
  waitForDeliveries,
} from '../support/chaos';
import { expectLedgerBalanced, postingsOf } from '../support/ledger';
import { alternatingClient, metricSum, startLoadBalancer, workerShares } from '../support/scale-out';
import {
  createTestDatabase,
  createTestNamespace,
  onboardMerchant,
  startSandboxProcess,
  type TestStack,
} from '../support/stack';

jest.setTimeout(180_000);

const paymentCount = 100;
/** The first worker is SIGKILLed once this many payments have had their method chosen, and started again. */
const killAfterMethods = 35;
/** Orders started only once the restarted worker is up. */
const ordersAfterRestart = 20;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
let receiver: Awaited<ReturnType<typeof startSlowReceiver>>;
let balancer: Awaited<ReturnType<typeof startLoadBalancer>>;
let deployment: Deployment;
const apis: KassaProcess[] = [];
const workers: KassaProcess[] = [];
let db: Pool;

beforeAll(async () => {
  let namespace = '';
  // Each start settles before a failure is raised, so that afterAll finds everything it must end.
  const settle = async (starts: Promise<unknown>[]) => {
    for (const result of await Promise.allSettled(starts)) if (result.status === 'rejected') throw result.reason;
  };
  await settle([
    createTestDatabase().then((created) => (database = created)),
    startSandboxProcess().then((started) => (sandbox = started)),
    startSlowReceiver(300).then((started) => (receiver = started)),
    startLoadBalancer().then((started) => (balancer = started)),
    createTestNamespace(process.env.TEST_TEMPORAL_ADDRESS!).then((created) => (namespace = created)),
  ]);
  deployment = newDeployment({
    databaseUrl: database.url,
    temporalAddress: process.env.TEST_TEMPORAL_ADDRESS!,
    namespace,
    sandboxUrl: sandbox.url,
  });
  // Links Kassa hands out (hosted page, provider callbacks, returns) go through the load balancer.
  deployment.publicUrl = balancer.url;
  const api = (name: string) =>
    startApiProcess({ ...deployment, publicUrl: undefined, env: { PUBLIC_URL: balancer.url } }, name);
  await settle([
    api('api-1').then((started) => apis.push(started)),
    api('api-2').then((started) => apis.push(started)),
    startWorkerProcess(deployment, 'worker-1').then((started) => workers.push(started)),
    startWorkerProcess(deployment, 'worker-2').then((started) => workers.push(started)),
  ]);
  balancer.backends.push(...apis.map((process) => process.url!));
  db = new Pool({ connectionString: database.url, max: 2 });
}, 150_000);

afterAll(async () => {
  await stopAllKassaProcesses();
  await Promise.allSettled([balancer?.close(), receiver?.close(), sandbox?.stop(), db?.end()]);
  await database?.drop();
  if (deployment) fs.rmSync(deployment.dir, { recursive: true, force: true });
});

test('two API and two worker processes share 100 payments, one worker SIGKILLed and restarted mid-run: each is paid and captured once, notified under one webhook id, and the ledger balances', async () => {
  const started = Date.now();
  const shop = await onboardMerchant(
    { url: balancer.url, adminToken: deployment.adminToken } as TestStack,
    receiver.url,
  );
  const apiUrls = apis.map((process) => process.url!);
  let methodsChosen = 0;
  let paid = 0;
  let kill:
    | {
        worker: number;
        restarted?: number;
        methodsChosen: number;
        paid: number;
        webhooksInFlight: number;
        exit?: unknown;
      }
    | undefined;

  // The chaos: the first worker is SIGKILLed in the middle of whatever it is doing (preferably a
  // webhook delivery, which is then retried), and a fresh one joins in its place. The last orders
  // wait for it, so the restarted worker takes part rather than joining after the run.
  let settled = 0;
  const chaos = (async () => {
    while (methodsChosen < killAfterMethods && settled < paymentCount - ordersAfterRestart)
      await new Promise((resolve) => setTimeout(resolve, 50));
    if (methodsChosen < killAfterMethods) return;
    const deadline = Date.now() + 5_000;
    while (receiver.inFlight() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const victim = workers[0]!;
    kill = { worker: victim.pid, methodsChosen, paid, webhooksInFlight: receiver.inFlight() };
    await victim.kill('SIGKILL');
    kill.exit = await victim.exited;
    const restarted = await startWorkerProcess(deployment, 'worker-1-restarted');
    workers.push(restarted);
    kill.restarted = restarted.pid;
  })();
  const chaosOver = chaos.catch(() => undefined);

  const death = abortOnDeath(() => [...apis, ...workers]);
  const orders = Array.from({ length: paymentCount }, (_, i) => `scale-out-${i + 1}`);
  const results = await inParallel(orders, 12, async (orderId, index) => {
    if (index >= paymentCount - ordersAfterRestart) await chaosOver;
    try {
      const outcome = await payThroughSandbox(
        alternatingClient(apiUrls, index % 2),
        { key: shop.testKey, checkoutId: shop.checkout.id },
        orderId,
        {
          timeoutMs: 120_000,
          signal: death.signal,
          onStep: (step) => {
            if (step === 'method') methodsChosen += 1;
          },
        },
      );
      paid += 1;
      return outcome;
    } finally {
      settled += 1;
    }
  });
  death.stop();
  await chaos;
  if (death.reason()) throw new Error(death.reason()!);

  const failures = results.flatMap((result, i) =>
    result.status === 'rejected' ? [`${orders[i]}: ${(result.reason as Error).message}`] : [],
  );
  const paymentIds = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.paymentId] : []));
  const undelivered = await waitForDeliveries(db, paymentIds, 90_000);

  const { captures, webhookIds, counts } = await outcomesOf({
    db,
    sandboxUrl: sandbox.url,
    received: receiver.received,
    paymentIds,
    tried: paymentCount,
  });
  const expositions = await Promise.all(
    apiUrls.map(async (url) =>
      (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${deployment.adminToken}` } })).text(),
    ),
  );
  const perApi = expositions.map((exposition) => ({
    creates: metricSum(exposition, 'kassa_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/v1/payments',
    }),
    methodChoices: metricSum(exposition, 'kassa_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/pay/:id/method',
    }),
    callbacks: metricSum(exposition, 'kassa_provider_callbacks_total', { provider: 'sandbox', outcome: 'accepted' }),
  }));
  const shares = await workerShares(deployment, paymentIds);
  console.log(
    `scale-out: ${JSON.stringify({ durationMs: Date.now() - started, held: counts.held, lost: counts.lost, doubled: counts.doubled, kill, perApi, perWorker: Object.fromEntries(shares), webhookRequests: receiver.received.length, redelivered: receiver.received.length - webhookIds.size })}`,
  );

  // The kill came mid-run and took the worker down.
  expect(kill).toBeDefined();
  expect(kill!.paid).toBeLessThan(paymentCount);
  expect(kill!.exit).toEqual({ code: null, signal: 'SIGKILL' });

  const unwell = [
    ...new Set([
      ...counts.details.map((detail) => String(detail.paymentId)),
      ...failures.flatMap((failure) => failure.match(/pay_\w+/) ?? []),
    ]),
  ];
  if (unwell.length > 0)
    console.log(`payments not held: ${JSON.stringify(await describePayments(deployment, unwell), null, 1)}`);
  expect(failures).toEqual([]);
  expect(undelivered).toBe(0);
  expect(counts.details).toEqual([]);
  expect({ held: counts.held, lost: counts.lost, doubled: counts.doubled }).toEqual({
    held: paymentCount,
    lost: 0,
    doubled: 0,
  });

  // 100 paid, one capture each at the sandbox, and nothing captured besides them.
  const paidIds = (
    await db.query<{ id: string }>(`select id from payments where id = any($1) and status = 'paid'`, [paymentIds])
  ).rows.map((row) => row.id);
  expect(paidIds).toHaveLength(paymentCount);
  for (const result of results)
    if (result.status === 'fulfilled')
      expect(captures.get(result.value.paymentId)).toEqual([result.value.providerPaymentId]);
  expect([...captures.keys()].sort()).toEqual([...paymentIds].sort());

  // One webhook id per event: 100 distinct `payment.paid` ids, a retried delivery under the same id.
  const paidEvents = receiver.received
    .map((request) => JSON.parse(request.body) as { id: string; type: string })
    .filter((event) => event.type === 'payment.paid');
  expect(new Set(paidEvents.map((event) => event.id)).size).toBe(paymentCount);
  for (const [event, ids] of webhookIds) {
    expect(paymentIds).toContain(event.split(' ')[0]);
    expect({ event, ids: ids.size }).toEqual({ event, ids: 1 });
  }

  // The ledger: one capture posting per payment, every transaction and total zero-sum.
  for (const paymentId of paymentIds) expect(await postingsOf(db, 'payment', paymentId)).toEqual({ captured: 1 });
  await expectLedgerBalanced(db);

  // Scale-out, not one process doing it all: both APIs served creates, method choices and
  // callbacks; both first workers and the restarted one ran workflow and activity tasks, and no
  // other process did.
  for (const served of perApi) {
    expect(served.creates).toBeGreaterThanOrEqual(paymentCount / 4);
    expect(served.methodChoices).toBeGreaterThanOrEqual(paymentCount / 4);
    expect(served.callbacks).toBeGreaterThan(0);
  }
  expect(perApi[0]!.creates + perApi[1]!.creates).toBeGreaterThanOrEqual(paymentCount);
  const workerPids = workers.map((worker) => worker.pid);
  expect([...shares.keys()].filter((pid) => !workerPids.includes(pid))).toEqual([]);
  for (const pid of workerPids) {
    const ran = shares.get(pid) ?? { workflowTasks: 0, activityTasks: 0 };
    expect({ pid, workflowTasks: ran.workflowTasks > 0, activityTasks: ran.activityTasks > 0 }).toEqual({
      pid,
      workflowTasks: true,
      activityTasks: true,
    });
  }

  // Every process but the killed one is still up.
  for (const process of [...apis, ...workers.filter((worker) => worker.pid !== kill!.worker)])
    if (process.child.exitCode !== null || process.child.signalCode !== null)
      throw new Error(`${process.role} ${process.pid} exited:\n${tail(process.logFile)}`);
});
