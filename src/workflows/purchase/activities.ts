/** The activities the purchase workflow calls, each kind on its profile. */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import * as profiles from '../activity-profiles';

type Activities = ReturnType<typeof createActivities>;

export const providerCreate = proxyActivities<Activities>(profiles.providerCreate);

export const providerCheck = proxyActivities<Activities>(profiles.providerCheck);

export const database = proxyLocalActivities<Activities>(profiles.databaseWrite);

/**
 * Canceling a provider payment after the payment expired or was canceled: retried (a paused
 * connector is waited for) for a day; the outcome is recorded before, so it never waits for it.
 */
export const providerCancel = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export const merchantNotify = proxyActivities<Activities>(profiles.merchantNotify);
