import http from 'node:http';
import type { Express } from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { supportedCurrencies } from '../../src/domain/money';

/** Runs per endpoint: the issue asks for at least 1,000. */
export const fuzzRuns = Number(process.env.FUZZ_RUNS ?? 1000);

export interface Sample {
  /** The raw request body. */
  text: string;
  /** Top-level names a `param` may start with for this body (beyond the endpoint's fields). */
  names: string[];
  /** An unknown field put into an otherwise valid body: the answer must be a 400 naming it. */
  unknownField?: string;
  idempotencyKey?: string;
}

const errorTypes = [
  'invalid_request_error',
  'authentication_error',
  'not_found_error',
  'conflict_error',
  'rate_limit_error',
];
const forbiddenFields = [
  'status',
  'merchant_id',
  'id',
  'test_mode',
  'webhook_secret',
  'object',
  'created_at',
  'fee',
  'verified_at',
];

const json = (value: unknown) => JSON.stringify(value) ?? 'null';
const omit = (body: Record<string, unknown>, key: string) =>
  Object.fromEntries(Object.entries(body).filter(([name]) => name !== key));

/**
 * Request bodies for one endpoint: valid ones (`valid` must satisfy the endpoint's schema), valid
 * ones with one field replaced by any JSON or dropped, valid ones with a field the API does not
 * accept, any JSON at all, and text that is not JSON.
 */
export function bodies(valid: fc.Arbitrary<Record<string, unknown>>, fields: string[]): fc.Arbitrary<Sample> {
  const anyJson = fc.jsonValue({ maxDepth: 3 });
  const key = fc.option(fc.stringMatching(/^[!-~]{1,40}$/), { nil: undefined, freq: 3 });
  const mutated = fields.length
    ? fc
        .tuple(valid, fc.constantFrom(...fields), anyJson, fc.boolean())
        .map(([body, field, value, drop]) => (drop ? omit(body, field) : { ...body, [field]: value }))
    : valid;
  const withUnknown = fc
    .tuple(valid, fc.oneof(fc.constantFrom(...forbiddenFields), fc.stringMatching(/^[a-z_]{1,12}$/)), anyJson)
    .filter(([, field]) => !fields.includes(field))
    .map(([body, field, value]): Sample => ({
      text: json({ ...body, [field]: value }),
      names: [field],
      unknownField: field,
    }));
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(valid, key)
        .map(([body, idempotencyKey]): Sample => ({ text: json(body), names: [], idempotencyKey })),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(mutated, key)
        .map(([body, idempotencyKey]): Sample => ({ text: json(body), names: Object.keys(body), idempotencyKey })),
    },
    { weight: 2, arbitrary: withUnknown },
    {
      weight: 1,
      arbitrary: anyJson.map((value): Sample => ({
        text: json(value),
        names: value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [],
      })),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text): Sample => ({ text, names: [] })) },
  );
}

/** What every answer must be: never a 5xx; an error in the contract's shape, bad input naming its field. */
export function expectContractAnswer(response: request.Response, sample: Sample, fields: string[]) {
  const context = `${response.status} ${JSON.stringify(response.body)} for ${sample.text.slice(0, 300)}`;
  if (response.status >= 500) throw new Error(`5xx: ${context}`);
  if (sample.unknownField !== undefined) {
    // Unstorable characters and card-like numbers are refused before the body's fields are read.
    const codes = ['parameter_unknown', 'invalid_character', 'card_data_refused'];
    const param: unknown = response.body.error?.param;
    const named =
      param === sample.unknownField || (typeof param === 'string' && param.startsWith(`${sample.unknownField}.`));
    if (response.status !== 400 || !codes.includes(response.body.error?.code) || !named) {
      throw new Error(`unknown field ${sample.unknownField} not refused by name: ${context}`);
    }
  }
  if (response.status < 400) return;
  const error = response.body?.error;
  if (
    !error ||
    !errorTypes.includes(error.type) ||
    typeof error.code !== 'string' ||
    typeof error.message !== 'string' ||
    !error.message
  ) {
    throw new Error(`not the contract's error shape: ${context}`);
  }
  if ([400, 413, 422].includes(response.status)) {
    const names = [...fields, ...sample.names, 'body', 'Idempotency-Key'];
    const param = error.param;
    const named =
      typeof param === 'string' &&
      names.some((name) => param === name || param.startsWith(`${name}.`) || param.startsWith(`${name}, `));
    if (!named) throw new Error(`bad input without the field named: ${context}`);
  }
}

