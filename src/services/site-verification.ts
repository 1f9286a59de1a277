import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { markVerificationPending } from '../db/checkouts';
import type { MerchantPrincipal } from '../db/merchants';
import { notFound } from '../domain/errors';
import { taskQueue } from '../workflows/shared';
import type { siteVerificationWorkflow } from '../workflows/site-verification';
import { siteVerificationWorkflowId } from '../workflows/site-verification-shared';
import { checkoutResource } from './checkouts';
import type { ServiceDeps } from './deps';

/**
 * Starts verifying a checkout's site (workflow `verify-<checkout id>`), or restarts it: the site
 * is fetched at once and then on a backoff for 24 hours. A verified checkout is answered as is.
 */
export async function verifySite(deps: ServiceDeps, principal: MerchantPrincipal, checkoutId: string) {
  const checkout = await markVerificationPending(deps.db, principal, checkoutId);
  if (!checkout) throw notFound('checkout', 'id');
  if (checkout.verification.status === 'verified')
    return { started: false, checkout: checkoutResource(deps, checkout) };
  await deps.temporal.workflow.start<typeof siteVerificationWorkflow>('siteVerificationWorkflow', {
    taskQueue,
    workflowId: siteVerificationWorkflowId(checkout.id),
    args: [{ checkoutId: checkout.id, siteUrl: checkout.siteUrl, token: checkout.verification.token }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
    staticSummary: `site verification of ${checkout.siteUrl} for ${checkout.id} (${checkout.merchantId})`,
  });
  return { started: true, checkout: checkoutResource(deps, checkout) };
}
