import type { Express, RequestHandler } from 'express';
import { ApiError } from './errors';

interface StackLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle: { stack?: StackLayer[] };
}

interface KnownPath {
  pattern: RegExp;
  /** Upper-case methods; empty when the route takes every method (`router.all`). */
  methods: Set<string>;
  any: boolean;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `/v1/payments/:id` as a regular expression matching what Express matches: any case, an optional trailing slash. */
function pathPattern(path: string): RegExp {
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : escapeRegExp(segment)));
  return new RegExp(`^/${segments.join('/')}/?$`, 'i');
}

const joinPaths = (base: string, path: string) => `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;

/** Every route of the app with its methods, read from Express's own routing table. */
export function servedRoutes(app: Express): { path: string; methods: string[]; any: boolean }[] {
  const routes: { path: string; methods: string[]; any: boolean }[] = [];
  const walk = (layers: StackLayer[], base: string) => {
    for (const layer of layers) {
      if (layer.route) {
        if (typeof layer.route.path !== 'string') continue;
        const methods = Object.keys(layer.route.methods).filter((name) => name !== '_all');
        routes.push({
          path: joinPaths(base, layer.route.path),
          methods: methods.map((name) => name.toUpperCase()),
          any: Boolean(layer.route.methods._all),
        });
      } else if (layer.handle?.stack) {
        if (layer.rawPath !== undefined && typeof layer.rawPath !== 'string') continue;
        walk(layer.handle.stack, typeof layer.rawPath === 'string' ? joinPaths(base, layer.rawPath) : base);
      }
    }
  };
  walk((app as unknown as { router: { stack: StackLayer[] } }).router.stack, '');
  return routes;
}

/** A path's first segment as the patterns match it (any case). */
const firstSegment = (path: string) => (path.split('/', 2)[1] ?? '').toLowerCase();

/**
 * The app's paths with their methods, by first segment so that a request is tested against its own
 * few; a first segment with a parameter in it is under `:`, which every request is tested against.
 */
function knownPaths(app: Express): Map<string, KnownPath[]> {
  const byPath = new Map<string, KnownPath>();
  const bySegment = new Map<string, KnownPath[]>();
  for (const route of servedRoutes(app)) {
    const key = route.path.replace(/:\w+/g, ':').toLowerCase();
    let known = byPath.get(key);
    if (!known) {
      known = { pattern: pathPattern(route.path), methods: new Set<string>(), any: false };
      byPath.set(key, known);
      const segment = firstSegment(key).includes(':') ? ':' : firstSegment(key);
      bySegment.set(segment, [...(bySegment.get(segment) ?? []), known]);
    }
    for (const method of route.methods) known.methods.add(method);
    known.any ||= route.any;
  }
  return bySegment;
}

/**
 * Answers a request to a path the app serves, with a method none of its routes takes: `405` with
 * `Allow` and the error in the contract's shape; `OPTIONS` is answered `204` with `Allow`. HEAD
 * is allowed wherever GET is. The routes are read from the app's routing table at the first
 * request, so mount this before the routers (it runs ahead of authentication: which methods a
 * path takes is public, in the OpenAPI document). Paths no route serves pass on (to the `404`).
 */
export function methodNotAllowed(app: Express): RequestHandler {
  let known: Map<string, KnownPath[]> | undefined;
  return (req, res, next) => {
    known ??= knownPaths(app);
    const candidates = [...(known.get(firstSegment(req.path)) ?? []), ...(known.get(':') ?? [])];
    const matching = candidates.filter((entry) => entry.pattern.test(req.path));
    if (matching.length === 0 || matching.some((entry) => entry.any)) return next();
    const methods = new Set(matching.flatMap((entry) => [...entry.methods]));
    if (methods.has('GET')) methods.add('HEAD');
    if (methods.has(req.method)) return next();
    const allow = [...methods, 'OPTIONS'].join(', ');
    res.set('Allow', allow);
    if (req.method === 'OPTIONS') return res.status(204).end();
    next(
      new ApiError(
        405,
        'invalid_request_error',
        'method_not_allowed',
        `${req.method} is not allowed on ${req.path}; allowed: ${allow}`,
      ),
    );
  };
}
