import fs from 'node:fs';
import { Pool } from 'pg';
import {
  abortOnDeath,
  describePayments,
  inParallel,
  type KassaProcess,
  newDeployment,
  type Deployment,
  outcomesOf,
  payThroughSandbox,
  recordingClient,
  startApiProcess,
  startSlowReceiver,
  startWorkerProcess,
  stopAllKassaProcesses,
  tail,
  waitForDeliveries,
} from '../support/chaos';
import { expectLedgerBalanced, postingsOf } from '../support/ledger';
import { freePort } from '../support/processes';
import {
  createTestDatabase,
  createTestNamespace,
  onboardMerchant,
  sandboxApiKey,
  startSandboxProcess,
} from '../support/stack';

jest.setTimeout(300_000);

const paymentCount = 50;
/** The worker is SIGKILLed when this many payments have had their method chosen, and a new one started. */
const killAfterMethods = [12, 32];

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
let receiver: Awaited<ReturnType<typeof startSlowReceiver>>;
let deployment: Deployment;
let api: KassaProcess;
const workers: KassaProcess[] = [];
let db: Pool;

beforeAll(async () => {
  let namespace: string;
  [database, sandbox, receiver, namespace] = await Promise.all([
    createTestDatabase(),
    startSandboxProcess(),
    startSlowReceiver(400),
    createTestNamespace(process.env.TEST_TEMPORAL_ADDRESS!),
  ]);
  deployment = newDeployment({
    databaseUrl: database.url,
    temporalAddress: process.env.TEST_TEMPORAL_ADDRESS!,
    namespace,
    sandboxUrl: sandbox.url,
  });
  deployment.publicUrl = `http://127.0.0.1:${await freePort()}`;
  const [started] = await Promise.all([
    startApiProcess(deployment),
    startWorkerProcess(deployment, 'worker-1').then((worker) => workers.push(worker)),
  ]);
  api = started;
  db = new Pool({ connectionString: database.url, max: 2 });
}, 180_000);

afterAll(async () => {
  await stopAllKassaProcesses();
  await Promise.allSettled([receiver?.close(), sandbox?.stop(), db?.end()]);
  await database?.drop();
  if (deployment) fs.rmSync(deployment.dir, { recursive: true, force: true });
});

test('when the worker is SIGKILLed twice during 50 payments, each is paid and captured once, notified under one webhook id, and the ledger balances', async () => {
  const shop = await onboardMerchant({ url: api.url!, adminToken: deployment.adminToken }, receiver.url);
  const client = recordingClient(() => api.url!);
  let methodsChosen = 0;
  let paid = 0;
  const kills: { worker: number; methodsChosen: number; paid: number; webhooksInFlight: number; exit?: unknown }[] = [];

  // The chaos: at each threshold the newest worker is SIGKILLed in the middle of whatever it is
  // doing, and a fresh one is started in its place.
  let drivingDone = false;
  const chaos = (async () => {
    for (const threshold of killAfterMethods) {
      while (methodsChosen < threshold && !drivingDone) await new Promise((resolve) => setTimeout(resolve, 50));
      // Preferably while a webhook is on its way, so that its delivery is cut off and retried.
      const deadline = Date.now() + 5_000;
      while (receiver.inFlight() === 0 && Date.now() < deadline && !drivingDone)
        await new Promise((resolve) => setTimeout(resolve, 10));
      if (drivingDone) return;
      const victim = workers.at(-1)!;
      kills.push({ worker: victim.pid, methodsChosen, paid, webhooksInFlight: receiver.inFlight() });
      await victim.kill('SIGKILL');
      kills.at(-1)!.exit = await victim.exited;
      workers.push(await startWorkerProcess(deployment, `worker-${workers.length + 1}`));
    }
  })();

  const death = abortOnDeath(() => [api, ...workers]);
  const orders = Array.from({ length: paymentCount }, (_, i) => `chaos-kill-${i + 1}`);
  const results = await inParallel(orders, 10, (orderId) =>
    payThroughSandbox(client, { key: shop.testKey, checkoutId: shop.checkout.id }, orderId, {
      timeoutMs: 120_000,
      signal: death.signal,
      onStep: (step) => {
        if (step === 'method') methodsChosen += 1;
      },
    }).then((outcome) => {
      paid += 1;
      return outcome;
    }),
  );
  drivingDone = true;
  death.stop();
  await chaos;
  if (death.reason()) throw new Error(death.reason()!);

  const failures = results.flatMap((result, i) =>
    result.status === 'rejected' ? [`${orders[i]}: ${(result.reason as Error).message}`] : [],
  );
  const paymentIds = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.paymentId] : []));

  // Every paid payment's webhook arrives (a delivery cut off by a kill is retried after its timeout).
  // Every event delivered as far as Kassa knows, cut-off deliveries retried included.
  const undelivered = await waitForDeliveries(db, paymentIds, 90_000);

  const { captures, webhookIds, counts } = await outcomesOf({
    db,
    sandboxUrl: sandbox.url,
    received: receiver.received,
    paymentIds,
    tried: paymentCount,
  });
  console.log(
    `worker SIGKILL chaos: ${JSON.stringify({ tried: counts.tried, held: counts.held, lost: counts.lost, doubled: counts.doubled, kills, webhookRequests: receiver.received.length, redelivered: receiver.received.length - webhookIds.size })}`,
  );

  // The kills happened mid-way, while payments were in flight, and each took the worker down.
  expect(kills).toHaveLength(killAfterMethods.length);
  for (const kill of kills) {
    expect(kill.paid).toBeLessThan(paymentCount);
    expect(kill.exit).toEqual({ code: null, signal: 'SIGKILL' });
  }
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
  expect({ tried: counts.tried, held: counts.held, lost: counts.lost, doubled: counts.doubled }).toEqual({
    tried: paymentCount,
    held: paymentCount,
    lost: 0,
    doubled: 0,
  });

  // One capture each, and it is the provider payment of the payment's first attempt, the one the buyer approved.
  for (const result of results) {
    if (result.status !== 'fulfilled') continue;
    const { paymentId, providerPaymentId } = result.value;
    expect(captures.get(paymentId)).toEqual([providerPaymentId]);
    const byKey = await fetch(`${sandbox.url}/api/payments/by-key/${paymentId}-attempt-1`, {
      headers: { authorization: `Bearer ${sandboxApiKey}` },
    });
    expect(((await byKey.json()) as { id: string }).id).toBe(providerPaymentId);
  }
  // No webhook for anything but these payments, and never two ids for one event.
  for (const [event, ids] of webhookIds) {
    expect(paymentIds).toContain(event.split(' ')[0]);
    expect({ event, ids: ids.size }).toEqual({ event, ids: 1 });
  }
  // The ledger: one capture posting per payment, every transaction and total zero-sum.
  for (const paymentId of paymentIds) expect(await postingsOf(db, 'payment', paymentId)).toEqual({ captured: 1 });
  await expectLedgerBalanced(db);
  // The API and the last worker are still up.
  expect(api.child.exitCode).toBeNull();
  if (workers.at(-1)!.child.exitCode !== null)
    throw new Error(`the last worker exited:\n${tail(workers.at(-1)!.logFile)}`);
});
