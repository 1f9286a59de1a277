import { requireAdmin } from '../auth';
import { rateLimit } from '../rate-limit';
import { refuseUnreadBody } from '../unread-body';
import type { Audience } from '../route';
import { connectorRoutes } from './connectors';
import { exceptionRoutes } from './exceptions';
import { merchantRoutes } from './merchants';
import { operatorUserRoutes } from './operators';
import { paymentActionRoutes } from './payments';
import { reconciliationRoutes } from './reconciliation';

/**
 * The operator API (docs/api.md §4, docs/operations.md), under `/admin`: every route takes
 * `Authorization: Bearer <ADMIN_TOKEN>` and counts against the operator's rate.
 */
export const operatorApi: Audience<object> = {
  prefix: '/admin',
  security: 'operatorToken',
  unauthorized: 'Missing or wrong operator token',
  idempotent: false,
  guards: (deps) => [
    requireAdmin(deps.config.adminToken!),
    rateLimit(deps.config.rateLimitPerMinute, () => 'operator'),
    refuseUnreadBody(),
  ],
  callerOf: () => ({}),
  routes: [
    ...merchantRoutes,
    ...paymentActionRoutes,
    ...exceptionRoutes,
    ...reconciliationRoutes,
    ...connectorRoutes,
    ...operatorUserRoutes,
  ],
};
