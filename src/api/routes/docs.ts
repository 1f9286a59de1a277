import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { ServiceDeps } from '../../services/deps';
import { openApiDocument } from '../openapi';

/** `GET /openapi.json` and the browsable `/docs` (Swagger UI, its assets served from here: works offline). */
export function docsRoutes(deps: Pick<ServiceDeps, 'config'>): Router {
  const document = openApiDocument(deps.config.publicUrl);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Kassa API' }));
  return router;
}
