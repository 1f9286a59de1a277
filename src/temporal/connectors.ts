/** What a connector's resume means for the payments waiting at it. */
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { openPaymentsAt } from '../db/attempts';
import { connectorResumedSignal } from '../workflows/shared';
import { signalPurchase } from './messages';

/**
 * Wakes every open payment whose current attempt is at `connectorId`: one parked there asks the
 * provider at once and continues from where it was. Answers how many running payments were told.
 */
export async function wakeParkedPurchases(deps: { db: Pool; temporal: Client }, connectorId: string): Promise<number> {
  let woken = 0;
  for (const paymentId of await openPaymentsAt(deps.db, connectorId))
    if (await signalPurchase(deps.temporal, paymentId, connectorResumedSignal, { connectorId })) woken += 1;
  return woken;
}
