import { principalOf, requireMerchant } from '../auth';
import { idempotency, idempotencyOf } from '../idempotency';
import { rateLimit } from '../rate-limit';
import { refuseUnreadBody } from '../unread-body';
import type { Audience, MerchantCaller } from '../route';
import { channelRoutes } from './channels';
import { checkoutRoutes } from './checkouts';
import { moneyRoutes } from './money';
import { paymentRoutes } from './payments';

/**
 * The merchant API (docs/api.md §5), under `/v1`: every route authenticates the key, counts
 * against the key's rate and takes `Idempotency-Key` on `POST`; every resource is the calling
 * merchant's, in the key's mode.
 */
export const merchantApi: Audience<MerchantCaller> = {
  prefix: '/v1',
  security: 'apiKey',
  unauthorized: 'Missing, unknown or revoked key',
  idempotent: true,
  guards: (deps) => [
    requireMerchant(deps.db, deps.lookups),
    rateLimit(deps.config.rateLimitPerMinute, (_req, res) => principalOf(res).keyId),
    refuseUnreadBody(),
    idempotency(deps.db, deps.config),
  ],
  callerOf: (res) => ({ principal: principalOf(res), idempotency: idempotencyOf(res) }),
  routes: [...checkoutRoutes, ...paymentRoutes, ...moneyRoutes, ...channelRoutes],
};
