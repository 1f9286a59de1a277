import type { RequestHandler } from 'express';
import { ApiError } from './errors';

/** How deep arrays and objects nest in `value` (a scalar is 0), counted without recursion. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Refuses JSON bodies nested deeper than `maxDepth` with a `400` naming `body`. */
export function limitJsonDepth(maxDepth: number): RequestHandler {
  return (req, _res, next) => {
    if (jsonDepth(req.body) <= maxDepth) return next();
    next(
      new ApiError(
        400,
        'invalid_request_error',
        'body_too_deep',
        `The body nests deeper than ${maxDepth} levels`,
        'body',
      ),
    );
  };
}
