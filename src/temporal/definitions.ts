/**
 * Every workflow the API or the worker starts, each defined once: its type, task queue, id, what
 * to do when the id is taken, its search attributes and what the Temporal UI shows for it. The
 * start functions (./start.ts) derive the start options from these and nothing else.
 */
import type { SearchAttributePair } from '@temporalio/common';
import type { Checkout } from '../domain/checkout';
import type { MethodQuote } from '../domain/fees';
import type { NotificationChannel } from '../domain/channel';
import type { ExceptionDecision } from '../domain/exceptions';
import { formatAmount } from '../domain/money';
import type { StoredPayment } from '../domain/payment';
import type { Payout } from '../domain/payout';
import type { Refund } from '../domain/refund';
import {
  payoutWorkflowId,
  type ReconciliationInput,
  reconciliationScheduleId,
  refundWorkflowId,
} from '../workflows/money-shared';
import { resendNotificationWorkflowId } from '../workflows/notifications-shared';
import {
  purchaseWorkflowId,
  type PurchaseInput,
  resendEventWorkflowId,
  searchAttributes,
  taskQueue,
} from '../workflows/shared';
import type * as registered from '../workflows';
import { siteVerificationWorkflowId } from '../workflows/site-verification-shared';

/**
 * What a start does when its workflow id is taken:
 * - `once`: the workflow of a stored row (payment, refund, payout, decision). A running one is
 *   reused and a closed one is never started again, so a retried request, and for payments, refunds
 *   and payouts the outbox sweep, may start it again safely.
 * - `restart`: a running one is terminated and replaced; a closed one is followed by a new run.
 * - `fresh`: the id is new for every start (it carries a request id or a random token).
 */
export type IdPolicy = 'once' | 'restart' | 'fresh';

/** A workflow the worker registers (src/workflows/index.ts): naming another is a compile error. */
export type WorkflowType = keyof typeof registered;
export type WorkflowOf<T extends WorkflowType> = (typeof registered)[T];

/** One workflow as Kassa starts it, for a subject `S` (the payment, refund, … it runs for). */
export interface WorkflowDefinition<T extends WorkflowType, S> {
  workflowType: T;
  taskQueue: string;
  idPolicy: IdPolicy;
  /**
   * Ask the server to hand the first workflow task back with the start call, skipping a poll:
   * done only by a client that shares its connection with a worker in this process.
   */
  eager?: boolean;
  workflowId(subject: S): string;
  args(subject: S): Parameters<WorkflowOf<T>>;
  /** Indexed for the operator's searches in the Temporal UI (docs/api.md §9). */
  searchAttributes(subject: S): SearchAttributePair[];
  /** One line in the Temporal UI's workflow list. */
  summary(subject: S): string;
  /** Markdown on the workflow's page. */
  details?(subject: S): string;
}

const define = <T extends WorkflowType, S>(definition: WorkflowDefinition<T, S>) => definition;

const money = (minor: bigint, currency: string) => `${formatAmount(minor, currency)} ${currency}`;

/** A payment about to start, with what its buyer may be offered. */
export interface PurchaseSubject {
  payment: StoredPayment;
  checkout: Checkout;
  /** The methods its buyer may choose and what each costs (`checkoutQuotes` in src/domain/checkout.ts), fixed at the start. */
  quotes: readonly MethodQuote[];
  /** Seconds between provider status checks (config `STATUS_POLL_SECONDS`). */
  statusPollSeconds: number[];
}

export function purchaseInput(subject: PurchaseSubject): PurchaseInput {
  const { payment, checkout, quotes } = subject;
  return {
    paymentId: payment.id,
    merchantId: payment.merchantId,
    checkoutId: payment.checkoutId,
    orderId: payment.orderId,
    testMode: payment.testMode,
    amountMinor: payment.amountMinor.toString(),
    currency: payment.currency,
    description: payment.description,
    methods: quotes.map((quote) => quote.code),
    method: payment.method,
    feePayer: checkout.feePayer.type === 'buyer' ? 'buyer' : 'merchant',
    feeBasisPoints: checkout.fee.basisPoints,
    quotes: quotes.map((quote) => ({
      method: quote.code,
      feeMinor: quote.feeMinor.toString(),
      buyerTotalMinor: quote.buyerTotalMinor.toString(),
      merchantNetMinor: quote.merchantNetMinor.toString(),
    })),
    expiresAt: payment.expiresAt.toISOString(),
    statusPollSeconds: subject.statusPollSeconds,
    lateSuccess: checkout.lateSuccess,
  };
}

