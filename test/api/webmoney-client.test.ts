import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError } from '../../src/providers/types';
import { webmoneyAdapter } from '../../src/providers/webmoney';
import { createWebMoneyClient } from '../../src/providers/webmoney/client';
import { createX14Client } from '../../src/providers/webmoney/x14-client';
import { request as httpsRequest } from 'node:https';
import { nextReqn, notificationHash } from '../../src/providers/webmoney/mapper';
import {
  startWebMoneySimulator,
  submitForm,
  type WebMoneySimulator,
  webmoneyBuyerActs,
  webmoneyLivePurse,
  webmoneySecretKey,
  webmoneyTestPurse,
} from '../support/webmoney-simulator';

let sim: WebMoneySimulator;
/** A shop's result URL: answers pre-requests with `preAnswer`, records every call. */
const received: Record<string, string>[] = [];
let preAnswer = 'YES';
let resultUrl: string;
let server: http.Server;

beforeAll(async () => {
  sim = await startWebMoneySimulator();
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const fields = Object.fromEntries(new URLSearchParams(body));
      received.push(fields);
      res.writeHead(200, { 'content-type': 'text/plain' }).end(fields.LMI_PREREQUEST === '1' ? preAnswer : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resultUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/result`;
}, 30_000);
afterAll(async () => {
  await sim?.stop();
  await new Promise((resolve) => server?.close(resolve));
});
beforeEach(() => {
  received.length = 0;
  preAnswer = 'YES';
});

let nextNo = 5000;
const form = (extra: Record<string, string> = {}) => ({
  LMI_PAYEE_PURSE: webmoneyTestPurse,
  LMI_PAYMENT_AMOUNT: '12.30',
  LMI_PAYMENT_NO: String(++nextNo),
  LMI_PAYMENT_DESC: 'Tea',
  LMI_RESULT_URL: resultUrl,
  LMI_SUCCESS_URL: 'http://shop.invalid/ok',
  LMI_SUCCESS_METHOD: '2',
  LMI_FAIL_URL: 'http://shop.invalid/fail',
  LMI_FAIL_METHOD: '0',
  ORDER: 'A-1',
  ...extra,
});

const connector = (credentials: Record<string, string> = {}) =>
  webmoneyAdapter.connect(webmoneyAdapter.credentials.parse({ ...sim.credentials(), ...credentials }), {
    connectorId: 'conn_wm',
    mode: 'test',
    publicUrl: 'http://kassa.invalid',
  });
const ref = (reference: string) => ({ idempotencyKey: 'pay_x-attempt-1', reference, providerPaymentId: reference });

const until = async (accept: () => boolean) => {
  for (let i = 0; i < 100 && !accept(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
};

test('a paid form: the pre-request, then a notification whose LMI_HASH holds, and X18 finds the payment', async () => {
  const fields = form();
  expect(await connector().getPaymentStatus(ref(fields.LMI_PAYMENT_NO))).toBeNull();
  const page = await submitForm(`${sim.url}/lmi/payment_utf.asp`, fields);
  expect(await webmoneyBuyerActs(page, 'approve')).toMatchObject({ status: 303, location: 'http://shop.invalid/ok' });
  await until(() => received.length >= 2);
  const [pre, note] = received;
  expect(pre).toMatchObject({
    LMI_PREREQUEST: '1',
    LMI_PAYMENT_NO: fields.LMI_PAYMENT_NO,
    LMI_MODE: '1',
    ORDER: 'A-1',
  });
  expect(note).toMatchObject({ LMI_PAYMENT_AMOUNT: '12.30', LMI_MODE: '1', ORDER: 'A-1' });
  expect(note!.LMI_HASH).toBe(notificationHash(note!, webmoneySecretKey, 'sha256'));
  expect(note!.LMI_SYS_TRANS_DATE).toMatch(/^\d{8} \d{2}:\d{2}:\d{2}$/);

  for (const hash_method of ['sha256', 'md5']) {
    expect(await connector({ hash_method }).getPaymentStatus(ref(fields.LMI_PAYMENT_NO))).toEqual({
      providerPaymentId: fields.LMI_PAYMENT_NO,
      state: 'succeeded',
      amountMinor: '1230',
      currency: 'RUB',
    });
  }
  await expect(
    connector({ secret_key: 'not_the_key' }).getPaymentStatus(ref(fields.LMI_PAYMENT_NO)),
  ).rejects.toMatchObject({
    kind: 'definite',
    code: 'x18_-4',
  });
  // The same number is never paid twice.
  const again = await webmoneyBuyerActs(await submitForm(`${sim.url}/lmi/payment_utf.asp`, fields), 'approve');
  expect(again.status).toBe(409);
});

test('no YES to the pre-request: WebMoney refuses the payment and shows the answer; nothing is paid', async () => {
  preAnswer = 'NO: wrong amount';
  const fields = form();
  const refused = await webmoneyBuyerActs(await submitForm(`${sim.url}/lmi/payment_utf.asp`, fields), 'approve');
  expect(refused.status).toBe(402);
  expect(refused.text).toContain('NO: wrong amount');
  expect(received.map((call) => call.LMI_PREREQUEST ?? 'notification')).toEqual(['1']);
  expect(await connector().getPaymentStatus(ref(fields.LMI_PAYMENT_NO))).toBeNull();
});

test('LMI_SIM_MODE=1 fails the payment in test mode; the buyer goes to the fail URL with the form’s fields', async () => {
  const fields = form({ LMI_SIM_MODE: '1' });
  const failed = await webmoneyBuyerActs(await submitForm(`${sim.url}/lmi/payment_utf.asp`, fields), 'approve');
  expect(failed.status).toBe(303);
  const back = new URL(failed.location!);
  expect(back.origin + back.pathname).toBe('http://shop.invalid/fail');
  expect(back.searchParams.get('LMI_PAYMENT_NO')).toBe(fields.LMI_PAYMENT_NO);
  expect(back.searchParams.get('ORDER')).toBe('A-1');
  expect(received).toEqual([]);
});

test('a purse in work mode notifies LMI_MODE=0 and ignores LMI_SIM_MODE', async () => {
  const fields = form({ LMI_PAYEE_PURSE: webmoneyLivePurse, LMI_SIM_MODE: '1' });
  await webmoneyBuyerActs(await submitForm(`${sim.url}/lmi/payment_utf.asp`, fields), 'approve');
  await until(() => received.length >= 2);
  expect(received.map((call) => call.LMI_MODE)).toEqual(['0', '0']);
});

test('faults: duplicates repeat the notification with the same transaction; reorder sends a stale pre-request after it', async () => {
  const fields = form();
  await sim.fault(fields.LMI_PAYMENT_NO, { duplicate: 1, reorder: true });
  await webmoneyBuyerActs(await submitForm(`${sim.url}/lmi/payment_utf.asp`, fields), 'approve');
  await until(() => received.length >= 4);
  expect(received.map((call) => (call.LMI_PREREQUEST ? 'pre' : call.LMI_SYS_TRANS_NO))).toEqual([
    'pre',
    received[1]!.LMI_SYS_TRANS_NO,
    received[1]!.LMI_SYS_TRANS_NO,
    'pre',
  ]);
});

test('a form the simulator cannot take is a page naming the field', async () => {
  const response = await fetch(`${sim.url}/lmi/payment_utf.asp`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form({ LMI_PAYMENT_NO: '2147483648' })).toString(),
  });
  expect(response.status).toBe(400);
  expect(await response.text()).toContain('LMI_PAYMENT_NO');
});

test('X18 failures: nothing listening is transient; a 503 with Retry-After is transient with its delay', async () => {
  const down = createWebMoneyClient({
    merchantUrl: 'http://127.0.0.1:9',
    wmid: '123456789012',
    purse: webmoneyTestPurse,
    secretKey: 'k',
    hashMethod: 'sha256',
  });
  await expect(down.findPayment('1')).rejects.toMatchObject({ kind: 'transient' });

  const busy = http.createServer((_req, res) => res.writeHead(503, { 'retry-after': '7' }).end('busy'));
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  try {
    const client = createWebMoneyClient({
      merchantUrl: `http://127.0.0.1:${(busy.address() as AddressInfo).port}`,
      wmid: '123456789012',
      purse: webmoneyTestPurse,
      secretKey: 'k',
      hashMethod: 'sha256',
    });
    const error = await client.findPayment('1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'transient', code: 'http_503', retryAfterMs: 7000 });
  } finally {
    await new Promise((resolve) => busy.close(resolve));
  }
});

