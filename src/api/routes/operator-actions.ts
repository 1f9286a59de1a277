import { Router } from 'express';
import { z } from 'zod';
import { exceptionKinds } from '../../domain/exceptions';
import type { ServiceDeps } from '../../services/deps';
import { decideException, getOperatorException, listOperatorExceptions } from '../../services/exceptions';
import { cancelAsOperator, inspectPayment, recheckProvider, resendEvent } from '../../services/operator';
import { requireAdmin } from '../auth';

const listExceptionsQuery = z.strictObject({
  status: z.enum(['open', 'decided', 'all'], 'must be open, decided or all').default('open'),
  kind: z.enum(exceptionKinds, `must be one of ${exceptionKinds.join(', ')}`).optional(),
  merchant_id: z.string().regex(/^mer_[0-9A-Za-z]{8,64}$/, 'must be a merchant id (mer_…)').optional(),
  limit: z.coerce.number('must be a number from 1 to 100').int('must be a whole number from 1 to 100').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
  starting_after: z.string().regex(/^(pay_[0-9A-Za-z]{8,64}|[a-z0-9_-]{1,40}:[A-Za-z0-9_-]{1,200})$/, 'must be an exception id').optional(),
});

const decisionBody = z.strictObject({
  operator: z
    .string('is required: the name of the operator deciding')
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .regex(/^[^\p{Cc}\p{Cs}]+$/u, 'must not contain control characters'),
});

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
    res.status(202).json(await decideException(deps, req.params.id, 'accept', decisionBody.parse(req.body ?? {}).operator));
  });
  router.post('/exceptions/:id/refund', async (req, res) => {
    res.status(202).json(await decideException(deps, req.params.id, 'refund', decisionBody.parse(req.body ?? {}).operator));
  });
  return router;
}
