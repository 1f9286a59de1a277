/** The activities the purchase workflow calls, each kind on its profile. */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import * as profiles from '../activity-profiles';

type Activities = ReturnType<typeof createActivities>;

export const providerCreate = proxyActivities<Activities>(profiles.providerCreate);

export const providerCheck = proxyActivities<Activities>(profiles.providerCheck);

export const database = proxyLocalActivities<Activities>(profiles.databaseWrite);

export const merchantNotify = proxyActivities<Activities>(profiles.merchantNotify);
