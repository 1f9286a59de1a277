import { Router } from 'express';
import type { ServiceDeps } from '../../services/deps';
import { cancelAsOperator, inspectPayment, recheckProvider, resendEvent } from '../../services/operator';
import { requireAdmin } from '../auth';

/** Operator actions on payments, under `/admin` (Authorization: Bearer <ADMIN_TOKEN>). See docs/operations.md. */
export function operatorActionRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.use(requireAdmin(deps.config.adminToken!));
  router.get('/payments/:id', async (req, res) => {
    res.json(await inspectPayment(deps, req.params.id));
  });
  router.post('/payments/:id/cancel', async (req, res) => {
    res.json(await cancelAsOperator(deps, req.params.id));
  });
  router.post('/payments/:id/events/:event_id/resend', async (req, res) => {
    res.json(await resendEvent(deps, req.params.id, req.params.event_id));
  });
  router.post('/payments/:id/recheck', async (req, res) => {
    res.status(202).json(await recheckProvider(deps, req.params.id));
  });
  return router;
}
