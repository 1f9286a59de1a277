import net from 'node:net';
import type { Pool } from 'pg';
import { expectLedgerBalanced } from '../support/ledger';
import { paidPayment, sandboxCardToken } from '../support/money';
import { api, eventually, sandboxReport, shopsFor, stackForFile, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

let stack: TestStack;
let db: Pool;
const newShop = shopsFor(() => stack, 'all');
stackForFile((running) => ({ stack, db } = running));

const attempts = 10;
const delays = Array.from({ length: attempts }, (_, index) => Math.round((index * 20) / (attempts - 1)));

/**
 * Writes a whole `POST` as raw HTTP and resets the TCP connection `afterMs` later (an RST, not a
 * FIN), as a client that times out or loses its network does; the answer, if any, is never read.
 */
function postThenReset(pathname: string, token: string, key: string, body: unknown, afterMs: number): Promise<void> {
  const { port } = new URL(stack.url);
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `POST ${pathname} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nauthorization: Bearer ${token}\r\nidempotency-key: ${key}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
      );
      setTimeout(() => {
        socket.resetAndDestroy();
        resolve();
      }, afterMs);
    });
    socket.on('error', () => resolve());
  });
}

/** The client's retry with the same key and body, over a normal connection, until it is no longer told "still running". */
async function retry(pathname: string, token: string, key: string, body: unknown) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await api(stack.url, 'POST', pathname, { token, body, headers: { 'idempotency-key': key } });
    if (response.status !== 409 || response.body?.error?.code !== 'idempotency_key_in_use' || Date.now() > deadline)
      return response;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Tally {
  tried: number;
  held: number;
  lost: number;
  doubled: number;
}

/**
 * One key per delay, one after the other: the request is reset that long after it was sent, and the
 * client retries with the same key at once, while the first may still run. Answers the retries.
 */
async function resetThenRetry(what: string, pathname: string, token: string, bodyOf: (index: number) => unknown) {
  const run = `${what}-${Date.now()}`;
  const answers: { status: number; body: any; headers: Headers }[] = [];
  for (const [index, delay] of delays.entries()) {
    const key = `${run}-${index}`;
    await postThenReset(pathname, token, key, bodyOf(index), delay);
    answers.push(await retry(pathname, token, key, bodyOf(index)));
  }
  return answers;
}

/**
 * Lost: a key whose retry got no 201. Doubled: an object beyond one per key (`objects` counts every
 * object the keys could have made). Held: the rest, a 201 and exactly one object.
 */
function tally(what: string, retried: { status: number; body: any; headers: Headers }[], objects: number): Tally {
  const answered = retried.filter((response) => response.status === 201);
  const distinct = new Set(answered.map((response) => response.body.id)).size;
  if (answered.length < retried.length)
    console.log(`${what}: ${JSON.stringify(retried.find((response) => response.status !== 201))}`);
  const doubled = Math.max(0, objects - retried.length);
  const lost = retried.length - distinct;
  const result = { tried: retried.length, held: Math.max(0, retried.length - lost - doubled), lost, doubled };
  const replayed = retried.filter((response) => response.headers.get('idempotent-replayed') === 'true').length;
  console.log(
    `client reset mid-request on ${what}: ${JSON.stringify(result)}; ${replayed} retries replayed the reset request's answer`,
  );
  return result;
}

const count = async (sql: string, params: unknown[]) => Number((await db.query(sql, params)).rows[0].count);

test('a client that resets its connection mid-request, then retries with the same key, gets exactly one checkout, payment, refund and payout per key', async () => {
  const shop = await newShop();
  const paid = await paidPayment(stack, shop.testKey, shop.checkout.id, '100.00');
  const card = await sandboxCardToken(stack);
  const token = shop.testKey;

  const checkoutAnswers = await resetThenRetry('checkout', '/v1/checkouts', token, (index) => ({
    name: `Reset shop ${index}`,
    site_url: 'https://shop.example',
    currencies: ['RUB'],
    notify_url: shop.receiver.url,
    success_url: 'https://shop.example/ok',
    fail_url: 'https://shop.example/fail',
    pending_url: 'https://shop.example/wait',
  }));
  const paymentAnswers = await resetThenRetry('payment', '/v1/payments', token, (index) => ({
    checkout_id: shop.checkout.id,
    order_id: `RESET-${index}`,
    amount: '10.00',
    currency: 'RUB',
    description: 'Reset test',
  }));
  const refundAnswers = await resetThenRetry('refund', `/v1/payments/${paid.id}/refunds`, token, () => ({
    amount: '1.00',
  }));
  const payoutAnswers = await resetThenRetry('payout', '/v1/payouts', token, () => ({
    amount: '1.00',
    currency: 'RUB',
    destination: { type: 'card', token: card.token },
  }));

  const tallies = {
    checkouts: tally(
      'POST /v1/checkouts',
      checkoutAnswers,
      await count(`select count(*) from checkouts where merchant_id = $1 and name like 'Reset shop %'`, [
        shop.merchantId,
      ]),
    ),
    payments: tally(
      'POST /v1/payments',
      paymentAnswers,
      await count(`select count(*) from payments where checkout_id = $1 and order_id like 'RESET-%'`, [
        shop.checkout.id,
      ]),
    ),
    refunds: tally(
      'POST /v1/payments/:id/refunds',
      refundAnswers,
      await count(`select count(*) from refunds where payment_id = $1`, [paid.id]),
    ),
    payouts: tally(
      'POST /v1/payouts',
      payoutAnswers,
      await count(`select count(*) from payouts where merchant_id = $1`, [shop.merchantId]),
    ),
  };
  const exactlyOne: Tally = { tried: attempts, held: attempts, lost: 0, doubled: 0 };
  expect(tallies).toEqual({ checkouts: exactlyOne, payments: exactlyOne, refunds: exactlyOne, payouts: exactlyOne });
  const refundIds = refundAnswers.map((response) => response.body.id as string);
  const payoutIds = payoutAnswers.map((response) => response.body.id as string);

  // At the sandbox too: one refund and one payout per key, once their workflows have run.
  await eventually(
    () => count(`select count(*) from refunds where payment_id = $1 and status = 'pending'`, [paid.id]),
    (pending) => pending === 0,
  );
  await eventually(
    () => count(`select count(*) from payouts where merchant_id = $1 and status = 'pending'`, [shop.merchantId]),
    (pending) => pending === 0,
  );
  const report = (await sandboxReport(stack)) as {
    refunds: { reference: string }[];
    payouts: { reference: string }[];
  };
  const atSandbox = {
    refunds: report.refunds.filter((refund) => refundIds.includes(refund.reference)).length,
    otherRefunds:
      report.refunds.length - report.refunds.filter((refund) => refundIds.includes(refund.reference)).length,
    payouts: report.payouts.filter((payout) => payoutIds.includes(payout.reference)).length,
    otherPayouts:
      report.payouts.length - report.payouts.filter((payout) => payoutIds.includes(payout.reference)).length,
  };
  expect(atSandbox).toEqual({ refunds: attempts, otherRefunds: 0, payouts: attempts, otherPayouts: 0 });
  await expectLedgerBalanced(db);
});
