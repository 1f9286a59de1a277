import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { ServiceDeps } from '../../services/deps';
import { openApiDocument } from '../openapi';
import { html } from '../web/html';
import { assetsPath } from '../web/layout';

/** Where Swagger UI's own files are served from. */
const docsPath = '/docs';

/**
 * The Swagger UI page: its stylesheet and scripts as files, started by our own script, which
 * loads `/openapi.json`. Nothing inline, so it works under a CSP without `'unsafe-inline'`.
 */
const swaggerPage = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Kassa API</title>
<link rel="stylesheet" href="${docsPath}/swagger-ui.css">
<link rel="stylesheet" href="${assetsPath}/docs-page.css">
<link rel="icon" type="image/png" href="${docsPath}/favicon-32x32.png" sizes="32x32">
<script src="${docsPath}/swagger-ui-bundle.js" defer></script>
<script src="${assetsPath}/docs-init.js" defer></script>
</head>
<body>
<div id="swagger-ui" data-spec-url="/openapi.json"></div>
<noscript><p><a href="/openapi.json">openapi.json</a></p></noscript>
</body>
</html>
`.markup;

/** `GET /openapi.json` and the browsable `/docs` (Swagger UI, its assets served from here: works offline). */
export function docsRoutes(deps: Pick<ServiceDeps, 'config'>): Router {
  const document = openApiDocument(deps.config.publicUrl);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get([docsPath, `${docsPath}/`, `${docsPath}/index.html`], (_req, res) => {
    res.type('html').send(swaggerPage);
  });
  router.use(docsPath, swaggerUi.serveWithOptions({ index: false, redirect: false }));
  return router;
}
