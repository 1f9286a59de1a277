import request from 'supertest';
import { servedRoutes } from '../../src/api/method-not-allowed';
import { type ApiHarness, type Merchant, startApiHarness } from '../support/merchant-api';

let harness: ApiHarness;
let merchant: Merchant;
beforeAll(async () => {
  harness = await startApiHarness();
  merchant = await harness.merchant();
}, 60_000);
afterAll(async () => {
  await harness?.close();
});

const allowed = (header: string | undefined) =>
  (header ?? '')
    .split(',')
    .map((method) => method.trim())
    .filter(Boolean)
    .sort();

function expect405(response: request.Response, allow: string[]) {
  expect([response.status, response.headers['content-type']]).toEqual([
    405,
    expect.stringContaining('application/json'),
  ]);
  expect(allowed(response.headers.allow)).toEqual([...allow].sort());
  expect(response.body).toEqual({
    error: {
      type: 'invalid_request_error',
      code: 'method_not_allowed',
      message: expect.stringContaining(response.request.method),
    },
  });
}

test('an undeclared method on a known path is 405 with Allow, in the contract error shape (merchant API, with or without a key)', async () => {
  const payment = '/v1/payments/pay_00000000000000';
  expect405(await request(harness.app).delete(payment).set('authorization', `Bearer ${merchant.testKey}`), [
    'GET',
    'HEAD',
    'OPTIONS',
  ]);
  expect405(await request(harness.app).delete(payment), ['GET', 'HEAD', 'OPTIONS']);
  expect405(
    await request(harness.app).put('/v1/checkouts').set('authorization', `Bearer ${merchant.testKey}`).send({}),
    ['POST', 'OPTIONS'],
  );
  expect405(
    await request(harness.app)
      .delete(`/v1/checkouts/${merchant.testCheckout.id}`)
      .set('authorization', `Bearer ${merchant.testKey}`),
    ['GET', 'HEAD', 'PATCH', 'OPTIONS'],
  );
  expect405(await request(harness.app).patch('/v1/payments/').set('authorization', `Bearer ${merchant.testKey}`), [
    'GET',
    'HEAD',
    'POST',
    'OPTIONS',
  ]);
  expect405(await request(harness.app).post('/V1/Balance').set('authorization', `Bearer ${merchant.testKey}`), [
    'GET',
    'HEAD',
    'OPTIONS',
  ]);
});

test('hosted pages, the operator API, callbacks and health answer 405 with Allow too', async () => {
  expect405(await request(harness.app).post('/pay/pay_00000000000000'), ['GET', 'HEAD', 'OPTIONS']);
  expect405(await request(harness.app).delete('/pay/pay_00000000000000/status'), ['GET', 'HEAD', 'OPTIONS']);
  expect405(await request(harness.app).get('/pay/pay_00000000000000/method'), ['POST', 'OPTIONS']);
  expect405(
    await request(harness.app)
      .delete(`/admin/merchants/${merchant.id}`)
      .set('authorization', `Bearer ${harness.adminToken}`),
    ['GET', 'HEAD', 'OPTIONS'],
  );
  expect405(await request(harness.app).put('/admin/merchants'), ['POST', 'OPTIONS']);
  expect405(await request(harness.app).put('/callbacks/sandbox'), ['GET', 'HEAD', 'OPTIONS', 'POST']);
  expect405(await request(harness.app).post('/healthz'), ['GET', 'HEAD', 'OPTIONS']);
});

test('OPTIONS answers 204 with Allow; HEAD follows GET; unknown paths stay 404', async () => {
  const options = await request(harness.app).options('/v1/payments');
  expect(options.status).toBe(204);
  expect(allowed(options.headers.allow)).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
  const head = await request(harness.app).head('/v1/payments').set('authorization', `Bearer ${merchant.testKey}`);
  expect(head.status).toBe(200);
  expect((await request(harness.app).head('/healthz')).status).not.toBe(405);
  const headOnPost = await request(harness.app).head('/pay/pay_00000000000000/method');
  expect([headOnPost.status, allowed(headOnPost.headers.allow)]).toEqual([405, ['OPTIONS', 'POST']]);
  const missing = await request(harness.app)
    .delete('/v1/nothing-here')
    .set('authorization', `Bearer ${merchant.testKey}`);
  expect([missing.status, missing.body.error?.code]).toEqual([404, 'route_missing']);
  expect(
    (
      await request(harness.app)
        .get('/v1/payments/pay_00000000000000/nothing')
        .set('authorization', `Bearer ${merchant.testKey}`)
    ).status,
  ).toBe(404);
});

test('every route the app serves refuses every other method with 405 and an Allow listing its methods (read from the routing table)', async () => {
  const routes = servedRoutes(harness.app).filter((route) => !route.any);
  expect(routes.length).toBeGreaterThanOrEqual(40);
  const byPath = new Map<string, Set<string>>();
  for (const route of routes) {
    const concrete = route.path.replace(/:(\w+)/g, 'x_0000000000');
    const methods = byPath.get(concrete) ?? new Set<string>();
    route.methods.forEach((method) => methods.add(method));
    byPath.set(concrete, methods);
  }
  let checked = 0;
  for (const [path, methods] of byPath) {
    const expected = new Set([...methods, 'OPTIONS']);
    if (methods.has('GET')) expected.add('HEAD');
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      if (expected.has(method)) continue;
      const response = await request(harness.app)
        [method.toLowerCase() as 'get'](path)
        .set('authorization', `Bearer ${merchant.testKey}`);
      expect([path, method, response.status, allowed(response.headers.allow)]).toEqual([
        path,
        method,
        405,
        [...expected].sort(),
      ]);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(100);
});
