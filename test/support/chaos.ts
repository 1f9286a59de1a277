import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Pool } from 'pg';
import { purchaseWorkflowId } from '../../src/workflows/shared';
import { randomToken } from '../../src/domain/ids';
import { freePort } from './processes';
import { type ReceivedRequest, sandboxApiKey, sandboxWebhookSecret } from './stack';

const root = path.resolve(__dirname, '../..');

/** Where one Kassa deployment's processes meet: the same database, namespace, sandbox, keys and data dir. */
export interface Deployment {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  sandboxUrl: string;
  adminToken: string;
  /** Shared by every process, as `DATA_DIR` on one host; logs are written here too. */
  dir: string;
  /** Encrypts channel and webhook secrets: every process must have the same one. */
  notificationsKey: string;
  /** Set by {@link startApiProcess}: the base URL workers build callback and return links from. */
  publicUrl?: string;
  env?: Record<string, string>;
}

export function newDeployment(settings: Omit<Deployment, 'adminToken' | 'dir' | 'notificationsKey'>): Deployment {
  return {
    ...settings,
    adminToken: `adm_${randomToken(32)}`,
    dir: fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-chaos-')),
    notificationsKey: randomBytes(32).toString('hex'),
  };
}

export interface KassaProcess {
  role: 'api' | 'worker';
  pid: number;
  child: ChildProcess;
  /** The API's base URL (api role only). */
  url?: string;
  logFile: string;
  /** Resolves when the process has exited, with how. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` to the process group and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Set once `kill` was called: the process did not die on its own. */
  killedOnPurpose: boolean;
}

/** Every Kassa process started here and not yet ended: {@link stopAllKassaProcesses} ends them. */
const live = new Set<KassaProcess>();

/**
 * Kassa as its own process (`node --import tsx worker.ts`) in a process group of its own, so it
 * and anything it starts can be ended together. It also stops itself once this process is gone.
 */
async function spawnKassa(
  role: 'api' | 'worker',
  deployment: Deployment,
  port: number,
  name: string,
): Promise<KassaProcess> {
  const logFile = path.join(deployment.dir, `${name}.log`);
  const log = fs.openSync(logFile, 'a');
  const publicUrl = deployment.publicUrl ?? `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker.ts')], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', log],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KASSA_ROLE: role,
      KASSA_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: publicUrl,
      DATABASE_URL: deployment.databaseUrl,
      TEMPORAL_ADDRESS: deployment.temporalAddress,
      TEMPORAL_NAMESPACE: deployment.namespace,
      SANDBOX_URL: deployment.sandboxUrl,
      SANDBOX_API_KEY: sandboxApiKey,
      SANDBOX_WEBHOOK_SECRET: sandboxWebhookSecret,
      ADMIN_TOKEN: deployment.adminToken,
      NOTIFICATIONS_KEY: deployment.notificationsKey,
      DATA_DIR: path.join(deployment.dir, 'data'),
      STATUS_POLL_SECONDS: '2',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '1000000',
      KASSA_PARENT_PID: String(process.pid),
      ...deployment.env,
    },
  });
  fs.closeSync(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const kassa: KassaProcess = {
    role,
    pid: child.pid!,
    child,
    logFile,
    exited,
    killedOnPurpose: false,
    async kill(signal = 'SIGTERM') {
      kassa.killedOnPurpose = true;
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 10_000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(kassa);
    },
  };
  live.add(kassa);
  exited.then(() => live.delete(kassa)).catch(() => undefined);
  let output = '';
  const ready = new Promise<boolean>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      fs.appendFileSync(logFile, chunk);
      output += chunk.toString('utf8');
      if (output.includes(`kassa ${role} ready`)) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 120_000).unref());
  if (!(await Promise.race([ready, timeout]))) {
    await kassa.kill('SIGKILL');
    throw new Error(`kassa ${role} (${name}) did not start; its log:\n${tail(logFile)}`);
  }
  return kassa;
}

/** The last lines of a log file, for a failure message. */
export function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The API process; its URL becomes the deployment's public URL. A port taken in between is tried again. */
export async function startApiProcess(deployment: Deployment, name = 'api'): Promise<KassaProcess> {
  for (let tries = 1; ; tries++) {
    const port = deployment.publicUrl ? Number(new URL(deployment.publicUrl).port) : await freePort();
    try {
      const api = await spawnKassa('api', { ...deployment, publicUrl: `http://127.0.0.1:${port}` }, port, name);
      api.url = `http://127.0.0.1:${port}`;
      deployment.publicUrl = api.url;
      return api;
    } catch (error) {
      if (tries === 3 || deployment.publicUrl) throw error;
    }
  }
}

