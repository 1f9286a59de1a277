import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import type { MerchantPrincipal } from '../domain/merchant';
import { DomainError } from '../domain/errors';
import { type LookupCache, cachedPrincipal } from '../services/lookup-cache';

const unauthorized = (message: string) => new DomainError('unauthenticated', 'unauthorized', message);

function bearer(header: string | undefined): string | null {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  return match ? match[1]! : null;
}

export function requireAdmin(adminToken: string): RequestHandler {
  const expected = Buffer.from(adminToken);
  return (req, _res, next) => {
    const given = Buffer.from(bearer(req.headers.authorization) ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    next(unauthorized('A valid operator token is required: Authorization: Bearer <ADMIN_TOKEN>'));
  };
}

/** Resolves the `sk_…` key to its merchant and mode, through the process's key cache when it has one. */
export function requireMerchant(db: Pool, lookups?: LookupCache): RequestHandler {
  return async (req, res, next) => {
    const key = bearer(req.headers.authorization);
    if (!key || !/^sk_(test|live)_[0-9A-Za-z]{8,64}$/.test(key))
      return next(unauthorized('A valid API key is required: Authorization: Bearer sk_…'));
    const principal = await cachedPrincipal(db, lookups, key);
    if (!principal) return next(unauthorized('This API key is not valid'));
    res.locals.principal = principal;
    next();
  };
}

export const principalOf = (res: { locals: Record<string, unknown> }) => res.locals.principal as MerchantPrincipal;
