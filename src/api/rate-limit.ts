import type { Request, RequestHandler, Response } from 'express';
import { ApiError } from './errors';

/**
 * A token bucket per caller, in memory: `perMinute` requests a minute, bursts up to the same
 * number; beyond that `429` with `Retry-After` (seconds). Per process: with N API processes a
 * caller gets up to N times the rate.
 */
export function rateLimit(perMinute: number, callerOf: (req: Request, res: Response) => string): RequestHandler {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  return (req, res, next) => {
    const caller = callerOf(req, res);
    const now = Date.now();
    const bucket = buckets.get(caller) ?? { tokens: perMinute, at: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    buckets.set(caller, bucket);
    if (buckets.size > 10_000) {
      for (const [name, idle] of buckets) if (idle.tokens + (now - idle.at) * perMs >= perMinute) buckets.delete(name);
    }
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
      res.set('retry-after', String(retryAfter));
      return next(
        new ApiError(
          429,
          'rate_limit_error',
          'rate_limited',
          `Too many requests: at most ${perMinute} a minute per key; retry in ${retryAfter} s`,
        ),
      );
    }
    bucket.tokens -= 1;
    next();
  };
}
