/**
 * The OpenAPI document against the running server: for every documented operation, requests made
 * from the document's own schemas with fast-check (valid ones, and ones broken in one place:
 * wrong types, missing or extra fields, strings out of pattern, huge, with NUL or any Unicode),
 * sent to a real Kassa (API, worker, Temporal, PostgreSQL, sandbox). Whether a request is valid
 * is decided by ajv against the served document. Every answer must be: no 5xx; a status the
 * operation documents, with a body its schema takes; a 4xx for an invalid request; and for a
 * valid one no refusal for the shape of the input (only the business refusals listed below).
 */
import fc from 'fast-check';
import { openApiDocument } from '../../src/api/openapi';
import { supportedCurrencies } from '../../src/domain/money';
import {
  mutated,
  mutatedQuery,
  type OpenApiDocument,
  schemaValidator,
  type Schema,
  validValue,
} from '../support/contract';
import { paidPayment, sandboxCardToken } from '../support/money';
import { api, onboardMerchant, startReceiver, startTestStack, type TestStack } from '../support/stack';

/** Runs per operation: about 45 operations, 200 each, in 1–2 minutes. */
const runs = Number(process.env.CONTRACT_FUZZ_RUNS ?? 200);

interface Operation {
  method: string;
  path: string;
}
const operations: Operation[] = Object.entries(openApiDocument('http://127.0.0.1').paths!).flatMap(([path, item]) =>
  Object.keys(item as object).map((method) => ({ method, path })),
);

let stack: TestStack;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let document: OpenApiDocument;
let validate: ReturnType<typeof schemaValidator>;
let validateQuery: ReturnType<typeof schemaValidator>;
let merchantKey: string;
/** Real ids to put into paths, by the id's prefix. */
const fixtures: Record<string, string[]> = {};
const tally: Record<string, { runs: number; valid: number; invalid: number; statuses: Record<number, number> }> = {};
/** How often a valid request met each listed refusal. */
const explained: Record<string, number> = {};

