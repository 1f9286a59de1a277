import { Router, type RequestHandler } from 'express';
import type { ServiceDeps } from '../../services/deps';

// Placeholder until the sign-in lands: every guarded page answers 404.
const closed: RequestHandler = (_req, res) => {
  res.status(404).send('Not found');
};
export const merchantAuthRoutes = (_deps: ServiceDeps): Router => Router();
export const operatorAuthRoutes = (_deps: ServiceDeps): Router => Router();
export const requireMerchantSession = (_deps: ServiceDeps): RequestHandler => closed;
export const requireOperatorSession = (_deps: ServiceDeps): RequestHandler => closed;
