/**
 * The request being served, for any layer that wants to name it (logs, workflow ids of actions it
 * starts) without knowing HTTP. The API's request middleware (src/api/request-context.ts) fills it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from './logger';

export interface RequestContext {
  requestId: string;
  /** The request's logger, bound to its request id. */
  log: Logger;
  paymentId?: string;
  workflowId?: string;
}

/** The store the API's request middleware runs each request in. */
export const requestScope = new AsyncLocalStorage<RequestContext>();

/** The context of the request being served, when there is one. */
export const currentRequest = (): RequestContext | undefined => requestScope.getStore();

/** Records that the current request concerns a payment or a workflow (a payment's workflow names its payment). */
export function annotateRequest(fields: { paymentId?: string; workflowId?: string }): void {
  const context = requestScope.getStore();
  if (!context) return;
  if (fields.workflowId) {
    context.workflowId ??= fields.workflowId;
    const paymentId = /^payment-(pay_[0-9A-Za-z]+)$/.exec(fields.workflowId)?.[1];
    if (paymentId) context.paymentId ??= paymentId;
  }
  if (fields.paymentId) context.paymentId ??= fields.paymentId;
}