const servers = new WeakMap<Express, http.Server>();

/** One loopback server per app for all of a file's requests (supertest would start one per request). */
function served(app: Express): http.Server {
  let server = servers.get(app);
  if (!server) {
    server = http.createServer(app).listen(0, '127.0.0.1');
    server.unref();
    servers.set(app, server);
  }
  return server;
}

/** Closes the server {@link fuzzBodies} and {@link fuzzQuery} started for `app`. */
export async function stopServing(app: Express) {
  const server = servers.get(app);
  servers.delete(app);
  if (server)
    await new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    });
}

export interface FuzzTarget {
  method: 'post' | 'patch';
  path: string;
  token: string;
  valid: fc.Arbitrary<Record<string, unknown>>;
  fields: string[];
  /** Send `Idempotency-Key` sometimes (merchant API POSTs). */
  idempotent?: boolean;
}

/** Sends {@link fuzzRuns} bodies to one endpoint of the in-process app and checks every answer. */
export async function fuzzBodies(app: Express, target: FuzzTarget) {
  await fc.assert(
    fc.asyncProperty(bodies(target.valid, target.fields), async (sample) => {
      let call = request(served(app))
        [target.method](target.path)
        .set('authorization', `Bearer ${target.token}`)
        .type('json');
      if (target.idempotent && sample.idempotencyKey !== undefined)
        call = call.set('idempotency-key', sample.idempotencyKey);
      expectContractAnswer(await call.send(sample.text), sample, target.fields);
    }),
    { numRuns: fuzzRuns },
  );
}

/** Sends {@link fuzzRuns} query strings to a `GET` and checks every answer. */
export async function fuzzQuery(
  app: Express,
  path: string,
  token: string,
  valid: fc.Arbitrary<Record<string, string>>,
  fields: string[],
) {
  const anyQuery = fc.dictionary(
    fc.string({ maxLength: 12 }),
    fc.oneof(fc.string({ maxLength: 30 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 })),
    { maxKeys: 5 },
  );
  const mutated = fc
    .tuple(valid, fc.constantFrom(...fields), fc.string({ maxLength: 40 }))
    .map(([query, field, value]) => ({ ...query, [field]: value }));
  await fc.assert(
    fc.asyncProperty(fc.oneof(valid, mutated, anyQuery), async (query) => {
      const search = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) for (const one of [value].flat()) search.append(name, one);
      const response = await request(served(app)).get(`${path}?${search}`).set('authorization', `Bearer ${token}`);
      expectContractAnswer(response, { text: search.toString(), names: Object.keys(query) }, fields);
    }),
    { numRuns: fuzzRuns },
  );
}

export const currency = fc.constantFrom(...supportedCurrencies);
/** A well-formed amount above zero: sometimes with more decimals than its currency allows, which the service refuses. */
export const amount = fc.oneof(
  fc.stringMatching(/^[1-9]\d{0,17}(\.\d{1,3})?$/),
  fc.constantFrom('50.00', '1', '0.01', '1000.000'),
);
export const httpUrl = fc.constantFrom(
  'https://shop.example',
  'https://shop.example/kassa/notify',
  'http://shop.example:8080/ok?x=1',
  'https://xn--80akhbyknj4f.example/',
);
export const nonBlank = (maxLength: number) =>
  fc.string({ minLength: 1, maxLength }).filter((value) => value.trim().length > 0);
