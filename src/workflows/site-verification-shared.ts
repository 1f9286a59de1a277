/**
 * What the API and the worker share about site verification, importable without pulling in
 * workflow code. The workflow runs on the `payments` task queue (`taskQueue` in `shared.ts`).
 */

export function siteVerificationWorkflowId(checkoutId: string): string {
  return `verify-${checkoutId}`;
}

/** The input of `siteVerificationWorkflow`. */
export interface SiteVerificationInput {
  checkoutId: string;
  /** The site being verified; a later change of the checkout's site makes this run's result void. */
  siteUrl: string;
  /** What the file must contain. */
  token: string;
}

export interface SiteVerificationResult {
  status: 'verified' | 'failed';
}
