import { Router } from 'express';
import type { ServiceDeps } from '../../services/deps';
import { decideException, getOperatorException, listOperatorExceptions } from '../../services/exceptions';
import { cancelAsOperator, inspectPayment, recheckProvider, resendEvent } from '../../services/operator';
import { requireAdmin } from '../auth';
import { decisionBody, listExceptionsQuery } from '../exception-schemas';

/** Operator actions on payments and exceptions, under `/admin` (Authorization: Bearer <ADMIN_TOKEN>). See docs/operations.md. */
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

  router.get('/exceptions', async (req, res) => {
    const query = listExceptionsQuery.parse(req.query);
    res.json(
      await listOperatorExceptions(deps, {
        status: query.status,
        kind: query.kind,
        merchantId: query.merchant_id,
        limit: query.limit,
        startingAfter: query.starting_after,
      }),
    );
  });
  router.get('/exceptions/:id', async (req, res) => {
    res.json(await getOperatorException(deps, req.params.id));
  });
  router.post('/exceptions/:id/accept', async (req, res) => {
    res
      .status(202)
      .json(await decideException(deps, req.params.id, 'accept', decisionBody.parse(req.body ?? {}).operator));
  });
  router.post('/exceptions/:id/refund', async (req, res) => {
    res
      .status(202)
      .json(await decideException(deps, req.params.id, 'refund', decisionBody.parse(req.body ?? {}).operator));
  });
  return router;
}
