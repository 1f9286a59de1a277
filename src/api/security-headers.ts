import helmet from 'helmet';
import type { Config } from '../config';

/**
 * helmet's headers on everything we serve. The CSP keeps inline `<style>` (hosted pages, Swagger
 * UI) and lets the hosted page's form lead to a provider's page (a `303` after the POST counts
 * as the form's target): any https origin, plus the sandbox. Requests are upgraded to https only
 * when Kassa itself is served over https.
 */
export function securityHeaders(config: Pick<Config, 'publicUrl' | 'sandbox'>) {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        'form-action': ["'self'", 'https:', new URL(config.sandbox.url).origin],
        'style-src': ["'self'", "'unsafe-inline'"],
        'upgrade-insecure-requests': config.publicUrl.startsWith('https:') ? [] : null,
      },
    },
  });
}
