import type { Request } from 'express';

/**
 * The route a request matched, with its parameters as in the route (`/v1/payments/:id`), or
 * `unmatched`: a label of bounded cardinality for metrics and logs.
 */
export function routeLabel(req: Request): string {
  const pattern: unknown = req.route?.path;
  if (typeof pattern !== 'string') return 'unmatched';
  const path = (req.originalUrl.split('?')[0] ?? '').replace(/\/+$/, '').split('/');
  const routeParts = pattern.replace(/\/+$/, '').split('/').slice(1);
  return [...path.slice(0, Math.max(1, path.length - routeParts.length)), ...routeParts].join('/') || '/';
}
