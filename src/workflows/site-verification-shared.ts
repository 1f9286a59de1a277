/**
 * What the API and the worker share about site verification, importable without pulling in
 * workflow code. The workflow runs on the `payments` task queue (`taskQueue` in `shared.ts`).
 */

export function siteVerificationWorkflowId(checkoutId: string): string {
  return `verify-${checkoutId}`;
}

export type { SiteVerificationInput } from '../domain/checkout';

export interface SiteVerificationResult {
  status: 'verified' | 'failed';
}