beforeAll(async () => {
  stack = await startTestStack({ RATE_LIMIT_PER_MINUTE: '1000000' });
  receiver = await startReceiver();
  const shop = await onboardMerchant(stack, receiver.url, { currencies: supportedCurrencies.slice(0, 20) });
  merchantKey = shop.testKey;
  const second = await api(stack.url, 'POST', '/v1/checkouts', {
    token: merchantKey,
    body: { ...checkoutBody(receiver.url), currencies: ['RUB', 'JPY'] },
  });
  // PATCH changes a checkout's currencies and methods at random: it gets a checkout of its own.
  const scratch = await api(stack.url, 'POST', '/v1/checkouts', {
    token: merchantKey,
    body: { ...checkoutBody(receiver.url), name: 'Scratch' },
  });
  const victim = await api(stack.url, 'POST', '/admin/merchants', {
    token: stack.adminToken,
    body: { name: 'Victim', email: 'victim@shop.example' },
  });
  const keys = await api(stack.url, 'GET', `/admin/merchants/${victim.body.id}/keys`, { token: stack.adminToken });
  const paid = await paidPayment(stack, merchantKey, shop.checkout.id, '100.00');
  const open = await api(stack.url, 'POST', '/v1/payments', {
    token: merchantKey,
    body: { checkout_id: shop.checkout.id, order_id: 'OPEN-1', amount: '10.00', currency: 'RUB', description: 'Open' },
  });
  const refund = await api(stack.url, 'POST', `/v1/payments/${paid.id}/refunds`, {
    token: merchantKey,
    body: { amount: '1.00' },
  });
  const card = await sandboxCardToken(stack);
  const payout = await api(stack.url, 'POST', '/v1/payouts', {
    token: merchantKey,
    body: { amount: '5.00', currency: 'RUB', destination: { type: 'card', token: card.token } },
  });
  const events = await api(stack.url, 'GET', `/v1/payments/${paid.id}/events`, { token: merchantKey });
  for (const [name, answer] of Object.entries({ second, scratch, victim, keys, open, refund, payout, events })) {
    if (answer.status >= 300) throw new Error(`fixture ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  Object.assign(fixtures, {
    mer: [shop.merchantId, victim.body.id],
    co: [shop.checkout.id, second.body.id],
    coScratch: [scratch.body.id],
    pay: [paid.id, open.body.id],
    re: [refund.body.id],
    po: [payout.body.id],
    key: keys.body.data.map((key: { id: string }) => key.id),
    evt: events.body.data.map((event: { id: string }) => event.id),
  });

  const served = await api(stack.url, 'GET', '/openapi.json');
  expect(served.status).toBe(200);
  document = served.body;
  validate = schemaValidator(document);
  validateQuery = schemaValidator(document, { coerceTypes: true });
}, 120_000);

afterAll(async () => {
  const lines = Object.entries(tally).map(
    ([name, count]) =>
      `${name.padEnd(60)} ${String(count.runs).padStart(4)} runs, ${String(count.valid).padStart(4)} valid, ${String(count.invalid).padStart(4)} invalid; ${JSON.stringify(count.statuses)}`,
  );
  if (lines.length > 0)
    console.log(
      `contract fuzz, per operation:\n${lines.join('\n')}\nvalid requests refused for a listed reason: ${JSON.stringify(explained, null, 1)}`,
    );
  await receiver?.close();
  await stack?.close();
}, 60_000);

const checkoutBody = (notifyUrl: string) => ({
  name: 'Second shop',
  site_url: 'https://shop.example',
  currencies: supportedCurrencies.slice(0, 20),
  notify_url: notifyUrl,
  success_url: 'https://shop.example/ok',
  fail_url: 'https://shop.example/fail',
  pending_url: 'https://shop.example/wait',
});

/** Refusals of a request the document takes, for reasons the document describes but a schema cannot state. */
const businessRefusals: { operation?: RegExp; param?: RegExp; code?: string; message?: RegExp; why: string }[] = [
  { message: /allows at most \d decimal places/, why: 'decimals depend on the currency (every amount says so)' },
  { param: /^amount$/, message: /must be at most/, why: 'a payment is at most 999 999 999 999 999 minor units' },
  { param: /^currency$/, message: /does not accept/, why: "a payment's currency is one of its checkout's" },
  { param: /^method$/, message: /is not offered/, why: 'a method is one GET /v1/checkouts/{id}/methods lists' },
  {
    param: /^methods\.\d+\.method$|^method_fees\./,
    message: /is not a (test|live)-mode method|is listed twice/,
    why: "methods of the key's mode, each once",
  },
  { param: /max_amount\.[A-Z]{3}$/, message: /is below min_amount/, why: 'max_amount is not below min_amount' },
  { code: 'checkout_not_verified', why: 'live payments need a verified site' },
  { code: 'amount_too_large', why: 'at most what is left to refund' },
  { code: 'payment_refunded', why: 'nothing left to refund' },
  { code: 'balance_insufficient', why: 'refunds and payouts need the balance' },
  { code: 'destination_invalid', why: 'the provider does not know the card token or wallet' },
  { param: /^to$/, message: /must be after from/, why: 'a reconciliation period ends after it starts' },
  {
    operation: /^\/admin\/connectors/,
    param: /^(provider|credentials(\..+)?|methods\.\d+)$/,
    why: 'a provider Kassa has an adapter for, with the credentials and methods its adapter takes',
  },
  {
    operation: /channels\/sms$/,
    param: /^(url|body)$/,
    why: 'an SMS gateway template: placeholders, http(s) URL (the url field says so)',
  },
  {
    operation: /channels\/email$|\/resend$/,
    param: /^channel$/,
    why: 'e-mail needs SMTP set up; a re-send needs the channel set up',
  },
  {
    operation: /channels\/telegram$/,
    param: /^bot_token$/,
    code: 'parameter_missing',
    why: 'a Telegram channel needs bot_token the first time',
  },
];

const hasUnstorable = (text: string) => /\\u0000|\u0000|\\ud[89ab]|\\ud[c-f]|%00/i.test(text);
const hasLongDigitRun = (text: string) => /\d(?:[ -]?\d){11,}/.test(text);

function refusalExplained(
  operation: string,
  error: { code?: string; param?: string; message?: string },
  sent: string,
): string | null {
  if (error.code === 'invalid_character' && hasUnstorable(sent)) return 'NUL or an unpaired surrogate';
  if (error.code === 'card_data_refused' && hasLongDigitRun(sent)) return 'a card-like number';
  const rule = businessRefusals.find(
    (candidate) =>
      (!candidate.operation || candidate.operation.test(operation)) &&
      (!candidate.param || candidate.param.test(error.param ?? '')) &&
      (!candidate.code || candidate.code === error.code) &&
      (!candidate.message || candidate.message.test(error.message ?? '')),
  );
  return rule ? rule.why : null;
}

let keyCounter = 0;

interface Attempt {
  [fc.toStringMethod]: () => string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  valid: boolean;
  why: string;
}

function operationArbitrary(operation: Operation): fc.Arbitrary<Attempt> {
  const spec = document.paths[operation.path]![operation.method]!;
  const parameters: Schema[] = spec.parameters ?? [];
  const pathParams = parameters.filter((param) => param.in === 'path');
  const queryParams = parameters.filter((param) => param.in === 'query');
  const idempotency = parameters.find((param) => param.in === 'header' && param.name === 'Idempotency-Key');
  const body = spec.requestBody;
  const bodySchema: Schema | undefined = body?.content?.['application/json']?.schema;
  const merchant = operation.path.startsWith('/v1/');

  const pathValue = (param: Schema) => {
    const pattern = /\^(\w+)_/.exec(param.schema.pattern ?? '')?.[1];
    const prefix = pattern === 'co' && operation.method === 'patch' ? 'coScratch' : pattern;
    const real = prefix && fixtures[prefix]?.length ? [fc.constantFrom(...fixtures[prefix]!)] : [];
    return fc
      .oneof(
        ...real.map((arbitrary) => ({ weight: 6, arbitrary })),
        { weight: 2, arbitrary: validValue(param.schema, document, {}) as fc.Arbitrary<string> },
        {
          weight: 1,
          arbitrary: fc.oneof(
            fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
            fc.constantFrom('x', '%', '\u0000', 'pay_\u0000', 'a'.repeat(1500)),
          ),
        },
      )
      .filter((value) => value !== '' && value !== '.' && value !== '..'); // these would name another path
  };
  const paths = fc.tuple(...pathParams.map(pathValue));

  const querySchema: Schema = {
    type: 'object',
    properties: Object.fromEntries(queryParams.map((param) => [param.name, param.schema])),
    required: queryParams.filter((param) => param.required).map((param) => param.name),
    additionalProperties: false,
  };
  const queries = queryParams.length
    ? mutatedQuery(
        validValue(querySchema, document, fixtures).map((query) =>
          Object.fromEntries(Object.entries(query as object).map(([name, value]) => [name, String(value)])),
        ),
      )
    : fc.constant({});

  const bodies: fc.Arbitrary<{ text?: string; value?: unknown }> = !bodySchema
    ? fc.constant({})
    : fc.oneof(
        {
          weight: 10,
          arbitrary: mutated(validValue(bodySchema, document, fixtures)).map(({ value }) => ({
            text: JSON.stringify(value),
            value,
          })),
        },
        { weight: 1, arbitrary: fc.constant({}) },
        {
          weight: 1,
          arbitrary: fc
            .string({ minLength: 1, maxLength: 20 })
            .filter((text) => {
              try {
                JSON.parse(text);
                return false;
              } catch {
                return true;
              }
            })
            .map((text) => ({ text })),
        },
      );

  const keys = fc.oneof(
    { weight: 8, arbitrary: fc.constant('unique') },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('', 'k'.repeat(256)) },
  );

  return fc.tuple(paths, queries, bodies, keys).map(([pathValues, query, sent, key]): Attempt => {
    const problems: string[] = [];
    let path = operation.path;
    pathParams.forEach((param, index) => {
      const value = pathValues[index]!;
      const problem = validate(param.schema, value);
      if (problem) problems.push(`path ${param.name}: ${problem}`);
      path = path.replace(`{${param.name}}`, encodeURIComponent(value));
    });
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query as Record<string, string | string[]>))
      for (const one of [value].flat()) search.append(name, one);
    if (queryParams.length) {
      const parsed: Record<string, unknown> = {};
      for (const name of new Set(search.keys())) {
        const all = search.getAll(name);
        parsed[name] = all.length === 1 ? all[0] : all;
      }
      const problem = validateQuery(querySchema, parsed);
      if (problem) problems.push(`query: ${problem}`);
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${merchant ? merchantKey : stack.adminToken}`,
    };
    if (idempotency && key !== undefined) {
      const value = key === 'unique' ? `contract-${Date.now()}-${++keyCounter}` : key;
      headers['idempotency-key'] = value;
      const problem = validate(idempotency.schema, value);
      if (problem) problems.push(`Idempotency-Key: ${problem}`);
    }
    if (bodySchema) {
      if (sent.text === undefined) {
        if (body.required) problems.push('body: required');
      } else {
        headers['content-type'] = 'application/json';
        if (!('value' in sent)) problems.push('body: not JSON');
        else {
          const problem = validate(bodySchema, sent.value);
          if (problem) problems.push(`body: ${problem}`);
        }
      }
    }
    const url = `${stack.url}${path}${search.size ? `?${search}` : ''}`;
    return {
      [fc.toStringMethod]: () =>
        `${operation.method.toUpperCase()} ${url.slice(0, 500)} ${sent.text?.slice(0, 500) ?? '(no body)'} valid: ${problems.length === 0} ${problems.join('; ')}`,
      url,
      method: operation.method.toUpperCase(),
      headers,
      body: sent.text,
      valid: problems.length === 0,
      why: problems.join('; '),
    };
  });
}

