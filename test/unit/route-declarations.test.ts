/**
 * The route helper on its own (no database, no Temporal): a declared route is mounted behind its
 * audience's guards, reads its body and query through its schemas once, answers with its declared
 * status, and is documented under its audience's prefix and security scheme.
 */
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { z } from 'zod';
import type { Config } from '../../src/config';
import { errorHandler } from '../../src/api/errors';
import { type Audience, audienceRouter, operatorRoute, reply, type Route } from '../../src/api/route';
import { documentedRoutes } from '../../src/api/openapi';
import { merchantApi } from '../../src/api/merchant';
import { operatorApi } from '../../src/api/operator';
import { DomainError } from '../../src/domain/errors';
import type { ServiceDeps } from '../../src/services/deps';

const thing = z.strictObject({ name: z.string().min(1) });
const answer = { status: 200, description: 'ok', schema: z.unknown() };
const seen: unknown[] = [];

const routes: Route<object>[] = [
  operatorRoute({
    method: 'post',
    path: '/things/:id',
    tag: 'Test',
    summary: 'a body is required',
    body: thing,
    ok: { ...answer, status: 201 },
    handle: ({ params, body }) => ({ id: params.id, name: body.name }),
  }),
  operatorRoute({
    method: 'post',
    path: '/things/:id/touch',
    tag: 'Test',
    summary: 'no body is {}',
    body: z.strictObject({ note: z.string().optional() }),
    missingBody: 'empty',
    ok: answer,
    handle: ({ body }) => {
      seen.push(body);
      return reply(202, { touched: true });
    },
  }),
  operatorRoute({
    method: 'get',
    path: '/things',
    tag: 'Test',
    summary: 'a query, coerced',
    query: z.strictObject({ limit: z.coerce.number().int().max(10).default(3) }),
    ok: answer,
    handle: ({ query }) => ({ limit: query.limit }),
  }),
  operatorRoute({
    method: 'put',
    path: '/kinds/:kind',
    tag: 'Test',
    summary: 'a body per kind',
    bodyByParam: {
      param: 'kind',
      bodies: { small: z.strictObject({ size: z.number().max(1) }), big: z.strictObject({ size: z.number() }) },
      summary: (kind) => `Set ${kind}`,
      unknown: (kind) => new DomainError('not_found', 'resource_missing', `No kind ${kind}`, 'kind'),
    },
    ok: answer,
    handle: ({ params, body }) => ({ kind: params.kind, body }),
  }),
];

const guarded: RequestHandler = (req, _res, next) =>
  next(req.get('x-pass') ? undefined : new DomainError('unauthenticated', 'unauthorized', 'no'));

function appWith(guards: RequestHandler[]) {
  const audience: Audience<object> = {
    prefix: '/t',
    security: 'operatorToken',
    unauthorized: 'no',
    idempotent: false,
    guards: () => guards,
    callerOf: () => ({}),
    routes,
  };
  const app = express();
  app.use(express.json());
  app.use(audience.prefix, audienceRouter(audience, { config: {} as Config } as ServiceDeps));
  app.use(errorHandler);
  return app;
}

test("every route runs behind its audience's guards", async () => {
  const app = appWith([guarded]);
  expect((await request(app).get('/t/things')).status).toBe(401);
  expect((await request(app).get('/t/things').set('x-pass', '1')).body).toEqual({ limit: 3 });
});

test('a route parses its body and query with its schemas and answers with its declared status', async () => {
  const app = appWith([]);
  const created = await request(app).post('/t/things/th_1').send({ name: 'a' });
  expect([created.status, created.body]).toEqual([201, { id: 'th_1', name: 'a' }]);
  const unknownField = await request(app).post('/t/things/th_1').send({ name: 'a', extra: 1 });
  expect([unknownField.status, unknownField.body.error.code]).toEqual([400, 'parameter_unknown']);
  const missing = await request(app).post('/t/things/th_1');
  expect([missing.status, missing.body.error.param]).toEqual([400, 'body']);
  expect((await request(app).get('/t/things?limit=7')).body).toEqual({ limit: 7 });
  expect((await request(app).get('/t/things?limit=70')).status).toBe(400);
});

test('a route that takes no body as {} gets {}, and may answer another status of its own', async () => {
  seen.length = 0;
  const touched = await request(appWith([])).post('/t/things/th_1/touch');
  expect([touched.status, touched.body, seen]).toEqual([202, { touched: true }, [{}]]);
});

test('a body chosen by a path parameter: its own schema per value, and the declared error for any other value', async () => {
  const app = appWith([]);
  expect((await request(app).put('/t/kinds/small').send({ size: 1 })).body).toEqual({
    kind: 'small',
    body: { size: 1 },
  });
  expect((await request(app).put('/t/kinds/small').send({ size: 5 })).status).toBe(400);
  expect((await request(app).put('/t/kinds/big').send({ size: 5 })).status).toBe(200);
  const other = await request(app).put('/t/kinds/huge').send({ size: 1 });
  expect([other.status, other.body.error.param]).toEqual([404, 'kind']);
});

test('the document lists exactly the declared routes of the merchant and operator APIs, under their prefixes', () => {
  const declared = [merchantApi, operatorApi].flatMap((audience) =>
    audience.routes.flatMap((route) => {
      const path = `${audience.prefix}${route.path.replace(/:(\w+)/g, '{$1}')}`;
      const values = route.bodyByParam ? Object.keys(route.bodyByParam.bodies) : [undefined];
      return values.map(
        (value) =>
          `${route.method.toUpperCase()} ${value ? path.replace(`{${route.bodyByParam!.param}}`, value) : path}`,
      );
    }),
  );
  expect(declared.length).toBeGreaterThanOrEqual(40);
  expect([...documentedRoutes].sort()).toEqual(declared.sort());
});
