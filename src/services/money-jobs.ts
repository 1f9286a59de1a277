import type { ServiceDeps } from './deps';
import { startUnstartedPayouts } from './payouts';
import { ensureReconciliationSchedule } from './reconciliation';
import { startUnstartedRefunds } from './refunds';

/**
 * What the API process keeps running for money: the daily reconciliation Schedule (created if
 * missing) and, every 30 s, a sweep that starts the workflow of any refund or payout stored but not
 * confirmed started (a crash between the two). Answers the function that stops it.
 */
export async function startMoneyJobs(
  deps: ServiceDeps,
  onError: (message: string, error: Error) => void,
): Promise<() => Promise<void>> {
  await ensureReconciliationSchedule(deps.temporal).catch((error) =>
    onError(`creating the reconciliation schedule: ${error.message}`, error),
  );
  const sweep = setInterval(() => {
    startUnstartedRefunds(deps).catch((error) => onError(`restarting unstarted refunds: ${error.message}`, error));
    startUnstartedPayouts(deps).catch((error) => onError(`restarting unstarted payouts: ${error.message}`, error));
  }, 30_000);
  return async () => clearInterval(sweep);
}
