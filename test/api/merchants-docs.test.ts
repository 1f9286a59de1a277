import http from 'node:http';
import type { Express } from 'express';
import request from 'supertest';
import { type ApiHarness, startApiHarness } from '../support/merchant-api';
import { browserTestsRun, launchBrowser } from '../support/browser';
import { supportedCurrencies } from '../../src/domain/money';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness();
}, 60_000);
afterAll(async () => {
  await harness?.close();
});

interface StackLayer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: StackLayer[] };
}

/** `METHOD /path/{param}` of every route the app serves under `prefix`, read from Express's own routing table. */
function servedRoutes(app: Express, prefix: string): string[] {
  const routes: string[] = [];
  const walk = (layers: StackLayer[], base: string) => {
    for (const layer of layers) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods).filter((name) => name !== '_all')) {
          routes.push(`${method.toUpperCase()} ${(base + layer.route.path).replace(/:(\w+)/g, '{$1}')}`);
        }
      } else if (layer.handle.stack) {
        walk(
          layer.handle.stack,
          base + (typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''),
        );
      }
    }
  };
  walk((app as unknown as { router: { stack: StackLayer[] } }).router.stack, '');
  return routes.filter((route) => route.split(' ')[1]!.startsWith(prefix));
}

test('/openapi.json is OpenAPI 3.1 and documents every route served under /v1 and /admin, with its parameters and request body', async () => {
  const response = await request(harness.app).get('/openapi.json');
  expect(response.status).toBe(200);
  const document = response.body;
  expect(document.openapi).toBe('3.1.0');
  expect(document.servers).toEqual([{ url: harness.config.publicUrl }]);

  // the operator's console (`/admin/console`) is web pages for people, not the API
  const served = [
    ...servedRoutes(harness.app, '/v1/'),
    ...servedRoutes(harness.app, '/admin/').filter((route) => !route.split(' ')[1]!.startsWith('/admin/console')),
  ];
  expect(served.length).toBeGreaterThanOrEqual(20);
  // Setting a channel takes another body per channel, so the document lists PUT once per channel.
  const perChannel = (route: string) =>
    route === 'PUT /v1/checkouts/{id}/channels/{channel}'
      ? ['email', 'telegram', 'sms'].map((kind) => route.replace('{channel}', kind))
      : [route];
  for (const route of served.flatMap(perChannel)) {
    const [method, path] = route.split(' ') as [string, string];
    const operation = document.paths[path]?.[method.toLowerCase()];
    expect([route, operation ? 'documented' : 'missing']).toEqual([route, 'documented']);
    const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    const documentedParams = (operation.parameters ?? [])
      .filter((param: any) => param.in === 'path')
      .map((param: any) => param.name);
    expect([route, documentedParams.sort()]).toEqual([route, pathParams.sort()]);
    if (method === 'POST' || method === 'PATCH' || method === 'PUT')
      expect([route, operation.requestBody?.content['application/json'].schema]).toEqual([route, expect.any(Object)]);
    expect(operation.responses['400'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    if (path.startsWith('/v1/') && method === 'POST')
      expect(operation.parameters.map((param: any) => param.name)).toContain('Idempotency-Key');
  }
  const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations as object).map((method) => `${method.toUpperCase()} ${path}`),
  );
  expect(documented.sort()).toEqual(served.flatMap(perChannel).sort());
});

test('the documented request schemas are the ones the routes enforce', async () => {
  const { components } = (await request(harness.app).get('/openapi.json')).body;
  expect(components.schemas.CreateCheckout).toMatchObject({
    additionalProperties: false,
    required: ['name', 'site_url', 'currencies', 'notify_url', 'success_url', 'fail_url', 'pending_url'],
  });
  expect(Object.keys(components.schemas.CreateCheckout.properties)).toEqual([
    'name',
    'site_url',
    'currencies',
    'notify_url',
    'success_url',
    'fail_url',
    'pending_url',
    'fee_payer',
    'methods',
    'late_success',
    'sci',
    'branding',
    'locale',
    'type',
  ]);
  expect(JSON.stringify(components.schemas.FeePayer)).toContain('buyer_percent');
  expect(components.schemas.CreatePayment.additionalProperties).toBe(false);
  expect(components.securitySchemes).toMatchObject({
    apiKey: { type: 'http', scheme: 'bearer' },
    operatorToken: { type: 'http', scheme: 'bearer' },
  });
});

