import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { createSandboxProvider } from '../../src/providers/sandbox';
import { startSandboxServer, type SandboxServer } from '../../simulators/sandbox/server';
import { signSandboxPayload } from '../../src/providers/sandbox/webhook';
import {
  CallbackVerificationError,
  ProviderError,
  type CreateProviderPaymentInput,
  type PaymentProvider,
} from '../../src/providers/types';

const API_KEY = 'test_sandbox_api_key';
const WEBHOOK_SECRET = 'test_sandbox_webhook_secret_0123456789';

interface ReceivedCallback {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: {
    id: string;
    type: string;
    created: number;
    data: { id: string; reference: string; status: string; amount_minor: string; currency: string };
  };
  receivedAt: number;
}

/** A merchant-side endpoint that records every callback and answers with queued statuses, then 200. */
class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  readonly answers: number[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        this.received.push({
          headers: req.headers,
          raw,
          body: JSON.parse(raw.toString('utf8')),
          receivedAt: Date.now(),
        });
        res.statusCode = this.answers.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callbacks/sandbox`;
  }

  async waitFor(count: number, timeoutMs = 5000): Promise<ReceivedCallback[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} callbacks, got ${this.received.length} within ${timeoutMs} ms`);
      }
      await sleep(10);
    }
    return this.received;
  }

  forPayment(providerPaymentId: string): ReceivedCallback[] {
    return this.received.filter((callback) => callback.body.data.id === providerPaymentId);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freeClosedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function expectProviderError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

let sandbox: SandboxServer;
let provider: PaymentProvider;
let receiver: CallbackReceiver;
let sequence = 0;

function paymentInput(overrides: Partial<CreateProviderPaymentInput> = {}): CreateProviderPaymentInput {
  sequence += 1;
  const paymentId = `pay_test${Date.now()}x${sequence}`;
  return {
    idempotencyKey: `create-${paymentId}`,
    reference: `create-${paymentId}`,
    paymentId,
    method: 'sandbox_card',
    amountMinor: '5000',
    currency: 'RUB',
    description: 'Test product',
    returnUrl: `http://shop.test/pay/${paymentId}/return`,
    callbackUrl: receiver.url,
    ...overrides,
  };
}

async function sandboxApi(
  method: string,
  route: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${sandbox.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function setFault(fault: Record<string, unknown>): Promise<void> {
  const res = await sandboxApi('POST', '/api/faults', fault);
  expect(res.status).toBe(204);
}

/** The buyer presses a button on the sandbox's page; redirects are not followed. */
async function buyerPresses(redirectUrl: string, button: 'approve' | 'decline'): Promise<Response> {
  return fetch(`${redirectUrl}/${button}`, { method: 'POST', redirect: 'manual' });
}

beforeAll(async () => {
  sandbox = await startSandboxServer({
    port: 0,
    apiKey: API_KEY,
    webhookSecret: WEBHOOK_SECRET,
    retryDelaysMs: [20, 40, 60, 80, 100],
  });
  provider = createSandboxProvider({ baseUrl: sandbox.url, apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET });
});

afterAll(async () => {
  await sandbox.close();
});

beforeEach(async () => {
  receiver = new CallbackReceiver();
  await receiver.start();
});

afterEach(async () => {
  await sandboxApi('DELETE', '/api/faults');
  await receiver.close();
});

describe('creating payments', () => {
  test('the adapter offers the two test-mode sandbox methods', () => {
    expect(provider.name).toBe('sandbox');
    expect(provider.methods).toEqual([
      { code: 'sandbox_card', title: 'Bank card (sandbox)', testMode: true },
      { code: 'sandbox_wallet', title: 'E-wallet (sandbox)', testMode: true },
    ]);
  });

  test('creating twice with one idempotency key makes one sandbox payment', async () => {
    const input = paymentInput();
    const first = await provider.createPayment(input);
    const second = await provider.createPayment(input);

    expect(first.providerPaymentId).toMatch(/^sp_/);
    expect(second).toEqual(first);
    expect(first.redirectUrl).toBe(`${sandbox.url}/checkout/${first.providerPaymentId}`);
    expect(await provider.getPaymentStatus(input.idempotencyKey)).toEqual({
      providerPaymentId: first.providerPaymentId,
      state: 'pending',
      amountMinor: '5000',
      currency: 'RUB',
    });
  });

  test('reusing an idempotency key with another amount is a definite failure and changes nothing', async () => {
    const input = paymentInput();
    const created = await provider.createPayment(input);

    const error = await expectProviderError(provider.createPayment({ ...input, amountMinor: '7000' }));
    expect(error.kind).toBe('definite');
    expect(error.code).toBe('idempotency_mismatch');
    expect(await provider.getPaymentStatus(input.idempotencyKey)).toMatchObject({
      providerPaymentId: created.providerPaymentId,
      amountMinor: '5000',
    });
  });

  test('an idempotency key the sandbox never saw has no status', async () => {
    expect(await provider.getPaymentStatus('never-used-key')).toBeNull();
  });

  test('a body the sandbox rejects is a definite failure naming the field', async () => {
    const error = await expectProviderError(provider.createPayment(paymentInput({ amountMinor: '50.00' })));
    expect(error.kind).toBe('definite');
    expect(error.code).toBe('invalid_field');
    expect(error.message).toContain('amount_minor');
  });

  test('bad input is a 400 that names the field, never a 5xx', async () => {
    const valid = {
      reference: 'pay_abc',
      method: 'sandbox_card',
      amount_minor: '5000',
      currency: 'RUB',
      description: 'x',
      return_url: 'http://shop.test/return',
      callback_url: 'http://shop.test/callback',
    };
    const cases: Array<[Record<string, unknown>, Record<string, string>, string]> = [
      [{ ...valid, amount_minor: 5000 }, { 'idempotency-key': 'k-bad-1' }, 'amount_minor'],
      [{ ...valid, amount_minor: '0' }, { 'idempotency-key': 'k-bad-2' }, 'amount_minor'],
      [{ ...valid, currency: 'rub' }, { 'idempotency-key': 'k-bad-3' }, 'currency'],
      [{ ...valid, method: 'cash' }, { 'idempotency-key': 'k-bad-4' }, 'method'],
      [{ ...valid, return_url: 'javascript:alert(1)' }, { 'idempotency-key': 'k-bad-5' }, 'return_url'],
      [{ ...valid, surprise: true }, { 'idempotency-key': 'k-bad-6' }, 'surprise'],
      [{ ...valid, callback_url: undefined }, { 'idempotency-key': 'k-bad-7' }, 'callback_url'],
      [valid, {}, 'Idempotency-Key'],
      [valid, { 'idempotency-key': 'k'.repeat(256) }, 'Idempotency-Key'],
    ];
    for (const [body, headers, param] of cases) {
      const res = await sandboxApi('POST', '/api/payments', body, headers);
      expect({ param, status: res.status }).toEqual({ param, status: 400 });
      const json = (await res.json()) as { error: { type: string; param: string } };
      expect(json.error).toMatchObject({ type: 'invalid_request_error', param });
    }

    const broken = await fetch(`${sandbox.url}/api/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'idempotency-key': 'k-bad-8' },
      body: '{"reference":',
    });
    expect(broken.status).toBe(400);

    const badFault = await sandboxApi('POST', '/api/faults', { delay_ms: 60_001 });
    expect(badFault.status).toBe(400);
    expect(((await badFault.json()) as { error: { param: string } }).error.param).toBe('delay_ms');
  });

  test('a wrong API key is a definite failure', async () => {
    const wrongKey = createSandboxProvider({
      baseUrl: sandbox.url,
      apiKey: 'not_the_key',
      webhookSecret: WEBHOOK_SECRET,
    });
    const error = await expectProviderError(wrongKey.createPayment(paymentInput()));
    expect(error.kind).toBe('definite');
    expect(error.code).toBe('unauthorized');

    const res = await fetch(`${sandbox.url}/api/payments/by-key/x`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'auth_error', code: 'unauthorized' } });
  });
});

describe('failures the adapter classifies', () => {
  test('a sandbox that is not running is a transient failure', async () => {
    const down = createSandboxProvider({
      baseUrl: `http://127.0.0.1:${await freeClosedPort()}`,
      apiKey: API_KEY,
      webhookSecret: WEBHOOK_SECRET,
    });
    const error = await expectProviderError(down.createPayment(paymentInput()));
    expect(error.kind).toBe('transient');
    expect(error.code).toBe('unreachable');
  });

  test('a create that gets no answer in time is indeterminate', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const slow = createSandboxProvider({
        baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        apiKey: API_KEY,
        webhookSecret: WEBHOOK_SECRET,
        timeoutMs: 100,
      });
      const error = await expectProviderError(slow.createPayment(paymentInput()));
      expect(error.kind).toBe('indeterminate');
      expect(error.code).toBe('timeout');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('a connection reset after the create was sent is indeterminate', async () => {
    const resetting = createNetServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    try {
      const flaky = createSandboxProvider({
        baseUrl: `http://127.0.0.1:${(resetting.address() as AddressInfo).port}`,
        apiKey: API_KEY,
        webhookSecret: WEBHOOK_SECRET,
      });
      const error = await expectProviderError(flaky.createPayment(paymentInput()));
      expect(error.kind).toBe('indeterminate');
    } finally {
      await new Promise<void>((resolve) => resetting.close(() => resolve()));
    }
  });

  test.each([503, 429])('an HTTP %i from the sandbox is transient', async (status) => {
    const busy = createSandboxProvider({
      baseUrl: 'http://sandbox.test',
      apiKey: API_KEY,
      webhookSecret: WEBHOOK_SECRET,
      fetchImpl: async () => new Response('{"error":{"code":"busy","message":"try later"}}', { status }),
    });
    const error = await expectProviderError(busy.createPayment(paymentInput()));
    expect(error.kind).toBe('transient');
    expect(error.code).toBe('busy');
  });
});

describe('the buyer on the sandbox page', () => {
  test('the hosted page shows the amount, the description and the two buttons', async () => {
    const { redirectUrl, providerPaymentId } = await provider.createPayment(
      paymentInput({ amountMinor: '12345', description: 'Ticket <VIP>' }),
    );
    const res = await fetch(redirectUrl);
    const html = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(html).toContain('123.45 RUB');
    expect(html).toContain('Ticket &#60;VIP&#62;');
    expect(html).toContain(
      `<form method="post" action="/checkout/${providerPaymentId}/approve"><button>Approve</button></form>`,
    );
    expect(html).toContain(
      `<form method="post" action="/checkout/${providerPaymentId}/decline"><button>Decline</button></form>`,
    );

    expect((await fetch(`${sandbox.url}/checkout/sp_unknown`)).status).toBe(404);
  });

  test('when the buyer approves, they go back to return_url and a signed succeeded callback arrives', async () => {
    const input = paymentInput();
    const { providerPaymentId, redirectUrl } = await provider.createPayment(input);

    const res = await buyerPresses(redirectUrl, 'approve');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(input.returnUrl);

    const [callback] = await receiver.waitFor(1);
    expect(callback!.headers['sandbox-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const verified = provider.verifyCallback(callback!.raw, callback!.headers, new Date());
    expect(verified).toEqual({
      eventId: expect.stringMatching(/^sevt_/),
      providerPaymentId,
      paymentId: input.paymentId,
      state: 'succeeded',
      amountMinor: '5000',
      currency: 'RUB',
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
    });
    expect(await provider.getPaymentStatus(input.idempotencyKey)).toMatchObject({ state: 'succeeded' });
  });

  test('when the buyer declines, the callback and the status say declined with a reason', async () => {
    const input = paymentInput({ method: 'sandbox_wallet' });
    const { redirectUrl } = await provider.createPayment(input);

    const res = await buyerPresses(redirectUrl, 'decline');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(input.returnUrl);

    const [callback] = await receiver.waitFor(1);
    expect(provider.verifyCallback(callback!.raw, callback!.headers, new Date())).toMatchObject({
      state: 'declined',
      declineReason: 'card_declined',
    });
    expect(await provider.getPaymentStatus(input.idempotencyKey)).toMatchObject({
      state: 'declined',
      declineReason: 'card_declined',
    });
  });

  test('pressing a button on a payment that is already final answers 409 and sends nothing more', async () => {
    const { redirectUrl } = await provider.createPayment(paymentInput());
    expect((await buyerPresses(redirectUrl, 'approve')).status).toBe(303);
    await receiver.waitFor(1);

    expect((await buyerPresses(redirectUrl, 'decline')).status).toBe(409);
    expect((await buyerPresses(redirectUrl, 'approve')).status).toBe(409);
    await sleep(150);
    expect(receiver.received).toHaveLength(1);
  });
});

describe('verifying callbacks', () => {
  async function approvedCallback(): Promise<ReceivedCallback> {
    const { redirectUrl } = await provider.createPayment(paymentInput());
    await buyerPresses(redirectUrl, 'approve');
    const [callback] = await receiver.waitFor(1);
    return callback!;
  }

  test('a callback whose body was tampered with is rejected', async () => {
    const callback = await approvedCallback();
    const tampered = Buffer.from(callback.raw.toString('utf8').replace('"5000"', '"1"'));
    expect(tampered.equals(callback.raw)).toBe(false);

    expect(() => provider.verifyCallback(tampered, callback.headers, new Date())).toThrow(CallbackVerificationError);
  });

  test('a callback without a signature, or with a malformed one, is rejected', async () => {
    const callback = await approvedCallback();
    const now = new Date();
    for (const signature of [undefined, '', 'v1=abc', 't=1,v1=zz', `t=${Math.floor(Date.now() / 1000)}`]) {
      expect(() => provider.verifyCallback(callback.raw, { 'sandbox-signature': signature }, now)).toThrow(
        CallbackVerificationError,
      );
    }
  });

  test('a callback signed with another secret is rejected', async () => {
    const callback = await approvedCallback();
    const t = Math.floor(Date.now() / 1000);
    const forged = signSandboxPayload('some_other_secret_value', callback.raw, t);
    expect(() => provider.verifyCallback(callback.raw, { 'sandbox-signature': forged }, new Date())).toThrow(
      CallbackVerificationError,
    );
  });

  test('a callback signed more than 300 s away from now is rejected, either direction', async () => {
    const callback = await approvedCallback();
    const t = Number(/t=(\d+)/.exec(String(callback.headers['sandbox-signature']))![1]);
    const at = (seconds: number): Date => new Date(seconds * 1000);

    expect(provider.verifyCallback(callback.raw, callback.headers, at(t + 300)).state).toBe('succeeded');
    expect(() => provider.verifyCallback(callback.raw, callback.headers, at(t + 301))).toThrow(
      CallbackVerificationError,
    );
    expect(() => provider.verifyCallback(callback.raw, callback.headers, at(t - 301))).toThrow(
      CallbackVerificationError,
    );
  });

  test('a correctly signed body that is not a sandbox event is rejected', () => {
    const t = Math.floor(Date.now() / 1000);
    for (const body of ['not json', '{"id":"sevt_1","type":"payment.succeeded"}']) {
      const raw = Buffer.from(body);
      const headers = { 'sandbox-signature': signSandboxPayload(WEBHOOK_SECRET, raw, t) };
      expect(() => provider.verifyCallback(raw, headers, new Date(t * 1000))).toThrow(CallbackVerificationError);
    }
  });
});

describe('callback faults and delivery', () => {
  test('with duplicate: 2, the same event arrives three times with the same id and body', async () => {
    const input = paymentInput();
    await setFault({ reference: input.paymentId, duplicate: 2 });
    const { redirectUrl } = await provider.createPayment(input);
    await buyerPresses(redirectUrl, 'approve');

    const callbacks = await receiver.waitFor(3);
    await sleep(100);
    expect(callbacks).toHaveLength(3);
    const verified = callbacks.map((callback) => provider.verifyCallback(callback.raw, callback.headers, new Date()));
    expect(new Set(verified.map((callback) => callback.eventId)).size).toBe(1);
    expect(callbacks[1]!.raw.equals(callbacks[0]!.raw)).toBe(true);
    expect(callbacks[2]!.raw.equals(callbacks[0]!.raw)).toBe(true);
  });

  test('with drop, no callback arrives but the status API tells the outcome', async () => {
    const dropped = paymentInput();
    const delivered = paymentInput();
    await setFault({ reference: dropped.paymentId, drop: true });
    const droppedPayment = await provider.createPayment(dropped);
    const deliveredPayment = await provider.createPayment(delivered);

    expect((await buyerPresses(droppedPayment.redirectUrl, 'approve')).status).toBe(303);
    await buyerPresses(deliveredPayment.redirectUrl, 'approve');
    await receiver.waitFor(1);
    await sleep(200);

    expect(receiver.forPayment(droppedPayment.providerPaymentId)).toHaveLength(0);
    expect(receiver.forPayment(deliveredPayment.providerPaymentId)).toHaveLength(1);
    expect(await provider.getPaymentStatus(dropped.idempotencyKey)).toMatchObject({ state: 'succeeded' });
  });

  test('with wrong_amount, both the callback and the status report 100 minor units more', async () => {
    const input = paymentInput();
    await setFault({ reference: input.paymentId, wrong_amount: true });
    const { redirectUrl } = await provider.createPayment(input);
    await buyerPresses(redirectUrl, 'approve');

    const [callback] = await receiver.waitFor(1);
    expect(provider.verifyCallback(callback!.raw, callback!.headers, new Date())).toMatchObject({
      state: 'succeeded',
      amountMinor: '5100',
    });
    expect(await provider.getPaymentStatus(input.idempotencyKey)).toMatchObject({ amountMinor: '5100' });
  });

  test('with reorder, an older pending event arrives after the final one', async () => {
    const input = paymentInput();
    await setFault({ reference: input.paymentId, reorder: true });
    const { redirectUrl } = await provider.createPayment(input);
    await buyerPresses(redirectUrl, 'approve');

    const callbacks = await receiver.waitFor(2);
    const [final, late] = callbacks.map((callback) =>
      provider.verifyCallback(callback.raw, callback.headers, new Date()),
    );
    expect(final!.state).toBe('succeeded');
    expect(late!.state).toBe('pending');
    expect(late!.eventId).not.toBe(final!.eventId);
    expect(late!.providerPaymentId).toBe(final!.providerPaymentId);
    expect(Date.parse(late!.occurredAt)).toBeLessThan(Date.parse(final!.occurredAt));
  });

  test('with delay_ms, the buyer is redirected at once and the callback comes later', async () => {
    const input = paymentInput();
    await setFault({ reference: input.paymentId, delay_ms: 300 });
    const { redirectUrl } = await provider.createPayment(input);

    const pressedAt = Date.now();
    expect((await buyerPresses(redirectUrl, 'approve')).status).toBe(303);
    expect(receiver.received).toHaveLength(0);

    const [callback] = await receiver.waitFor(1);
    expect(callback!.receivedAt - pressedAt).toBeGreaterThanOrEqual(290);
  });

  test('a fault set without a reference applies to every payment until faults are cleared', async () => {
    await setFault({ drop: true });
    const first = await provider.createPayment(paymentInput());
    await buyerPresses(first.redirectUrl, 'approve');

    expect((await sandboxApi('DELETE', '/api/faults')).status).toBe(204);
    const second = await provider.createPayment(paymentInput());
    await buyerPresses(second.redirectUrl, 'approve');

    await receiver.waitFor(1);
    await sleep(100);
    expect(receiver.forPayment(first.providerPaymentId)).toHaveLength(0);
    expect(receiver.forPayment(second.providerPaymentId)).toHaveLength(1);
  });

  test('when the receiver answers 500 first, the callback is retried and delivered', async () => {
    receiver.answers.push(500, 503);
    const { redirectUrl } = await provider.createPayment(paymentInput());
    await buyerPresses(redirectUrl, 'approve');

    const callbacks = await receiver.waitFor(3);
    await sleep(150);
    expect(callbacks).toHaveLength(3);
    const ids = callbacks.map((callback) => callback.body.id);
    expect(new Set(ids).size).toBe(1);
    expect(provider.verifyCallback(callbacks[2]!.raw, callbacks[2]!.headers, new Date()).state).toBe('succeeded');
  });

  test('a receiver that never accepts gets the first attempt and five retries, then no more', async () => {
    receiver.answers.push(500, 500, 500, 500, 500, 500, 500, 500);
    const { redirectUrl } = await provider.createPayment(paymentInput());
    await buyerPresses(redirectUrl, 'approve');

    await receiver.waitFor(6);
    await sleep(250);
    expect(receiver.received).toHaveLength(6);
  });

  test('closing the sandbox cancels callbacks still waiting to be sent', async () => {
    const own = await startSandboxServer({ port: 0, apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET });
    const ownProvider = createSandboxProvider({ baseUrl: own.url, apiKey: API_KEY, webhookSecret: WEBHOOK_SECRET });
    const input = paymentInput();
    const faults = await fetch(`${own.url}/api/faults`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ delay_ms: 60_000 }),
    });
    expect(faults.status).toBe(204);
    const { redirectUrl } = await ownProvider.createPayment(input);
    expect((await buyerPresses(redirectUrl, 'approve')).status).toBe(303);

    const closingAt = Date.now();
    await own.close();
    expect(Date.now() - closingAt).toBeLessThan(1000);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('the sandbox process', () => {
  const main = path.join(__dirname, '../../simulators/sandbox/main.ts');

  function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [require.resolve('tsx/cli'), main], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  }

  test('a port in use is one clear line and exit 1', async () => {
    const { code, stderr } = await runMain({ SANDBOX_PORT: String(sandbox.port) });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`port ${sandbox.port} is in use: set SANDBOX_PORT to a free port`);
  }, 15_000);

  test('a malformed variable is one line naming it and exit 1', async () => {
    const { code, stderr } = await runMain({ SANDBOX_PORT: 'eighty' });
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^invalid SANDBOX_PORT: expected an integer port/);
  }, 15_000);
});

describe('the sandbox program', () => {
  test('is a program of its own: nothing under simulators/ imports from src/', () => {
    const dir = path.join(__dirname, '../../simulators');
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    expect(files).toEqual(expect.arrayContaining([path.join('sandbox', 'main.ts'), path.join('sandbox', 'app.ts')]));
    const intoSrc = files.filter((file) =>
      /\bfrom\s+'[^']*\bsrc\/|import\s+'[^']*\bsrc\/|require\('[^']*\bsrc\//.test(
        fs.readFileSync(path.join(dir, file), 'utf8'),
      ),
    );
    expect(intoSrc).toEqual([]);
  });
});