describe('X14 over mutual TLS', () => {
  /** A paid form at the simulator: its payment number and amount. */
  const paid = async (amount = '12.30') => {
    const fields = form({ LMI_PAYMENT_AMOUNT: amount });
    await webmoneyBuyerActs(await submitForm(`${sim.url}/lmi/payment_utf.asp`, fields), 'approve');
    return fields.LMI_PAYMENT_NO;
  };
  const refund = (paymentNo: string, amountMinor: string, refundId = `re_${paymentNo}_${amountMinor}`) =>
    connector(sim.x14Credentials()).refundPayment!({
      idempotencyKey: refundId,
      refundId,
      providerPaymentId: paymentNo,
      amountMinor,
      currency: 'RUB',
    });
  const refundsOf = async (paymentNo: string) => (await sim.x14Refunds()).filter((r) => r.paymentNo === paymentNo);

  test('refunds in part up to what was paid; more than is left is refused; the operation id is the refund’s', async () => {
    const paymentNo = await paid();
    const first = await refund(paymentNo, '230');
    expect(first).toMatchObject({ state: 'succeeded', amountMinor: '230', currency: 'RUB' });
    expect(await refund(paymentNo, '1001')).toMatchObject({ state: 'failed', failureReason: 'x14_19' });
    expect(await refund(paymentNo, '1000')).toMatchObject({ state: 'succeeded', amountMinor: '1000' });
    const made = await refundsOf(paymentNo);
    expect(made.map((r) => [r.id, r.amount])).toEqual([
      [first.providerRefundId, '2.30'],
      [expect.any(String), '10.00'],
    ]);
  });

  test('a payment number X18 does not find is refused before X14 is asked', async () => {
    await expect(refund('2000000000', '100')).rejects.toMatchObject({ kind: 'definite', code: 'payment_not_found' });
  });

  test('the simulator takes only a reqn greater than the last, only from a certificate of the WMID it trusts', async () => {
    const { x14_client_cert: cert, x14_client_key: key, x14_ca: ca } = sim.x14Credentials();
    const ask = (body: string, credentials = { cert, key }) =>
      new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          `${sim.x14Url}/asp/XMLTransMoneybackCert.asp`,
          { method: 'POST', ...credentials, ca },
          (res) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () => resolve(text));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const paymentNo = await paid();
    const x18 = createWebMoneyClient({
      merchantUrl: sim.url,
      wmid: '123456789012',
      purse: webmoneyTestPurse,
      secretKey: webmoneySecretKey,
      hashMethod: 'sha256',
    });
    const wmtranid = (await x18.findPayment(paymentNo)).operation!.wmtransid;
    const request = (reqn: string) =>
      `<w3s.request><reqn>${reqn}</reqn><trans><inwmtranid>${wmtranid}</inwmtranid><amount>1.00</amount></trans></w3s.request>`;
    // Just ahead of the clock, so the refunds of later tests still go through.
    const big = (nextReqn(Date.now(), 0n) + 10n).toString();
    expect(await ask(request(big))).toContain('<retval>0</retval>');
    expect(await ask(request(big))).toContain('<retval>102</retval>');
    const stranger = sim.strangerCredentials();
    expect(
      await ask(request((BigInt(big) + 1n).toString()), {
        cert: stranger.x14_client_cert,
        key: stranger.x14_client_key,
      }),
    ).toContain('<retval>-4</retval>');
    expect((await refundsOf(paymentNo)).map((r) => r.reqn)).toEqual([big]);
  });

  test('two connectors of one process never send the same reqn, even in the same instant', async () => {
    const { x14_client_cert: cert, x14_client_key: key, x14_ca: ca } = sim.x14Credentials();
    const instant = Date.now() + 1_000;
    const [a, b] = [1, 2].map(() => createX14Client({ baseUrl: sim.x14Url, cert, key, ca, now: () => instant }));
    // No such transaction (17), but each reqn was taken: none is refused as not greater (102).
    for (const client of [a!, b!, a!]) {
      expect(await client.refund('1', '1.00')).toMatchObject({ kind: 'answer', answer: { retval: '17' } });
    }
  });

  test('failures: nothing listening is transient; a server certificate that does not verify is definite; a lost answer is lost', async () => {
    const { x14_client_cert: cert, x14_client_key: key, x14_ca: ca } = sim.x14Credentials();
    const down = createX14Client({ baseUrl: 'https://127.0.0.1:9', cert, key, ca });
    await expect(down.refund('1', '1.00')).rejects.toMatchObject({ kind: 'transient', code: 'unreachable' });
    const untrusted = createX14Client({ baseUrl: sim.x14Url, cert, key });
    await expect(untrusted.refund('1', '1.00')).rejects.toMatchObject({ kind: 'definite', code: 'x14_tls_refused' });

    const paymentNo = await paid();
    await sim.loseX14Answer(paymentNo);
    expect(await refund(paymentNo, '100')).toMatchObject({ state: 'pending', providerRefundId: '' });
    expect((await refundsOf(paymentNo)).map((r) => r.amount)).toEqual(['1.00']);
  });
});
