import path from 'node:path';
import express, { Router } from 'express';
import type { ServiceDeps } from '../../services/deps';
import { cabinetRoutes } from './cabinet';
import { consoleRoutes } from './console';
import { assetsPath } from './layout';

/** The forms of the cabinet and the console: flat and url-encoded, at most 64 kB and 1000 fields (a checkout's method table is the largest). */
const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 1000 });

/**
 * Kassa's web pages for people who sign in: the merchant's cabinet (`/dashboard`) and the
 * operator's console (`/admin/console`), and the files every page loads (`/assets`).
 */
export function webRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use(assetsPath, express.static(path.join(__dirname, 'assets'), { maxAge: '1h' }));
  router.use('/dashboard', formBody, cabinetRoutes(deps));
  router.use('/admin/console', formBody, consoleRoutes(deps));
  return router;
}