/** A worker process, building links from the API's public URL. */
export async function startWorkerProcess(deployment: Deployment, name: string): Promise<KassaProcess> {
  if (!deployment.publicUrl) throw new Error('start the API process first: workers need its public URL');
  return spawnKassa('worker', deployment, 0, name);
}

/** Ends every Kassa process still running (SIGTERM to each group, SIGKILL after 10 s). */
export async function stopAllKassaProcesses(): Promise<void> {
  await Promise.allSettled([...live].map((kassa) => kassa.kill('SIGTERM')));
}

/** One HTTP exchange as the test saw it; `status` is null when no answer came (refused, reset, timed out). */
export interface Exchange {
  method: string;
  path: string;
  startedAt: number;
  endedAt: number;
  status: number | null;
  body: any;
  error?: string;
}

/**
 * An HTTP client that records every exchange, so a test can ask afterwards which requests failed
 * and when. Each request gives up after `timeoutMs` (a hang counts as no answer).
 */
export function recordingClient(baseUrl: () => string, timeoutMs = 30_000) {
  const exchanges: Exchange[] = [];
  async function call(
    method: string,
    pathname: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Exchange> {
    const exchange: Exchange = { method, path: pathname, startedAt: Date.now(), endedAt: 0, status: null, body: null };
    try {
      const response = await fetch(`${baseUrl()}${pathname}`, {
        method,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
      exchange.status = response.status;
      const text = await response.text();
      try {
        exchange.body = JSON.parse(text);
      } catch {
        exchange.body = text;
      }
    } catch (error) {
      exchange.error =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : String((error as Error).cause ?? error);
    }
    exchange.endedAt = Date.now();
    exchanges.push(exchange);
    return exchange;
  }
  return { call, exchanges };
}

export type RecordingClient = ReturnType<typeof recordingClient>;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries `attempt` until it answers something `done` accepts; anything else is retried after `delayMs`, until `timeoutMs`. */
async function until(
  what: string,
  attempt: () => Promise<Exchange>,
  done: (exchange: Exchange) => boolean,
  timeoutMs: number,
  delayMs = 500,
  signal?: AbortSignal,
): Promise<Exchange> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const exchange = await attempt();
    if (done(exchange)) return exchange;
    if (Date.now() > deadline)
      throw new Error(
        `${what}: gave up after ${timeoutMs} ms; last answer ${exchange.status ?? exchange.error} ${JSON.stringify(exchange.body)}`,
      );
    await pause(delayMs);
  }
}

export interface Shop {
  key: string;
  checkoutId: string;
}

/**
 * One payment as a shop and its buyer drive it through the sandbox: create (same Idempotency-Key
 * on every retry), choose `sandbox_card` on the hosted page, approve at the sandbox, wait until
 * Kassa says paid. Every step retries what did not get through, as a real client would.
 */
export async function payThroughSandbox(
  client: RecordingClient,
  shop: Shop,
  orderId: string,
  options: { timeoutMs?: number; onStep?: (step: string) => void; signal?: AbortSignal } = {},
) {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const { signal } = options;
  const created = await until(
    `create ${orderId}`,
    () =>
      client.call('POST', '/v1/payments', {
        token: shop.key,
        headers: { 'idempotency-key': `chaos-${orderId}` },
        body: {
          checkout_id: shop.checkoutId,
          order_id: orderId,
          amount: '50.00',
          currency: 'RUB',
          description: 'Chaos test order',
        },
      }),
    (exchange) => exchange.status === 201 || exchange.status === 200,
    timeoutMs,
    500,
    signal,
  );
  const paymentId: string = created.body.id;
  options.onStep?.('created');
  const chosen = await until(
    `choose a method for ${paymentId}`,
    () =>
      client.call('POST', `/pay/${paymentId}/method`, {
        body: { method: 'sandbox_card' },
        headers: { accept: 'application/json' },
      }),
    (exchange) => exchange.status === 200,
    timeoutMs,
    500,
    signal,
  );
  const redirectUrl: string = chosen.body.redirect_url;
  options.onStep?.('method');
  let approved = false;
  const deadline = Date.now() + timeoutMs;
  while (!approved) {
    signal?.throwIfAborted();
    const response = await fetch(`${redirectUrl}/approve`, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null);
    approved = response?.status === 303;
    if (!approved && Date.now() > deadline)
      throw new Error(`approve ${paymentId}: sandbox answered ${response?.status}`);
    if (!approved) await pause(500);
  }
  options.onStep?.('approved');
  const paid = await until(
    `${paymentId} paid`,
    () => client.call('GET', `/v1/payments/${paymentId}`, { token: shop.key }),
    (exchange) => exchange.status === 200 && exchange.body.status === 'paid',
    timeoutMs,
    500,
    signal,
  );
  return {
    paymentId,
    providerPaymentId: new URL(redirectUrl).pathname.split('/').pop()!,
    status: paid.body.status as string,
  };
}

/**
 * Aborts when any of `processes` exits on its own (not through its `kill`), so a test stops driving
 * payments at once instead of waiting out every timeout; `reason()` says which one and why.
 */
export function abortOnDeath(processes: () => KassaProcess[]) {
  const controller = new AbortController();
  let reason: string | null = null;
  const watched = new Set<KassaProcess>();
  const timer = setInterval(() => {
    for (const kassa of processes()) {
      if (watched.has(kassa)) continue;
      watched.add(kassa);
      void kassa.exited.then((exit) => {
        if (kassa.killedOnPurpose || controller.signal.aborted) return;
        reason = `kassa ${kassa.role} ${kassa.pid} exited (${JSON.stringify(exit)}); its log:\n${tail(kassa.logFile)}`;
        controller.abort(new Error(reason));
      });
    }
  }, 100);
  return { signal: controller.signal, reason: () => reason, stop: () => clearInterval(timer) };
}

/** Runs `task` for each item, at most `concurrency` at a time, and settles them all. */
export async function inParallel<T, R>(
  items: T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await task(items[index]!, index) };
      } catch (error) {
        results[index] = { status: 'rejected', reason: error };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return results;
}