/** One payment is one workflow, `payment-<id>`. */
export const purchase = define<'purchaseWorkflow', PurchaseSubject>({
  workflowType: 'purchaseWorkflow',
  taskQueue,
  idPolicy: 'once',
  eager: true,
  workflowId: ({ payment }) => purchaseWorkflowId(payment.id),
  args: (subject) => [purchaseInput(subject)],
  searchAttributes: ({ payment }) => [
    { key: searchAttributes.paymentStatus, value: 'awaiting_method' },
    { key: searchAttributes.merchantId, value: payment.merchantId },
    { key: searchAttributes.checkoutId, value: payment.checkoutId },
    { key: searchAttributes.orderId, value: payment.orderId },
    { key: searchAttributes.amountMinor, value: Number(payment.amountMinor) },
    { key: searchAttributes.currency, value: payment.currency },
    { key: searchAttributes.testMode, value: payment.testMode },
  ],
  // `My shop (mer_…) · order A-1001 · 50.00 RUB · test`, like an invoice list
  summary: ({ payment, checkout }) =>
    `${checkout.name} (${payment.merchantId}) · order ${payment.orderId} · ${money(payment.amountMinor, payment.currency)}${payment.testMode ? ' · test' : ''}`,
  details: ({ payment, checkout }) =>
    [
      `**Payment** ${payment.id}${payment.testMode ? ' (test mode)' : ''}`,
      `**Merchant** ${payment.merchantId}, checkout ${payment.checkoutId} "${checkout.name}"`,
      `**Order** ${payment.orderId}: ${payment.description}`,
      `**Amount** ${money(payment.amountMinor, payment.currency)}, expires ${payment.expiresAt.toISOString()}`,
      `**The merchant's other payments** \`MerchantId="${payment.merchantId}"\``,
    ].join('\n\n'),
});

/** One refund is one workflow, `refund-<id>`. */
export const refund = define<'refundWorkflow', { refund: Refund; payment: StoredPayment }>({
  workflowType: 'refundWorkflow',
  taskQueue,
  idPolicy: 'once',
  workflowId: ({ refund }) => refundWorkflowId(refund.id),
  args: ({ refund }) => [{ refundId: refund.id, paymentId: refund.paymentId }],
  searchAttributes: ({ refund, payment }) => [
    { key: searchAttributes.merchantId, value: payment.merchantId },
    { key: searchAttributes.checkoutId, value: payment.checkoutId },
    { key: searchAttributes.orderId, value: payment.orderId },
    { key: searchAttributes.amountMinor, value: Number(refund.amountMinor) },
    { key: searchAttributes.currency, value: refund.currency },
    { key: searchAttributes.testMode, value: refund.testMode },
  ],
  summary: ({ refund, payment }) =>
    `refund ${money(refund.amountMinor, refund.currency)} of ${payment.id} (order ${payment.orderId})`,
});

/** One payout is one workflow, `payout-<id>`. */
export const payout = define<'payoutWorkflow', Payout>({
  workflowType: 'payoutWorkflow',
  taskQueue,
  idPolicy: 'once',
  workflowId: (payout) => payoutWorkflowId(payout.id),
  args: (payout) => [{ payoutId: payout.id }],
  searchAttributes: (payout) => [
    { key: searchAttributes.merchantId, value: payout.merchantId },
    { key: searchAttributes.amountMinor, value: Number(payout.amountMinor) },
    { key: searchAttributes.currency, value: payout.currency },
    { key: searchAttributes.testMode, value: payout.testMode },
  ],
  summary: (payout) =>
    `payout ${money(payout.amountMinor, payout.currency)} to ${payout.destination.type === 'card' ? `card •••• ${payout.destination.last4}` : 'a wallet'}`,
});

/** An operator's recorded decision on an exception, carried out once (`review-<exception>-<decision>`). */
export const reviewDecision = define<
  'reviewDecisionWorkflow',
  { decision: ExceptionDecision; merchantId: string | null }
