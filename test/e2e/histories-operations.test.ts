import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { recordHistory } from '../../scripts/record-histories';
import { heldForReview, paidPayment } from '../support/money';
import { startSmtpSink } from '../support/notification-peers';
import {
  api,
  eventually,
  captureAtSandbox,
  purchaseHandle,
  shopsFor,
  startTestStack,
  type TestStack,
} from '../support/stack';

// Representative runs of the operators' and merchants' workflows on the real stack: review
// decisions, re-sends of an event (operator) and of a notification (merchant), site verification.
// Each is checked for its outcome; with RECORD_HISTORIES=1 their histories are added to
// test/histories (scripts/record-histories.ts) for test/workflows/replay.test.ts.
jest.setTimeout(60_000);

const smtpUser = 'kassa-mailer';
const smtpPass = 'smtp-Pass-histories';

let stack: TestStack;
let db: Pool;
let dataDir: string;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let site: http.Server;
let siteHost: string;
const served = new Map<string, string>();
const shop = shopsFor(() => stack, 'all');

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-histories-'));
  smtp = await startSmtpSink({ user: smtpUser, pass: smtpPass, refuse: /@bounce\.example$/ });
  site = http.createServer((req, res) => {
    const body = served.get(`${req.headers.host}${req.url}`);
    res.statusCode = body === undefined ? 404 : 200;
    res.end(body ?? 'not here');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteHost = `localhost:${(site.address() as { port: number }).port}`;
  stack = await startTestStack({
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Kassa <kassa@pay.example>',
    NOTIFICATION_RETRY_SECONDS: '1,2',
    DATA_DIR: dataDir,
  });
  db = new Pool({ connectionString: stack.databaseUrl, max: 2 });
}, 90_000);
afterAll(async () => {
  await db?.end();
  await stack?.close();
  await smtp?.stop();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const admin = (method: string, pathname: string, body?: unknown) =>
  api(stack.url, method, pathname, { token: stack.adminToken, body });

const seen = new Set<string>();
/**
 * The one run of workflow type `type` started since the last call (the API starts these with ids
 * built from request ids), once it has finished: checked for its type and recorded as `name`.
 */
async function finishedRunOf<T>(type: string, name: string): Promise<T> {
  const ids = await eventually(
    async () => {
      const found: string[] = [];
      for await (const run of stack.kassa.temporal.workflow.list({ query: `WorkflowType = '${type}'` }))
        if (!seen.has(run.workflowId)) found.push(run.workflowId);
      return found;
    },
    (found) => found.length > 0,
  );
  expect(ids).toHaveLength(1);
  seen.add(ids[0]!);
  const handle = stack.kassa.temporal.workflow.getHandle(ids[0]!);
  const result = (await handle.result()) as T;
  expect((await handle.describe()).type).toBe(type);
  recordHistory(name, await handle.fetchHistory());
  return result;
}

const decide = (id: string, action: 'accept' | 'refund', operator: string) =>
  admin('POST', `/admin/exceptions/${encodeURIComponent(id)}/${action}`, { operator });
const paymentStatus = (testKey: string, id: string) =>
  api(stack.url, 'GET', `/v1/payments/${id}`, { token: testKey }).then((r) => r.body.status as string);

interface DecisionResult {
  status: string;
  failureReason: string | null;
  eventId: string | null;
}

describe('review decisions', () => {
  test('accepting a payment held for review posts the capture, makes it paid and raises payment.paid', async () => {
    const { testKey, checkout } = await shop();
    const held = (await heldForReview(stack, testKey, checkout.id)).id as string;
    expect((await decide(held, 'accept', 'alice')).status).toBe(202);
    const result = await finishedRunOf<DecisionResult>('reviewDecisionWorkflow', 'review-accepted');
    expect(result).toMatchObject({ status: 'applied', failureReason: null, eventId: expect.stringMatching(/^evt_/) });
    expect(await paymentStatus(testKey, held)).toBe('paid');
  });

  test('refunding a payment held for review gives the capture back at the provider and raises payment.refunded', async () => {
    const { testKey, checkout } = await shop();
    const held = (await heldForReview(stack, testKey, checkout.id)).id as string;
    expect((await decide(held, 'refund', 'bob')).status).toBe(202);
    const result = await finishedRunOf<DecisionResult>('reviewDecisionWorkflow', 'review-refunded');
    expect(result).toMatchObject({ status: 'applied', eventId: expect.stringMatching(/^evt_/) });
    expect(await paymentStatus(testKey, held)).toBe('refunded');
  });

  test('a refund decision the provider refuses fails with its reason and leaves the payment under review', async () => {
    const { testKey, checkout } = await shop();
    const held = (await heldForReview(stack, testKey, checkout.id, { refund_fails: true })).id as string;
    expect((await decide(held, 'refund', 'frank')).status).toBe(202);
    const result = await finishedRunOf<DecisionResult>('reviewDecisionWorkflow', 'review-refund-refused');
    expect(result).toMatchObject({ status: 'failed', failureReason: expect.stringContaining('refund_declined') });
    expect(result.eventId).toBeNull();
    expect(await paymentStatus(testKey, held)).toBe('under_review');
  });

  test('accepting a flagged second capture of a paid payment acknowledges it and moves nothing', async () => {
    const { testKey, checkout, merchantId } = await shop();
    const paid = await paidPayment(stack, testKey, checkout.id, '30.00');
    await captureAtSandbox(stack, paid.id, '3000', 'again');
    const listed = await eventually(
      () => admin('GET', `/admin/exceptions?merchant_id=${merchantId}&kind=flagged_callback`),
      (r) => r.body.data.length > 0,
    );
    const flagged = listed.body.data[0];
    expect((await decide(flagged.id, 'accept', 'dave')).status).toBe(202);
    const result = await finishedRunOf<DecisionResult>('reviewDecisionWorkflow', 'review-flagged-acknowledged');
    expect(result).toMatchObject({ status: 'applied', eventId: null });
    expect(await paymentStatus(testKey, paid.id)).toBe('paid');
  });
});

describe('re-sends', () => {
  test('an operator re-sends a payment.paid webhook: delivered to the merchant’s endpoint', async () => {
    const { testKey, checkout, receiver } = await shop();
    const paid = await paidPayment(stack, testKey, checkout.id);
    await receiver.waitFor(1);
    const events = await api(stack.url, 'GET', `/v1/payments/${paid.id}/events`, { token: testKey });
    const event = events.body.data[0];
    const resent = await admin('POST', `/admin/payments/${paid.id}/events/${event.id}/resend`);
    expect(resent.body).toMatchObject({ event_id: event.id, delivered: true, status_code: 200 });
    const result = await finishedRunOf<{ delivered: boolean }>('resendEventWorkflow', 'resend-event-delivered');
    expect(result).toMatchObject({ delivered: true, statusCode: 200 });
    expect((await receiver.waitFor(2))[1]!.headers['webhook-id']).toBe(event.id);
  });

  test('an operator re-sends a webhook the merchant’s endpoint keeps refusing: not delivered, with its answer', async () => {
    const { receiver, testKey, checkout } = await shop(Array<number>(100).fill(500));
    const paid = await paidPayment(stack, testKey, checkout.id);
    await receiver.waitFor(1);
    const [event] = (await api(stack.url, 'GET', `/v1/payments/${paid.id}/events`, { token: testKey })).body.data;
    const resent = await admin('POST', `/admin/payments/${paid.id}/events/${event.id}/resend`);
    expect(resent.body).toMatchObject({ event_id: event.id, delivered: false, status_code: 500 });
    const result = await finishedRunOf<{ delivered: boolean }>('resendEventWorkflow', 'resend-event-not-delivered');
    expect(result).toMatchObject({ delivered: false, statusCode: 500 });
    await purchaseHandle(stack, paid.id).terminate('test over');
  });

  test('a merchant re-sends an event by e-mail: delivered, then to an address the mail server refuses: not delivered', async () => {
    const { testKey, checkout } = await shop();
    const seller = `seller-${Date.now()}@shop.example`;
    const put = await api(stack.url, 'PUT', `/v1/checkouts/${checkout.id}/channels/email`, {
      token: testKey,
      body: { to: [seller] },
    });
    expect([200, 201]).toContain(put.status);
    const paid = await paidPayment(stack, testKey, checkout.id);
    await smtp.waitFor(seller);
    const [event] = (await api(stack.url, 'GET', `/v1/payments/${paid.id}/events`, { token: testKey })).body.data;
    const resend = () =>
      api(stack.url, 'POST', `/v1/payments/${paid.id}/events/${event.id}/resend`, {
        token: testKey,
        body: { channel: 'email' },
      });

    const delivered = await resend();
    expect(delivered.body).toMatchObject({ channel: 'email', delivered: true, attempt: 2, error: null });
    expect(
      await finishedRunOf<{ delivered: boolean }>('resendNotificationWorkflow', 'resend-notification-delivered'),
    ).toMatchObject({ delivered: true });
    expect(smtp.to(seller)).toHaveLength(2);

    const bounced = `seller-${Date.now()}@bounce.example`;
    await api(stack.url, 'PUT', `/v1/checkouts/${checkout.id}/channels/email`, {
      token: testKey,
      body: { to: [bounced] },
    });
    const refused = await resend();
    expect(refused.body).toMatchObject({ channel: 'email', delivered: false });
    expect(
      await finishedRunOf<{ delivered: boolean }>('resendNotificationWorkflow', 'resend-notification-refused'),
    ).toMatchObject({ delivered: false });
  });
});

describe('site verification', () => {
  test('a site that serves its token only after the first try is verified on a retry', async () => {
    const { liveKey } = await shop();
    const created = await api(stack.url, 'POST', '/v1/checkouts', {
      token: liveKey,
      body: {
        name: 'Live shop',
        site_url: `http://${siteHost}/shop`,
        currencies: ['RUB'],
        notify_url: 'https://shop.example/notify',
        success_url: 'https://shop.example/ok',
        fail_url: 'https://shop.example/fail',
        pending_url: 'https://shop.example/wait',
      },
    });
    expect([created.status, created.body.error]).toEqual([201, undefined]);
    const checkout = created.body;
    expect(
      (await api(stack.url, 'POST', `/v1/checkouts/${checkout.id}/verify`, { token: liveKey, body: {} })).status,
    ).toBe(202);
    await eventually(
      () => api(stack.url, 'GET', `/v1/checkouts/${checkout.id}`, { token: liveKey }).then((r) => r.body),
      (body) => body.verification.last_error !== null,
    );
    served.set(`${siteHost}/.well-known/kassa-verification.txt`, `${checkout.verification.token}\n`);
    const handle = stack.kassa.temporal.workflow.getHandle(`verify-${checkout.id}`);
    expect(await handle.result()).toEqual({ status: 'verified' });
    expect((await handle.describe()).type).toBe('siteVerificationWorkflow');
    const history = await handle.fetchHistory();
    recordHistory('site-verification-verified-after-retry', history);
    const attempts = (history.events ?? []).flatMap((event) => event.activityTaskStartedEventAttributes?.attempt ?? []);
    expect(Math.max(...attempts)).toBeGreaterThan(1);
    expect(
      (await api(stack.url, 'GET', `/v1/checkouts/${checkout.id}`, { token: liveKey })).body.verification.status,
    ).toBe('verified');
  }, 30_000);

  test('a site Kassa refuses to contact fails verification at once', async () => {
    const { testKey, checkout } = await shop();
    await db.query(`update checkouts set site_url = $2 where id = $1`, [
      checkout.id,
      `http://someone:secret@${siteHost}/`,
    ]);
    expect(
      (await api(stack.url, 'POST', `/v1/checkouts/${checkout.id}/verify`, { token: testKey, body: {} })).status,
    ).toBe(202);
    const handle = stack.kassa.temporal.workflow.getHandle(`verify-${checkout.id}`);
    expect(await handle.result()).toEqual({ status: 'failed' });
    recordHistory('site-verification-failed', await handle.fetchHistory());
    const after = await api(stack.url, 'GET', `/v1/checkouts/${checkout.id}`, { token: testKey });
    expect(after.body.verification).toMatchObject({
      status: 'failed',
      last_error: expect.stringContaining('credentials'),
    });
  });
});
