/**
 * Signals the API sends the refund and payout workflows, importable without pulling in workflow
 * code: a provider's callback that settles a refund or payout it first answered `pending`.
 */
import { defineSignal } from '@temporalio/workflow';
import type { ProviderPayout, ProviderRefund } from '../providers/types';

/** The provider says where a pending refund stands now. */
export const refundSettledSignal = defineSignal<[ProviderRefund]>('refundSettled');

/** The provider says where a pending payout stands now. */
export const payoutSettledSignal = defineSignal<[ProviderPayout]>('payoutSettled');
