import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from 'pg';
import { recordSiteVerification } from '../db/checkouts';
import { getFollowingRedirects, type SafeHttpOptions, UnsafeUrlError } from '../net/safe-http';
import { type SiteVerificationInput, verificationFileUrl } from '../domain/checkout';
import { FailureType } from '../domain/failure-types';

export interface SiteVerificationDeps {
  db: Pool;
  /** How the site is reached: never an internal address unless `allowPrivate`. */
  http: SafeHttpOptions;
}

/** Activities of `siteVerificationWorkflow`; merged into `createActivities`. */
export function createSiteVerificationActivities({ db, http }: SiteVerificationDeps) {
  return {
    /**
     * One attempt at the site's token file. Throws (retryably) while the file is missing or wrong,
     * recording why on the checkout so the merchant can see it; a refused URL is final.
     */
    async checkVerificationFile(input: SiteVerificationInput): Promise<{ url: string }> {
      const url = verificationFileUrl(input.siteUrl);
      let problem: string;
      try {
        const response = await getFollowingRedirects(url, {
          ...http,
          timeoutMs: http.timeoutMs ?? 10_000,
          maxResponseBytes: 4096,
        });
        if (response.status === 200 && response.body.split(/\s+/).includes(input.token)) return { url: response.url };
        problem =
          response.status === 200
            ? `${response.url} does not contain the token`
            : `${response.url} answered HTTP ${response.status}`;
      } catch (error) {
        problem = `${url}: ${(error as Error).message}`;
        if (error instanceof UnsafeUrlError) {
          await recordSiteVerification(db, {
            checkoutId: input.checkoutId,
            siteUrl: input.siteUrl,
            status: 'pending',
            error: problem,
          });
          throw ApplicationFailure.nonRetryable(problem, FailureType.UnsafeUrl);
        }
      }
      await recordSiteVerification(db, {
        checkoutId: input.checkoutId,
        siteUrl: input.siteUrl,
        status: 'pending',
        error: problem,
      });
      throw ApplicationFailure.retryable(problem, FailureType.VerificationFileInvalid);
    },

    async recordSiteVerification(input: {
      checkoutId: string;
      siteUrl: string;
      status: 'verified' | 'failed';
      error: string | null;
    }) {
      await recordSiteVerification(db, input);
    },
  };
}