/** How many captures the sandbox reports per Kassa payment id, over the whole run. */
export async function sandboxCapturesByPayment(sandboxUrl: string): Promise<Map<string, string[]>> {
  const from = new Date(Date.now() - 24 * 3600_000).toISOString();
  const to = new Date(Date.now() + 3600_000).toISOString();
  const response = await fetch(
    `${sandboxUrl}/api/report?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    {
      headers: { authorization: `Bearer ${sandboxApiKey}` },
    },
  );
  if (response.status !== 200) throw new Error(`sandbox report: ${response.status} ${await response.text()}`);
  const report = (await response.json()) as { payments: { id: string; reference: string }[] };
  const captures = new Map<string, string[]>();
  for (const payment of report.payments)
    captures.set(payment.reference, [...(captures.get(payment.reference) ?? []), payment.id]);
  return captures;
}

/** The webhook ids a merchant received per payment and event type (retries of one id count once). */
export function webhookIdsByEvent(received: ReceivedRequest[]): Map<string, Set<string>> {
  const ids = new Map<string, Set<string>>();
  for (const request of received) {
    const body = JSON.parse(request.body) as { id: string; type: string; data: { id: string } };
    const id = String(request.headers['webhook-id']);
    if (id !== body.id) throw new Error(`webhook-id ${id} differs from the body's id ${body.id}`);
    const key = `${body.data.id} ${body.type}`;
    ids.set(key, (ids.get(key) ?? new Set()).add(id));
  }
  return ids;
}

/** Merchant events per payment as stored, by type. */
export async function storedEventsByPayment(db: Pool, paymentIds: string[]): Promise<Map<string, string[]>> {
  const { rows } = await db.query<{ payment_id: string; type: string }>(
    'select payment_id, type from payment_events where payment_id = any($1) order by created_at',
    [paymentIds],
  );
  const events = new Map<string, string[]>();
  for (const row of rows) events.set(row.payment_id, [...(events.get(row.payment_id) ?? []), row.type]);
  return events;
}

export interface ChaosCounts {
  tried: number;
  /** Reached `paid` with one capture, one `payment.paid` event and one webhook id for it. */
  held: number;
  /** Not paid in the end, or never captured, or no webhook. */
  lost: number;
  /** Captured more than once, or more than one event or webhook id for one event. */
  doubled: number;
}

