/**
 * One declaration per JSON route: the helper mounts it on its audience's router (schemas parsed
 * once, one service call, the success status) and `openapi.ts` documents it from the same
 * declaration, so a route that exists is documented by construction.
 */
import { type Request, type RequestHandler, type Response, Router } from 'express';
import type { z } from 'zod';
import type { IdempotentCreate } from '../db/idempotency';
import type { MerchantPrincipal } from '../domain/merchant';
import type { Config } from '../config';
import type { ServiceDeps } from '../services/deps';

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** A success answer as the document lists it. */
export interface Answer<Schema extends z.ZodType = z.ZodType> {
  status: number;
  description: string;
  schema: Schema;
}

/** What a merchant route's handler gets besides its input: the key's merchant and mode, and the create's key. */
export interface MerchantCaller {
  principal: MerchantPrincipal;
  /** The `Idempotency-Key` the request runs under; none without the header. */
  idempotency: IdempotentCreate | undefined;
}

export interface RouteInput<Body, Query> {
  deps: ServiceDeps;
  /** Path parameters as given: a service answers `404` for an id that names nothing. */
  params: Record<string, string>;
  body: Body;
  query: Query;
}

/** A handler's answer with a status other than the declared one (`okAlso`). */
export class Reply<Body = unknown> {
  constructor(
    readonly status: number,
    readonly body: Body,
  ) {}
}
export const reply = <Body>(status: number, body: Body) => new Reply(status, body);

/**
 * How a route reads a request without a body: `refused` (a `400` naming `body`), `empty` (as `{}`,
 * documented optional), `empty-documented-required` (as `{}`, but the document asks for one), or
 * `ignored` (any body or none; nothing is parsed).
 */
export type MissingBody = 'refused' | 'empty' | 'empty-documented-required' | 'ignored';

/** One body per value of a path parameter: documented once per value, with that value in the path. */
export interface BodyByParam {
  param: string;
  bodies: Record<string, z.ZodType>;
  summary: (value: string) => string;
  /** The error for a value not in `bodies`. */
  unknown: (value: string) => Error;
}

/**
 * A route as declared. What its handler answers must be what `ok` documents: a route whose service
 * starts answering another shape does not compile.
 */
interface Declaration<Body extends z.ZodType, Query extends z.ZodType, Ok extends z.ZodType, Caller> {
  method: HttpMethod;
  /** Express path under the audience's prefix: `/payments/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  query?: Query;
  body?: Body;
  /** The body as parsed when it depends on configuration; `body` is what the document shows. */
  bodyFor?: (config: Config) => z.ZodType<z.output<Body>>;
  bodyByParam?: BodyByParam;
  missingBody?: MissingBody;
  ok: Answer<Ok>;
  /** Other success statuses, with the same schema as `ok`: the handler answers them with {@link reply}. */
  okAlso?: readonly Answer<Ok>[];
  handle: (
    input: RouteInput<z.output<Body>, z.output<Query>> & Caller,
  ) => Promise<z.input<Ok> | Reply<z.input<Ok>>> | z.input<Ok> | Reply<z.input<Ok>>;
}

/** A declared route, its handler's input and answer types erased; `Caller` is what its audience must give it. */
export interface Route<Caller = never> {
  method: HttpMethod;
  path: string;
  tag: string;
  summary: string;
  description?: string;
  query?: z.ZodType;
  body?: z.ZodType;
  bodyFor?: (config: Config) => z.ZodType;
  bodyByParam?: BodyByParam;
  missingBody: MissingBody;
  ok: Answer;
  okAlso?: readonly Answer[];
  handle: (input: RouteInput<unknown, unknown> & Caller) => Promise<unknown> | unknown;
}

function declare<Body extends z.ZodType, Query extends z.ZodType, Ok extends z.ZodType, Caller>(
  declaration: Declaration<Body, Query, Ok, Caller>,
): Route<Caller> {
  return {
    ...declaration,
    missingBody: declaration.missingBody ?? (declaration.body || declaration.bodyByParam ? 'refused' : 'ignored'),
  } as unknown as Route<Caller>;
}

/** A route of the merchant API (`/v1`): its handler gets the calling merchant. */
export const merchantRoute = <
  Ok extends z.ZodType,
  Body extends z.ZodType = z.ZodUndefined,
  Query extends z.ZodType = z.ZodUndefined,
>(
  declaration: Declaration<Body, Query, Ok, MerchantCaller>,
) => declare(declaration);

/** A route of the operator API (`/admin`). */
export const operatorRoute = <
  Ok extends z.ZodType,
  Body extends z.ZodType = z.ZodUndefined,
  Query extends z.ZodType = z.ZodUndefined,
>(
  declaration: Declaration<Body, Query, Ok, object>,
) => declare(declaration);

/**
 * Who calls an audience's routes and what guards them, declared once per audience. A route declared
 * for another audience's caller (a merchant route under `/admin`) does not compile.
 */
export interface Audience<Caller> {
  /** Where its router is mounted: `/v1`, `/admin`. */
  prefix: string;
  /** Its security scheme in the document. */
  security: 'apiKey' | 'operatorToken';
  /** Who is refused with `401`, as the document words it. */
  unauthorized: string;
  /** Whether its `POST`s take `Idempotency-Key`. */
  idempotent: boolean;
  /** Authentication, rate limit and idempotency: run before every route of the audience. */
  guards: (deps: ServiceDeps) => RequestHandler[];
  /** What the guards found out about the caller, for the handlers (the merchant, the `Idempotency-Key`). */
  callerOf: (res: Response) => Caller;
  routes: readonly Route<Caller>[];
}

/** What the document needs of an audience: any audience, whatever its caller. */
export type DocumentedAudience = Omit<Audience<never>, 'guards' | 'callerOf'>;

function bodyParser(route: Route<never>, config: Config): (req: Request) => unknown {
  if (route.missingBody === 'ignored') return () => undefined;
  const readMissing = route.missingBody !== 'refused';
  const read = (req: Request) => (readMissing ? (req.body ?? {}) : req.body);
  if (route.bodyByParam) {
    const { param, bodies, unknown } = route.bodyByParam;
    return (req) => {
      const value = String(req.params[param]);
      if (!Object.hasOwn(bodies, value)) throw unknown(value);
      return bodies[value]!.parse(read(req));
    };
  }
  const schema = route.bodyFor?.(config) ?? route.body;
  if (!schema) return () => undefined;
  return (req) => schema.parse(read(req));
}

function handlerOf<Caller>(route: Route<Caller>, deps: ServiceDeps, callerOf: (res: Response) => Caller) {
  const parseBody = bodyParser(route, deps.config);
  const parseQuery = route.query ? (req: Request) => route.query!.parse(req.query) : () => undefined;
  return async (req: Request, res: Response) => {
    const body = parseBody(req);
    const query = parseQuery(req);
    const answer = await route.handle({
      deps,
      params: req.params as Record<string, string>,
      body,
      query,
      ...callerOf(res),
    });
    if (answer instanceof Reply) res.status(answer.status).json(answer.body);
    else res.status(route.ok.status).json(answer);
  };
}

/** The audience's router: its guards once, then every declared route. */
export function audienceRouter<Caller>(audience: Audience<Caller>, deps: ServiceDeps): Router {
  const router = Router();
  for (const guard of audience.guards(deps)) router.use(guard);
  for (const route of audience.routes) router[route.method](route.path, handlerOf(route, deps, audience.callerOf));
  return router;
}
