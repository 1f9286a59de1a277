import express, { type Express } from 'express';
import type { ServiceDeps } from '../services/deps';
import { ApiError, errorHandler } from './errors';
import { buyerRoutes } from './routes/buyer';
import { callbackRoutes } from './routes/callbacks';
import { healthRoutes } from './routes/health';
import { merchantRoutes, operatorRoutes } from './routes/merchant-api';

/** Builds the HTTP app without listening: merchant and operator APIs, hosted pages, callbacks. */
export function createApp(deps: ServiceDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(healthRoutes(deps));
  app.use('/callbacks', callbackRoutes(deps));
  app.use(express.json({ limit: '64kb', type: ['application/json', 'application/*+json'] }));
  app.use('/pay', buyerRoutes(deps));
  app.use('/admin', operatorRoutes(deps));
  app.use('/v1', merchantRoutes(deps));
  app.use((req, _res, next) => next(new ApiError(404, 'not_found_error', 'route_missing', `No route ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