/** Counts what happened to each payment from the outside: Kassa's API, the sandbox's report, the merchant's receiver, the stored events. */
export async function countOutcomes(options: {
  paymentIds: string[];
  tried: number;
  statusOf: (paymentId: string) => Promise<string | null>;
  captures: Map<string, string[]>;
  webhookIds: Map<string, Set<string>>;
  storedEvents: Map<string, string[]>;
}): Promise<ChaosCounts & { details: Record<string, unknown>[] }> {
  const details: Record<string, unknown>[] = [];
  let held = 0;
  let doubled = 0;
  for (const paymentId of options.paymentIds) {
    const status = await options.statusOf(paymentId);
    const captures = options.captures.get(paymentId)?.length ?? 0;
    const paidEvents = options.storedEvents.get(paymentId)?.filter((type) => type === 'payment.paid').length ?? 0;
    const webhookIds = options.webhookIds.get(`${paymentId} payment.paid`)?.size ?? 0;
    const isDoubled = captures > 1 || paidEvents > 1 || webhookIds > 1;
    const isHeld = !isDoubled && status === 'paid' && captures === 1 && paidEvents === 1 && webhookIds === 1;
    if (isDoubled) doubled += 1;
    if (isHeld) held += 1;
    if (!isHeld) details.push({ paymentId, status, captures, paidEvents, webhookIds });
  }
  const lost = options.tried - held - doubled;
  return { tried: options.tried, held, lost, doubled, details };
}

/**
 * What became of `paymentIds` (out of `tried`), read where it shows: the sandbox's captures, the
 * webhooks `received`, the stored events and the payments' statuses; counted by {@link countOutcomes}.
 */
export async function outcomesOf(options: {
  db: Pool;
  sandboxUrl: string;
  received: ReceivedRequest[];
  paymentIds: string[];
  tried: number;
}) {
  const { db, paymentIds } = options;
  const captures = await sandboxCapturesByPayment(options.sandboxUrl);
  const webhookIds = webhookIdsByEvent(options.received);
  const counts = await countOutcomes({
    paymentIds,
    tried: options.tried,
    statusOf: async (id) =>
      (await db.query<{ status: string }>('select status from payments where id = $1', [id])).rows[0]?.status ?? null,
    captures,
    webhookIds,
    storedEvents: await storedEventsByPayment(db, paymentIds),
  });
  return { captures, webhookIds, counts };
}

/** A pool for the test's own reads, which never throws on a connection the server drops. */
export function observerPool(databaseUrl: string): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * What Temporal knows of payments that did not end well: each workflow's status, its pending
 * activities and its last events, for a failure message.
 */
export async function describePayments(deployment: Deployment, paymentIds: string[]): Promise<Record<string, unknown>> {
  if (paymentIds.length === 0) return {};
  const connection = await Connection.connect({ address: deployment.temporalAddress });
  try {
    const client = new Client({ connection, namespace: deployment.namespace });
    const described: Record<string, unknown> = {};
    for (const paymentId of paymentIds) {
      try {
        const handle = client.workflow.getHandle(purchaseWorkflowId(paymentId));
        const description = await handle.describe();
        const history = await handle.fetchHistory();
        const events = history.events ?? [];
        described[paymentId] = {
          status: description.status.name,
          historyLength: events.length,
          pendingActivities: (description.raw.pendingActivities ?? []).map((activity) => ({
            type: activity.activityType?.name,
            state: activity.state,
            attempt: activity.attempt,
            lastFailure: activity.lastFailure?.message,
          })),
          lastEvents: events.slice(-12).map((event) => String(event.eventType).replace('EVENT_TYPE_', '')),
        };
      } catch (error) {
        described[paymentId] = `cannot describe: ${(error as Error).message}`;
      }
    }
    return described;
  } finally {
    await connection.close();
  }
}

/**
 * A merchant endpoint that takes `delayMs` to answer 200, so a worker killed at any moment is
 * likely to be in the middle of a delivery (which is then retried under the same webhook id).
 */
export async function startSlowReceiver(delayMs: number) {
  const received: ReceivedRequest[] = [];
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() });
      setTimeout(() => res.end('ok'), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/notify`,
    received,
    /** Requests received and not yet answered. */
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Waits until Kassa has recorded every event of these payments as delivered (a delivery cut off
 * mid-way is retried after its timeout), so that retries are part of what a test counts.
 */
export async function waitForDeliveries(db: Pool, paymentIds: string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db
      .query<{ undelivered: number }>(
        'select count(*)::int as undelivered from payment_events where payment_id = any($1) and delivered_at is null',
        [paymentIds],
      )
      .catch(() => ({ rows: [{ undelivered: -1 }] }));
    const undelivered = rows[0]!.undelivered;
    if (undelivered === 0 || Date.now() > deadline) return undelivered;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
