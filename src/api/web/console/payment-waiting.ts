/**
 * What a payment's workflow is waiting for, as a catalog message: the same reading as the operator
 * API's `waiting_for` sentence (src/services/operator.ts), in the operator's language.
 */

/** The parts of a payment's inspection the summary reads. */
export interface WaitingInput {
  payment: { status: string; method: string | null; expires_at: string };
  provider_payment_id: string | null;
  workflow: { status: string } | null;
  state: { status: string; method: string | null; providerPaymentId: string | null; attempt: number } | null;
  pending_activities: {
    activity_type: string;
    attempt: number;
    last_failure: string | null;
    next_attempt_at: string | null;
  }[];
}

/** A message of `console.payment.waiting` and its parameters; dates stay ISO strings for the page to format. */
export interface WaitingSummary {
  key:
    | 'noWorkflow'
    | 'closed'
    | 'webhook'
    | 'webhookRetry'
    | 'providerCreate'
    | 'providerCheck'
    | 'buyer'
    | 'callback'
    | 'finishing';
  params: Record<string, string | number>;
  /** Dates among `params`, by name. */
  dates: Record<string, string>;
}

export function waitingSummary(input: WaitingInput): WaitingSummary {
  const { payment, workflow, state } = input;
  if (!workflow) return { key: 'noWorkflow', params: {}, dates: {} };
  if (workflow.status !== 'RUNNING')
    return { key: 'closed', params: { workflow: workflow.status.toLowerCase(), status: payment.status }, dates: {} };
  const notify = input.pending_activities.find((activity) => activity.activity_type === 'notifyMerchant');
  if (notify) {
    return notify.next_attempt_at
      ? { key: 'webhookRetry', params: { attempt: notify.attempt }, dates: { next: notify.next_attempt_at } }
      : { key: 'webhook', params: { attempt: notify.attempt }, dates: {} };
  }
  const provider = input.pending_activities.find(
    (activity) =>
      activity.activity_type === 'createProviderPayment' || activity.activity_type === 'checkProviderPayment',
  );
  if (provider) {
    return {
      key: provider.activity_type === 'createProviderPayment' ? 'providerCreate' : 'providerCheck',
      params: { attempt: provider.attempt },
      dates: {},
    };
  }
  const status = state?.status ?? payment.status;
  if (status === 'awaiting_method') return { key: 'buyer', params: {}, dates: { until: payment.expires_at } };
  if (status === 'awaiting_payment') {
    return {
      key: 'callback',
      params: {
        method: state?.method ?? payment.method ?? '—',
        reference: state?.providerPaymentId ?? input.provider_payment_id ?? '—',
      },
      dates: { until: payment.expires_at },
    };
  }
  return { key: 'finishing', params: { status }, dates: {} };
}

/**
 * The workflow's page in the Temporal UI (`<ui>/namespaces/<namespace>/workflows/<workflow id>`),
 * or null when no UI is configured.
 */
export function temporalUiLink(uiUrl: string | null, namespace: string, workflowId: string): string | null {
  if (!uiUrl) return null;
  let base: URL;
  try {
    base = new URL(uiUrl);
  } catch {
    return null;
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') return null;
  const root = base.href.replace(/\/+$/, '');
  return `${root}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
