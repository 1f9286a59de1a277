/**
 * Messages operators send to running payment workflows, importable by the API without workflow
 * code. Wire names follow STYLE.md: the constant's name without the suffix.
 */
import { defineSignal } from '@temporalio/workflow';

/**
 * Ask the provider about the payment now rather than at the next scheduled status check (after a
 * provider outage, or when a callback is known to be lost). Only meaningful in `awaiting_payment`.
 */
export const recheckProviderSignal = defineSignal<[]>('recheckProvider');

/** The workflow id of an operator's re-send of one merchant event; `attemptId` makes each re-send its own run. */
export const resendEventWorkflowId = (eventId: string, attemptId: string) => `resend-${eventId}-${attemptId}`;
