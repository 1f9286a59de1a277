import { markVerificationPending } from '../db/checkouts';
import type { MerchantPrincipal } from '../domain/merchant';
import { notFound } from '../domain/errors';
import { siteVerification } from '../temporal/definitions';
import { startWorkflow } from '../temporal/start';
import { checkoutAnswer } from './checkouts';
import type { ServiceDeps } from './deps';

/**
 * Starts verifying a checkout's site (workflow `verify-<checkout id>`), or restarts it: the site
 * is fetched at once and then on a backoff for 24 hours. A verified checkout is answered as is.
 */
export async function verifySite(deps: ServiceDeps, principal: MerchantPrincipal, checkoutId: string) {
  const checkout = await markVerificationPending(deps.db, principal, checkoutId);
  if (!checkout) throw notFound('checkout', 'id');
  if (checkout.verification.status === 'verified') return { started: false, checkout: checkoutAnswer(deps, checkout) };
  await startWorkflow(deps, siteVerification, checkout);
  return { started: true, checkout: checkoutAnswer(deps, checkout) };
}
