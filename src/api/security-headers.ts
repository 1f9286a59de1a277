import helmet from 'helmet';
import type { Config } from '../config';

/**
 * helmet's headers on everything we serve. Every page Kassa serves takes its styles and scripts
 * from files, so the CSP allows no inline style or script at all. Images: Kassa's own, `data:`
 * (Swagger UI's icons) and any https URL (a checkout's logo). The hosted page's form may lead to
 * a provider's page (a `303` after the POST counts as the form's target): any https origin, plus
 * the sandbox. Requests are upgraded to https only when Kassa itself is served over https.
 */
export function securityHeaders(config: Pick<Config, 'publicUrl' | 'sandbox'>) {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        'form-action': ["'self'", 'https:', new URL(config.sandbox.url).origin],
        'img-src': ["'self'", 'data:', 'https:'],
        'style-src': ["'self'"],
        'upgrade-insecure-requests': config.publicUrl.startsWith('https:') ? [] : null,
      },
    },
  });
}
