import express, { type Express } from 'express';
import { notificationsKey } from '../notifications/secrets';
import { quietObservability } from '../observability';
import { metricsRoutes } from '../observability/metrics';
import { httpTracing } from '../observability/tracing';
import type { ServiceDeps } from '../services/deps';
import { requireAdmin } from './auth';
import { ApiError, errorHandler } from './errors';
import { refuseUnsafeInput } from './input-safety';
import { limitJsonDepth } from './json-depth';
import { methodNotAllowed } from './method-not-allowed';
import { docsRoutes } from './routes/docs';
import { buyerRoutes } from './routes/buyer';
import { channelRoutes } from './routes/channels';
import { callbackRoutes } from './routes/callbacks';
import { healthRoutes } from './routes/health';
import { merchantRoutes, operatorRoutes } from './routes/merchant-api';
import { moneyRoutes } from './routes/money';
import { operatorActionRoutes } from './routes/operator-actions';
import { requestContext } from './request-context';
import { securityHeaders } from './security-headers';

/** Builds the HTTP app without listening: merchant and operator APIs, hosted pages, callbacks. */
export function createApp(deps: ServiceDeps): Express {
  notificationsKey(deps.config); // loaded now: it opens the sealed webhook secrets that sign buyer links
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(securityHeaders(deps.config));
  const observability = deps.observability ?? quietObservability();
  if (observability.tracer) app.use(httpTracing(observability.tracer));
  app.use(requestContext(observability.logger, observability.metrics.observeRequest));
  app.use(methodNotAllowed(app));
  app.use(metricsRoutes(observability.metrics, requireAdmin(deps.config.adminToken!)));
  app.use(healthRoutes(deps));
  app.use(docsRoutes(deps));
  app.use('/callbacks', callbackRoutes(deps));
  app.use(express.json({ limit: '64kb', type: ['application/json', 'application/*+json'] }));
  app.use(limitJsonDepth(20));
  app.use(refuseUnsafeInput());
  app.use('/pay', buyerRoutes(deps));
  app.use('/admin', operatorRoutes(deps));
  app.use('/admin', operatorActionRoutes(deps));
  app.use('/v1', merchantRoutes(deps));
  app.use(moneyRoutes(deps));
  app.use('/v1', channelRoutes(deps)); // after merchantRoutes: it authenticates, rate-limits and takes Idempotency-Key
  app.use((req, _res, next) =>
    next(new ApiError(404, 'not_found_error', 'route_missing', `No route ${req.method} ${req.path}`)),
  );
  app.use(errorHandler);
  return app;
}
