import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import Long from 'long';
import { Pool } from 'pg';
import { loadConfig } from '../../src/config';
import { randomToken } from '../../src/domain/ids';
import { providersFromConfig } from '../../src/providers/registry';
import type { ServiceDeps } from '../../src/services/deps';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import { purchaseWorkflowId } from '../../src/workflows/shared';
import { type KassaOptions, type RunningKassa, startKassa, workflowBundle } from '../../worker';
import { answersAsItself, freePort, stopChild } from './processes';

const root = path.resolve(__dirname, '../..');
export const sandboxApiKey = 'sandbox_test_key';
export const sandboxWebhookSecret = 'sandbox_test_webhook_secret';

export interface TestStack {
  url: string;
  sandboxUrl: string;
  adminToken: string;
  kassa: RunningKassa;
  databaseUrl: string;
  close(): Promise<void>;
}

/** A fresh database in the run's PostgreSQL cluster; dropped by the returned function. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_POSTGRES_ADMIN_URL;
  if (!adminUrl) throw new Error('TEST_POSTGRES_ADMIN_URL is not set: run through jest (globalSetup)');
  const name = `kassa_${randomToken(12).toLowerCase()}`;
  const admin = new Pool({ connectionString: adminUrl, max: 1 });
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    url: adminUrl.replace(/\/postgres$/, `/${name}`),
    async drop() {
      // Not forced: a pool a test still holds would see its connections killed and crash the run.
      // A database still in use stays; the whole cluster is removed at the end of the run.
      const pool = new Pool({ connectionString: adminUrl, max: 1 });
      await pool.query(`drop database if exists ${name}`).catch(() => undefined);
      await pool.end();
    },
  };
}

/**
 * A namespace of its own for one stack, so that workflows a test file leaves open are never
 * picked up by the next file's worker (which has another database).
 */
export async function createTestNamespace(address: string): Promise<string> {
  const namespace = `kassa-${randomToken(10).toLowerCase()}`;
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) },
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return namespace;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await connection.close();
  }
}

export interface TestTemporal {
  connection: Connection;
  /** A client on `namespace`. */
  client: Client;
  namespace: string;
  close(): Promise<void>;
}

/**
 * A client of the run's Temporal (or `address`) on a namespace of its own, with Kassa's search
 * attributes registered there: for tests that start workflows without a whole Kassa.
 */
export async function startTestTemporal(address = process.env.TEST_TEMPORAL_ADDRESS!): Promise<TestTemporal> {
  const namespace = await createTestNamespace(address);
  const connection = await Connection.connect({ address });
  // A new namespace takes a moment to reach the frontend's cache.
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await ensureSearchAttributes(connection, namespace);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return { connection, namespace, client: new Client({ connection, namespace }), close: () => connection.close() };
}

/** The sandbox provider as its own process, as in production. */
export async function startSandboxProcess(): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  for (let tries = 1; ; tries++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'simulators/sandbox/main.ts')], {
      env: {
        ...process.env,
        SANDBOX_PORT: String(port),
        SANDBOX_API_KEY: sandboxApiKey,
        SANDBOX_WEBHOOK_SECRET: sandboxWebhookSecret,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (await answersAsItself(child, port, 20_000))
      return { url: `http://127.0.0.1:${port}`, process: child, stop: () => stopChild(child) };
    await stopChild(child);
    if (tries === 3) throw new Error('the sandbox provider could not start on a free port');
  }
}

/**
 * Kassa (API and worker) on the run's real PostgreSQL and Temporal, with its own database and sandbox.
 * Logs only errors unless `LOG_LEVEL` is given; `temporalAddress` points it at another Temporal server.
 */
export async function startTestStack(
  env: Record<string, string> = {},
  options: { temporalAddress?: string; kassa?: KassaOptions } = {},
): Promise<TestStack> {
  const temporalAddress = options.temporalAddress ?? process.env.TEST_TEMPORAL_ADDRESS!;
  const [database, sandbox, port, namespace] = await Promise.all([
    createTestDatabase(),
    startSandboxProcess(),
    freePort(),
    createTestNamespace(temporalAddress),
  ]);
  const adminToken = `adm_${randomToken(32)}`;
  const config = loadConfig({
    KASSA_ENV: 'test',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    LOG_LEVEL: 'error',
    SANDBOX_URL: sandbox.url,
    SANDBOX_API_KEY: sandboxApiKey,
    SANDBOX_WEBHOOK_SECRET: sandboxWebhookSecret,
    ADMIN_TOKEN: adminToken,
    STATUS_POLL_SECONDS: '2',
    ...env,
  });
  const kassa = await startKassa(config, {
    workflowBundle: await workflowBundle({ tracing: options.kassa?.spanExporter !== undefined }),
    ...options.kassa,
  });
  return {
    url: kassa.url!,
    sandboxUrl: sandbox.url,
    adminToken,
    kassa,
    databaseUrl: database.url,
    async close() {
      await kassa.close();
      await sandbox.stop();
      await database.drop();
    },
  };
}

