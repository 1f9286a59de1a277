import http from 'node:http';
import { sciSign, sciSignatureValid } from '../../src/domain/sci-signature';
import { createInterkassaApp } from '../../simulators/interkassa/app';
import { listen, type SimulatorServer } from '../../simulators/common/server';

const checkout = {
  id: 'abcdefabcdefabcdefabcdef',
  secretKey: 'sim-secret',
  testKey: 'sim-test',
  signAlgorithm: 'sha256' as const,
  interaction: null,
  purseId: '300000000001',
  apiUserId: 'user-1',
  apiKey: 'key-1',
  apiAccountId: 'acct-1',
};

interface Seen {
  method: string;
  url: string;
  body: string;
}

/** The shop's interaction handler: answers `statuses`, then 200, and keeps what arrived. */
async function shop(statuses: number[] = []) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end('OK');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const until = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (seen.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} interactions, got ${seen.length}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return seen;
  };
  return { url, seen, until, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let sim: SimulatorServer;
let handler: Awaited<ReturnType<typeof shop>>;
beforeAll(async () => {
  const app = createInterkassaApp({ checkout, retryDelaysMs: [20, 20], timeoutMs: 2_000 });
  sim = await listen(app, { port: 0, stop: () => app.stop() });
  handler = await shop();
});
afterAll(async () => {
  await sim?.close();
  await handler?.close();
});
beforeEach(async () => {
  handler.seen.length = 0;
  await fetch(`${sim.url}/_sim/faults`, { method: 'DELETE' });
});

let order = 0;
/** A form as a shop signs it (override or drop fields with `undefined`). */
function form(overrides: Record<string, string | undefined> = {}, key = checkout.secretKey): Record<string, string> {
  const fields: Record<string, string> = {};
  const all = {
    ik_co_id: checkout.id,
    ik_pm_no: `ORDER-${++order}`,
    ik_am: '12.50',
    ik_cur: 'UAH',
    ik_desc: 'Кава',
    ik_ia_u: `${handler.url}/interaction`,
    ik_ia_m: 'POST',
    ik_suc_u: 'https://shop.example/ok',
    ik_suc_m: 'GET',
    ik_fal_u: 'https://shop.example/fail',
    ik_x_basket: '42',
    ...overrides,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) fields[name] = value;
  return { ...fields, ik_sign: sciSign(fields, key, 'sha256') };
}

const post = (fields: Record<string, string>) =>
  fetch(`${sim.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });

async function pay(fields: Record<string, string>, action: 'approve' | 'decline' = 'approve') {
  const page = (await post(fields)).headers.get('location')!;
  const decided = await fetch(`${sim.url}${page}/${action}`, { method: 'POST', redirect: 'manual' });
  return { page, decided };
}

const api = async (path: string, init: RequestInit = {}, auth = `${checkout.apiUserId}:${checkout.apiKey}`) => {
  const response = await fetch(`${sim.url}/v1${path}`, {
    ...init,
    headers: { authorization: `Basic ${Buffer.from(auth).toString('base64')}`, ...init.headers },
  });
  return { status: response.status, body: (await response.json()) as any };
};

const fieldsOf = (text: string) => Object.fromEntries(new URLSearchParams(text));

test('the SCI refuses a form without its required fields, without ik_sign, with a wrong one, or for another checkout', async () => {
  const json = { ik_int: 'json' };
  const cases: [Record<string, string>, string][] = [
    [form({ ...json, ik_desc: undefined }), '1'],
    [{ ...form(json), ik_sign: '' }, '3'],
    [form(json, 'not-the-key'), '4'],
    [{ ...form(json), ik_am: '99.00' }, '4'],
    [form({ ...json, ik_co_id: 'b'.repeat(24) }), '5'],
    [form({ ...json, ik_am: '12.505' }), '8'],
  ];
  for (const [fields, resultCode] of cases) {
    const answer = await (await post(fields)).json();
    expect(answer).toMatchObject({ resultCode });
  }
  expect((await post(form({ ik_am: 'ten' }))).status).toBe(400);
  const accepted = await (await post(form(json))).json();
  expect(accepted).toMatchObject({
    resultCode: '0',
    resultMsg: 'Success',
    resultData: { paymentForm: { method: 'GET' } },
  });
});

test('a paid invoice’s interaction carries Interkassa’s fields, signed with the secret key, and the buyer goes back with ik_inv_st', async () => {
  const fields = form();
  const { decided } = await pay(fields);
  expect(decided.status).toBe(303);
  const back = new URL(decided.headers.get('location')!);
  expect(back.origin + back.pathname).toBe('https://shop.example/ok');
  expect(Object.fromEntries(back.searchParams)).toMatchObject({ ik_inv_st: 'success', ik_pm_no: fields.ik_pm_no });
  const [sent] = await handler.until(1);
  expect(sent).toMatchObject({ method: 'POST', url: '/interaction' });
  const interaction = fieldsOf(sent!.body);
  expect(interaction).toMatchObject({
    ik_co_id: checkout.id,
    ik_inv_st: 'success',
    ik_pm_no: fields.ik_pm_no,
    ik_am: '12.50',
    ik_ps_price: '12.50',
    ik_co_rfn: '12.1250',
    ik_cur: 'UAH',
    ik_desc: 'Кава',
    ik_x_basket: '42',
    ik_pw_via: 'visa_cpaytrz_merchant_uah',
  });
  expect(interaction.ik_inv_prc).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  // Checked with Kassa's own reading of ik_sign, written apart from the simulator's.
  expect(sciSignatureValid(interaction, checkout.secretKey, 'sha256')).toBe(true);
  expect(sciSignatureValid(interaction, checkout.testKey, 'sha256')).toBe(false);
});

test('the test payway’s interaction is signed with the test key; a GET interaction URL gets the fields in its query', async () => {
  const fields = form({ ik_pw_via: 'test_interkassa_test_xts', ik_ia_u: `${handler.url}/ia?shop=1`, ik_ia_m: 'GET' });
  await pay(fields, 'decline');
  const [sent] = await handler.until(1);
  expect(sent!.method).toBe('GET');
  const query = new URL(sent!.url, 'http://x').searchParams;
  expect(query.get('shop')).toBe('1');
  query.delete('shop');
  const interaction = Object.fromEntries(query);
  expect(interaction).toMatchObject({ ik_inv_st: 'canceled', ik_pw_via: 'test_interkassa_test_xts' });
  expect(sciSignatureValid(interaction, checkout.testKey, 'sha256')).toBe(true);
  expect(sciSignatureValid(interaction, checkout.secretKey, 'sha256')).toBe(false);
});

test('faults: a duplicate and a stale process after the final interaction; an answer other than 200 is sent again', async () => {
  const fields = form();
  await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reference: fields.ik_pm_no, duplicate: 1, reorder: true }),
  });
  await pay(fields);
  const seen = await handler.until(3);
  expect(seen.map((s) => fieldsOf(s.body).ik_inv_st)).toEqual(['success', 'success', 'process']);
  expect(seen[1]!.body).toBe(seen[0]!.body);

  const retried = await shop([500, 302]);
  try {
    await pay(form({ ik_ia_u: `${retried.url}/ia` }));
    const attempts = await retried.until(3);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
  } finally {
    await retried.close();
  }
});

test('the REST API: Basic auth and the business account, invoices by order number, one refund per merchantOrderId, refunds that fail', async () => {
  expect((await api('/co-invoice', {}, 'user-1:wrong')).status).toBe(401);
  expect((await api('/co-invoice', { headers: { 'ik-api-account-id': 'other' } })).status).toBe(403);
  const fields = form({ ik_am: '30.00' });
  await pay(fields);
  const listed = await api(`/co-invoice?paymentNo=${fields.ik_pm_no}`);
  expect(listed).toMatchObject({ status: 200, body: { status: 'ok', code: 0 } });
  const [invoice] = Object.values(listed.body.data) as any[];
  expect(invoice).toMatchObject({ coId: checkout.id, paymentNo: fields.ik_pm_no, state: '7', am: '30.00', cur: 'UAH' });
  expect((await api(`/co-invoice/${invoice.id}`)).body.data).toEqual(invoice);
  expect((await api('/co-invoice/1')).status).toBe(404);

  const refund = (amount: string, merchantOrderId: string) =>
    api('/refund', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ id: invoice.id, amount, merchantOrderId, description: 'back' }).toString(),
    });
  const first = await refund('10.00', 're_1');
  expect(first.body.data).toMatchObject({ state: 'success', amount: '10.00', merchantOrderId: 're_1' });
  expect((await refund('10.00', 're_1')).body.data).toEqual(first.body.data);
  expect((await refund('11.00', 're_1')).status).toBe(409);
  expect((await refund('25.00', 're_2')).status).toBe(409);
  expect((await refund('20.00', 're_3')).body.data.state).toBe('success');
  expect((await api(`/co-invoice/${invoice.id}`)).body.data).toMatchObject({ state: '9', refunded: '30.00' });

  const failing = form();
  await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reference: failing.ik_pm_no, refund_fails: true }),
  });
  await pay(failing);
  const [paid] = Object.values((await api(`/co-invoice?paymentNo=${failing.ik_pm_no}`)).body.data) as any[];
  const declined = await api('/refund', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ id: paid.id, amount: '1.00', merchantOrderId: 're_4' }).toString(),
  });
  expect(declined.body.data).toMatchObject({ state: 'fail', message: expect.any(String) });
  expect((await api(`/co-invoice/${paid.id}`)).body.data).toMatchObject({ state: '7', refunded: '0.00' });
});
