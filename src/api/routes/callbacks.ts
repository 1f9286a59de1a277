import express, { Router } from 'express';
import { receiveCallback } from '../../services/callbacks';
import type { ServiceDeps } from '../../services/deps';

/** Provider callbacks (CONTRACT §7): the raw body reaches the provider's verifier untouched. */
export function callbackRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.post('/:provider', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await receiveCallback(deps, req.params.provider, body, req.headers);
    res.json({ received: true });
  });
  return router;
}