async function check(operation: Operation, attempt: Attempt) {
  if (process.env.CONTRACT_FUZZ_TRACE) process.stderr.write(`${attempt[fc.toStringMethod]().slice(0, 300)}\n`);
  const spec = document.paths[operation.path]![operation.method]!;
  const response = await fetch(attempt.url, {
    method: attempt.method,
    headers: attempt.headers,
    body: attempt.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  const name = `${attempt.method} ${operation.path}`;
  const count = (tally[name] ??= { runs: 0, valid: 0, invalid: 0, statuses: {} });
  count.runs++;
  count[attempt.valid ? 'valid' : 'invalid']++;
  count.statuses[response.status] = (count.statuses[response.status] ?? 0) + 1;

  const sent = `${attempt.url.slice(0, 300)} ${attempt.body?.slice(0, 600) ?? '(no body)'}`;
  const context = () =>
    `${response.status} ${text.slice(0, 400)}\n  for ${attempt.method} ${sent}\n  valid per document: ${attempt.valid}${attempt.why ? ` (${attempt.why})` : ''}`;
  if (response.status >= 500) throw new Error(`5xx: ${context()}`);
  const documented = spec.responses[String(response.status)] ?? spec.responses.default;
  if (!documented) throw new Error(`status not in the document: ${context()}`);
  const schema = documented.content?.['application/json']?.schema;
  if (schema) {
    if (!response.headers.get('content-type')?.includes('application/json')) throw new Error(`not JSON: ${context()}`);
    const problem = validate(schema, JSON.parse(text));
    if (problem) throw new Error(`answer does not match the document (${problem}): ${context()}`);
  }
  if (!attempt.valid && response.status < 400) throw new Error(`accepted a request the document refuses: ${context()}`);
  if (attempt.valid && (response.status === 400 || response.status === 422)) {
    const error = JSON.parse(text).error;
    const why = refusalExplained(operation.path, error, `${attempt.url} ${attempt.body ?? ''}`);
    if (!why) throw new Error(`refused a request the document takes: ${context()}`);
    explained[why] = (explained[why] ?? 0) + 1;
  }
}

test('the served document is the one the server builds, and lists the operations fuzzed here', () => {
  const served = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method} ${path}`),
  );
  expect(served.sort()).toEqual(operations.map((operation) => `${operation.method} ${operation.path}`).sort());
  expect(operations.length).toBeGreaterThanOrEqual(40);
});

test.each(operations)(
  '$method $path: generated requests get documented answers',
  async (operation) => {
    await fc.assert(
      fc.asyncProperty(operationArbitrary(operation), (attempt) => check(operation, attempt)),
      { numRuns: runs },
    );
  },
  120_000,
);