>({
  workflowType: 'reviewDecisionWorkflow',
  taskQueue,
  idPolicy: 'once',
  workflowId: ({ decision }) => decision.workflowId,
  args: ({ decision }) => [
    {
      decisionId: decision.id,
      exceptionId: decision.exceptionId,
      kind: decision.kind,
      action: decision.action,
      paymentId: decision.paymentId,
    },
  ],
  searchAttributes: ({ merchantId }) => (merchantId ? [{ key: searchAttributes.merchantId, value: merchantId }] : []),
  summary: ({ decision }) =>
    `operator ${decision.operator} decides to ${decision.action} exception ${decision.exceptionId} (${decision.kind})`,
});

/** Verifying a checkout's site, `verify-<checkout id>`: asking again restarts it. */
export const siteVerification = define<'siteVerificationWorkflow', Checkout>({
  workflowType: 'siteVerificationWorkflow',
  taskQueue,
  idPolicy: 'restart',
  workflowId: (checkout) => siteVerificationWorkflowId(checkout.id),
  args: (checkout) => [{ checkoutId: checkout.id, siteUrl: checkout.siteUrl, token: checkout.verification.token }],
  searchAttributes: () => [],
  summary: (checkout) => `site verification of ${checkout.siteUrl} for ${checkout.id} (${checkout.merchantId})`,
});

/** One stored merchant event of a payment, re-sent now; `requestId` makes each re-send its own run. */
export interface ResendSubject {
  payment: StoredPayment;
  event: { id: string; type: string };
  requestId: string;
  /** Who asked, for the Temporal UI. */
  by: 'operator' | 'merchant';
}

const resendSearchAttributes = ({ payment }: ResendSubject) => [
  { key: searchAttributes.merchantId, value: payment.merchantId },
  { key: searchAttributes.checkoutId, value: payment.checkoutId },
  { key: searchAttributes.orderId, value: payment.orderId },
];

/** A merchant event re-sent by webhook. */
export const resendEvent = define<'resendEventWorkflow', ResendSubject>({
  workflowType: 'resendEventWorkflow',
  taskQueue,
  idPolicy: 'fresh',
  workflowId: ({ event, requestId }) => resendEventWorkflowId(event.id, requestId),
  args: ({ payment, event }) => [{ paymentId: payment.id, eventId: event.id, eventType: event.type }],
  searchAttributes: resendSearchAttributes,
  summary: ({ payment, event, by }) =>
    `${by} re-sends ${event.type} ${event.id} of ${payment.id} (order ${payment.orderId})${by === 'merchant' ? ' by webhook' : ''}`,
});

/** A merchant event re-sent to one notification channel (e-mail, Telegram, SMS, the buyer's receipt). */
export const resendNotification = define<
  'resendNotificationWorkflow',
  ResendSubject & { channel: NotificationChannel }
>({
  workflowType: 'resendNotificationWorkflow',
  taskQueue,
  idPolicy: 'fresh',
  workflowId: ({ event, channel, requestId }) => resendNotificationWorkflowId(event.id, channel, requestId),
  args: ({ payment, event, channel }) => [{ paymentId: payment.id, eventId: event.id, eventType: event.type, channel }],
  searchAttributes: resendSearchAttributes,
  summary: ({ payment, event, channel, by }) =>
    `${by} re-sends ${event.type} ${event.id} of ${payment.id} (order ${payment.orderId}) by ${channel.replace('_', ' ')}`,
});

/** Reconciliation run now by an operator, `reconciliation-manual-<token>`. */
export const reconciliation = define<'reconciliationWorkflow', { period: ReconciliationInput; token: string }>({
  workflowType: 'reconciliationWorkflow',
  taskQueue,
  idPolicy: 'fresh',
  workflowId: ({ token }) => `reconciliation-manual-${token}`,
  args: ({ period }) => [period],
  searchAttributes: () => [],
  summary: () => 'reconciliation run by an operator',
});

/** The daily reconciliation: a Temporal Schedule at 00:30 UTC reconciling the previous UTC day. */
export const reconciliationSchedule = {
  scheduleId: reconciliationScheduleId,
  workflowType: 'reconciliationWorkflow' satisfies WorkflowType,
  taskQueue,
  workflowId: reconciliationScheduleId,
  args: [{}] as Parameters<WorkflowOf<'reconciliationWorkflow'>>,
  calendar: { hour: 0, minute: 30, comment: 'daily at 00:30 UTC' },
  catchupWindow: '1 day',
  purpose: 'compare the ledger, payments and provider reports of the previous UTC day',
} as const;