/**
 * For one test file: before its tests, a stack started with `env` and a pool on its database, handed
 * to `use` (`stackForFile((running) => ({ stack, db } = running))`); after them, both closed.
 */
export function stackForFile(use: (running: { stack: TestStack; db: Pool }) => void, env: Record<string, string> = {}) {
  let stack: TestStack | undefined;
  let db: Pool | undefined;
  beforeAll(async () => {
    stack = await startTestStack(env);
    db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
    use({ stack, db });
  }, 90_000);
  afterAll(async () => {
    await db?.end();
    await stack?.close();
  });
}

export interface ReceivedRequest {
  headers: http.IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

/** A merchant's webhook endpoint: a real HTTP server answering the statuses it is told to, then 200. */
export async function startReceiver(statuses: number[] = []) {
  const received: ReceivedRequest[] = [];
  const waiters: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/notify`;
  return {
    url,
    received,
    /** Waits until `count` requests have arrived. */
    async waitFor(count: number, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} webhook requests, got ${received.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function api<T = any>(
  url: string,
  method: string,
  pathname: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(`${url}${pathname}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // HTML pages stay text
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** A merchant with a test-mode checkout notifying `notifyUrl`. */
export async function onboardMerchant(
  stack: Pick<TestStack, 'url' | 'adminToken'>,
  notifyUrl: string,
  checkout: Record<string, unknown> = {},
) {
  const merchant = await api(stack.url, 'POST', '/admin/merchants', {
    token: stack.adminToken,
    body: { name: 'Shop', email: 'shop@example.com' },
  });
  if (merchant.status !== 201) throw new Error(`merchant: ${merchant.status} ${JSON.stringify(merchant.body)}`);
  const testKey: string = merchant.body.api_keys.test;
  const created = await api(stack.url, 'POST', '/v1/checkouts', {
    token: testKey,
    body: {
      name: 'My shop',
      site_url: 'https://shop.example',
      currencies: ['RUB', 'JPY', 'KWD'],
      notify_url: notifyUrl,
      success_url: 'https://shop.example/ok',
      fail_url: 'https://shop.example/fail',
      pending_url: 'https://shop.example/wait',
      ...checkout,
    },
  });
  if (created.status !== 201) throw new Error(`checkout: ${created.status} ${JSON.stringify(created.body)}`);
  return {
    merchantId: merchant.body.id as string,
    testKey,
    liveKey: merchant.body.api_keys.live as string,
    checkout: created.body,
  };
}

export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The services as the stack's API process has them, for tests that call a service directly. */
export function serviceDeps(stack: TestStack): ServiceDeps {
  return {
    db: stack.kassa.db,
    temporal: stack.kassa.temporal,
    providers: stack.kassa.providers ?? providersFromConfig(stack.kassa.config),
    config: stack.kassa.config,
  };
}

/** The purchase workflow of a payment, on the stack's Temporal. */
export const purchaseHandle = (stack: TestStack, paymentId: string) =>
  stack.kassa.temporal.workflow.getHandle(purchaseWorkflowId(paymentId));

/** A merchant made through the operator API, with its test and live keys (no checkout). */
export async function createMerchant(stack: TestStack) {
  const created = await api(stack.url, 'POST', '/admin/merchants', {
    token: stack.adminToken,
    body: { name: 'Shop', email: 'shop@example.com' },
  });
  if (created.status !== 201) throw new Error(`merchant: ${created.status} ${JSON.stringify(created.body)}`);
  return {
    id: created.body.id as string,
    testKey: created.body.api_keys.test as string,
    liveKey: created.body.api_keys.live as string,
  };
}

/** A payment body for `checkoutId`: 50.00 RUB with a fresh order id; `extra` overrides any field. */
export const paymentBody = (checkoutId: string, extra: Record<string, unknown> = {}) => ({
  checkout_id: checkoutId,
  order_id: `A-${randomToken(10)}`,
  amount: '50.00',
  currency: 'RUB',
  description: 'Test product',
  ...extra,
});

/** A payment made with {@link paymentBody} through POST /v1/payments; answers its JSON. */
export async function createTestPayment(
  stack: TestStack,
  key: string,
  checkoutId: string,
  extra: Record<string, unknown> = {},
) {
  const created = await api(stack.url, 'POST', '/v1/payments', { token: key, body: paymentBody(checkoutId, extra) });
  if (created.status !== 201) throw new Error(`payment: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body as { id: string; order_id: string; status: string; checkout_url: string } & Record<string, any>;
}

/** A payment as the merchant with `key` sees it at GET /v1/payments/{id}. */
export const paymentOf = (stack: TestStack, key: string, id: string) =>
  api(stack.url, 'GET', `/v1/payments/${id}`, { token: key }).then((response) => response.body);

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
export type Shop = Awaited<ReturnType<typeof onboardMerchant>> & { receiver: Receiver };

/**
 * A merchant whose checkout notifies a fresh receiver answering `statuses`, then 200; `checkout`
 * overrides the checkout's fields. Close `shop.receiver` after (or make shops with {@link shopsFor}).
 */
export async function newShop(
  stack: TestStack,
  statuses: number[] = [],
  checkout: Record<string, unknown> = {},
): Promise<Shop> {
  const receiver = await startReceiver(statuses);
  return { receiver, ...(await onboardMerchant(stack, receiver.url, checkout)) };
}

/**
 * Shops for one test file: `newShop(statuses, checkout)` as {@link newShop} on the file's stack. Every
 * receiver is closed after the test that made it, or with `closeAfter: 'all'` after the file's tests.
 */
export function shopsFor(stack: () => TestStack, closeAfter: 'each' | 'all' = 'each') {
  const receivers: Receiver[] = [];
  (closeAfter === 'each' ? afterEach : afterAll)(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });
  return async (statuses: number[] = [], checkout: Record<string, unknown> = {}) => {
    const shop = await newShop(stack(), statuses, checkout);
    receivers.push(shop.receiver);
    return shop;
  };
}

/** A call to the sandbox provider's own API, as its operator (a fresh idempotency key each time). */
export const sandboxApi = (stack: TestStack, method: string, pathname: string, body?: unknown) =>
  fetch(`${stack.sandboxUrl}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${sandboxApiKey}`,
      'content-type': 'application/json',
      'idempotency-key': `test-${randomToken(12)}`,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** The sandbox's report of what it captured, refunded and paid out from `sinceMs` ago until a minute from now. */
export async function sandboxReport(stack: TestStack, sinceMs = 3_600_000): Promise<any> {
  const query = new URLSearchParams({
    from: new Date(Date.now() - sinceMs).toISOString(),
    to: new Date(Date.now() + 60_000).toISOString(),
  });
  return (await sandboxApi(stack, 'GET', `/api/report?${query}`)).json();
}

/** Asks the sandbox to misbehave for one payment's callbacks (`{ drop: true }`, `{ wrong_amount: true }`, …). */
export async function sandboxFault(stack: TestStack, paymentId: string, fault: Record<string, unknown>) {
  const response = await sandboxApi(stack, 'POST', '/api/faults', { reference: paymentId, ...fault });
  if (response.status !== 204) throw new Error(`sandbox fault: ${response.status}`);
}

/**
 * A capture made at the sandbox directly, as a provider might on its own: `reference` names the
 * Kassa payment, and its callback goes to the stack. Answers the sandbox's payment id.
 */
export async function captureAtSandbox(
  stack: TestStack,
  reference: string,
  amountMinor: string,
  description = 'outside Kassa',
): Promise<string> {
  const response = await sandboxApi(stack, 'POST', '/api/payments', {
    reference,
    method: 'sandbox_card',
    amount_minor: amountMinor,
    currency: 'RUB',
    description,
    return_url: `${stack.url}/pay/${reference}/return`,
    callback_url: `${stack.url}/callbacks/sandbox`,
  });
  const created = (await response.json()) as { id: string };
  const approved = await fetch(`${stack.sandboxUrl}/checkout/${created.id}/approve`, {
    method: 'POST',
    redirect: 'manual',
  });
  if (approved.status !== 303) throw new Error(`sandbox approve: ${approved.status}`);
  return created.id;
}
