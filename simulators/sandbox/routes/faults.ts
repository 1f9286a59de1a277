import { Router } from 'express';
import type { SandboxContext } from '../context';
import { parseInput } from '../errors';
import { faultSchema } from '../faults';

/**
 * The test harness's knobs: `POST /api/faults` sets the faults for one payment reference (or, without
 * one, for every other payment); `DELETE /api/faults` clears them all. Both answer 204.
 */
export function faultRoutes({ faults, log }: SandboxContext): Router {
  const router = Router();

  router.post('/api/faults', (req, res) => {
    const { reference, ...fault } = parseInput(faultSchema, req.body ?? {});
    faults.set(reference, fault);
    log(`faults for ${reference ?? 'all payments'}: ${JSON.stringify(fault)}`);
    res.status(204).end();
  });

  router.delete('/api/faults', (_req, res) => {
    faults.clear();
    log('faults cleared');
    res.status(204).end();
  });

  return router;
}
