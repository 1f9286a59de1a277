import express, { type Express } from 'express';
import { notificationsKey } from '../notifications/secrets';
import { quietObservability } from '../observability';
import { httpTracing } from '../observability/tracing';
import type { ServiceDeps } from '../services/deps';
import { ApiError, errorHandler } from './errors';
import { refuseUnsafeInput } from './input-safety';
import { limitJsonDepth } from './json-depth';
import { methodNotAllowed } from './method-not-allowed';
import { merchantApi } from './merchant';
import { operatorApi } from './operator';
import { requestContext } from './request-context';
import { audienceRouter } from './route';
import { buyerRoutes } from './routes/buyer';
import { callbackRoutes } from './routes/callbacks';
import { publicRoutes } from './routes/public';
import { sciRoutes } from './routes/sci';
import { securityHeaders } from './security-headers';
import { webRoutes } from './web';
import { jsonBodyTypes } from './unread-body';

/**
 * Builds the HTTP app without listening, one router per audience: the public (health, metrics,
 * the API reference), providers' callbacks, buyers' hosted pages, the operator API and the
 * merchant API. What guards an audience is declared once, with it.
 */
export function createApp(deps: ServiceDeps): Express {
  notificationsKey(deps.config); // loaded now: it opens the sealed webhook secrets that sign buyer links
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.config.trustProxy !== null) app.set('trust proxy', deps.config.trustProxy);
  app.use(securityHeaders(deps.config));
  const observability = deps.observability ?? quietObservability();
  if (observability.tracer) app.use(httpTracing(observability.tracer));
  app.use(requestContext(observability.logger, observability.metrics.observeRequest));
  app.use(methodNotAllowed(app));
  app.use(publicRoutes(deps, observability.metrics));
  // providers: the raw body reaches the provider's verifier, so before any body parser
  app.use('/callbacks', callbackRoutes(deps));
  // shops' Interkassa SCI forms: read as PHP reads them (form-encoded or multipart), signed by `ik_sign`
  app.use('/sci', sciRoutes(deps));
  // people who sign in: the merchant's cabinet and the operator's console, forms only, with their own door
  // check answering pages (and before the operator API's bearer guard)
  app.use(webRoutes(deps));
  app.use(express.json({ limit: '64kb', type: jsonBodyTypes }));
  app.use(limitJsonDepth(20));
  app.use(refuseUnsafeInput());
  // buyers: hosted pages, the payment id is the capability
  app.use('/pay', buyerRoutes(deps));
  // operators and merchants: each audience's guards run once, then its declared routes
  app.use(operatorApi.prefix, audienceRouter(operatorApi, deps));
  app.use(merchantApi.prefix, audienceRouter(merchantApi, deps));
  app.use((req, _res, next) =>
    next(new ApiError(404, 'not_found_error', 'route_missing', `No route ${req.method} ${req.path}`)),
  );
  app.use(errorHandler);
  return app;
}
