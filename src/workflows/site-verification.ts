import { isCancellation, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import * as profiles from './activity-profiles';
import type { SiteVerificationInput, SiteVerificationResult } from './site-verification-shared';

type Activities = ReturnType<typeof createActivities>;

const siteFetch = proxyActivities<Activities>(profiles.siteFetch);

const database = proxyActivities<Activities>(profiles.databaseWriteUnhurried);

/**
 * Proves that a checkout's merchant controls its site: the site must serve the checkout's token
 * at `/.well-known/kassa-verification.txt`. Workflow id `verify-<checkout id>`.
 */
export async function siteVerificationWorkflow(input: SiteVerificationInput): Promise<SiteVerificationResult> {
  // 1. the token file, until it is right or 24 h have passed
  try {
    await siteFetch.checkVerificationFile(input);
  } catch (error) {
    if (isCancellation(error)) throw error;
    // 2a. gave up: the last attempt's error stays on the checkout
    await database.recordSiteVerification({
      checkoutId: input.checkoutId,
      siteUrl: input.siteUrl,
      status: 'failed',
      error: null,
    });
    return { status: 'failed' };
  }
  // 2b. verified
  await database.recordSiteVerification({
    checkoutId: input.checkoutId,
    siteUrl: input.siteUrl,
    status: 'verified',
    error: null,
  });
  return { status: 'verified' };
}