test('the document states the formats the server enforces: amounts, currencies, ids, blank text, limits, required bodies', async () => {
  const document = (await request(harness.app).get('/openapi.json')).body;
  const { CreatePayment, CreatePayout, CreateCheckout, Payment } = document.components.schemas;
  const matches = (schema: { pattern: string }, value: string) => new RegExp(schema.pattern, 'u').test(value);

  const amount = CreatePayment.properties.amount;
  for (const good of ['50.00', '500', '1.250', '0.01', '0.001'])
    expect([good, matches(amount, good)]).toEqual([good, true]);
  for (const bad of ['', '0', '0.00', '-1', '01', '1.', '.5', '1e3', '1,00', ' 1', '1.2345', '١٢'])
    expect([bad, matches(amount, bad)]).toEqual([bad, false]);
  expect(amount.description).toMatch(/decimals/);
  expect(CreatePayout.properties.amount.pattern).toBe(amount.pattern);

  for (const currency of [CreatePayment.properties.currency, CreateCheckout.properties.currencies.items]) {
    expect(currency.pattern).toBe('^[A-Z]{3}$');
    expect(currency.enum).toEqual(supportedCurrencies);
  }
  expect(CreatePayment.properties.checkout_id.pattern).toBe('^co_[0-9A-Za-z]{8,64}$');
  expect(CreatePayment.properties.order_id).toMatchObject({ minLength: 1, maxLength: 128, pattern: '\\S' });
  expect(CreatePayment.properties.metadata).toMatchObject({
    maxProperties: 50,
    propertyNames: { maxLength: 40 },
    additionalProperties: { maxLength: 500 },
  });
  expect(Payment.properties.id.pattern).toBe('^pay_[0-9A-Za-z]{8,64}$');

  const operation = (method: string, path: string) => document.paths[path][method];
  expect(operation('post', '/v1/payments').requestBody.required).toBe(true);
  expect(operation('patch', '/v1/checkouts/{id}').requestBody.required).toBe(true);
  expect(operation('post', '/v1/payments/{id}/refunds').requestBody.required).toBe(false);
  expect(operation('post', '/v1/payments/{id}/cancel').requestBody.required).toBe(false);
  expect(operation('post', '/admin/reconciliation/runs').requestBody.required).toBe(false);
  const paymentId = operation('get', '/v1/payments/{id}').parameters.find((param: any) => param.name === 'id');
  expect(paymentId).toMatchObject({ in: 'path', schema: { pattern: '^pay_[0-9A-Za-z]{8,64}$' } });
  expect(Object.keys(operation('post', '/v1/payments/{id}/cancel').responses)).toEqual(
    expect.arrayContaining(['200', '400', '401', '404', '409', '413', '422', '429']),
  );
  expect(Object.keys(operation('post', '/v1/checkouts/{id}/verify').responses)).toEqual(
    expect.arrayContaining(['200', '202']),
  );
});

test('/docs serves Swagger UI with its own assets, and it renders every operation in Chromium under the CSP', async () => {
  const page = await request(harness.app).get('/docs/');
  expect(page.status).toBe(200);
  expect(page.text).toContain('swagger-ui');
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  expect((await request(harness.app).get('/docs/swagger-ui-bundle.js')).status).toBe(200);

  if (!browserTestsRun(__filename)) return;
  const server = http.createServer(harness.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await launchBrowser();
  try {
    const tab = await browser.newPage();
    const problems: string[] = [];
    tab.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    tab.on('requestfailed', (failed) => problems.push(`${failed.url()} ${failed.failure()?.errorText}`));
    await tab.goto(`http://127.0.0.1:${(server.address() as { port: number }).port}/docs/`);
    await tab.waitForSelector('.opblock', { timeout: 20_000 });
    const operations = await tab.locator('.opblock').count();
    const { paths, webhooks } = (await request(harness.app).get('/openapi.json')).body;
    const count = (items: object) =>
      Object.values(items).flatMap((operations) => Object.keys(operations as object)).length;
    expect(operations).toBe(count(paths) + count(webhooks));
    expect(await tab.locator('.info').innerText()).toContain('Idempotency');
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}, 60_000);

test('every pattern in the document is a plain ECMA-262 regular expression that something can match (no regex flags leaking into it)', async () => {
  const document = (await request(harness.app).get('/openapi.json')).body;
  const patterns = new Set<string>();
  JSON.stringify(document, (key, value) => {
    if (key === 'pattern' && typeof value === 'string') patterns.add(value);
    return value;
  });
  expect(patterns.size).toBeGreaterThan(10);
  for (const pattern of patterns) {
    expect(() => new RegExp(pattern, 'u')).not.toThrow();
    expect([pattern, /\$\/[a-z]+$/.test(pattern)]).toEqual([pattern, false]);
  }
});
