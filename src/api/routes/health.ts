import { Router } from 'express';
import type { ServiceDeps } from '../../services/deps';

async function dependencyStatus(deps: ServiceDeps) {
  const check = async (probe: () => Promise<unknown>) => {
    try {
      await Promise.race([probe(), new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 2000))]);
      return 'ok';
    } catch (error) {
      return `down: ${(error as Error).message}`;
    }
  };
  const [database, temporal] = await Promise.all([
    check(() => deps.db.query('select 1')),
    check(() => deps.temporal.workflowService.getSystemInfo({})),
  ]);
  return { database, temporal };
}

export function healthRoutes(deps: ServiceDeps): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const status = await dependencyStatus(deps);
    const healthy = Object.values(status).every((value) => value === 'ok');
    res.status(healthy ? 200 : 503).json(healthy ? { status: 'ok' } : { status: 'unavailable' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await dependencyStatus(deps);
    const ready = Object.values(checks).every((value) => value === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });
  return router;
}
