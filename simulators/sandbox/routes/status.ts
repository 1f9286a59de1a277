import { Router } from 'express';

/** `GET /healthz`: up, and which process answers (a starter checks the pid is its child's). */
export function statusRoutes(): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'sandbox', pid: process.pid });
  });
  return router;
}
