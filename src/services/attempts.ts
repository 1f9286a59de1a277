/** A payment's attempts at connectors, and what the operator should know about connectors. */
import { findPaymentById } from '../db/payments';
import { listAttempts, listConnectorEvents as listEvents } from '../db/attempts';
import type { MerchantPrincipal } from '../domain/merchant';
import { notFound } from '../domain/errors';
import type { ServiceDeps } from './deps';
import { getPayment } from './payments';

/** The merchant's payment's attempts, first first. */
export async function listPaymentAttempts(deps: ServiceDeps, principal: MerchantPrincipal, paymentId: string) {
  const payment = await getPayment(deps, principal, paymentId);
  return listAttempts(deps.db, payment.id);
}

/** Any payment's attempts, for the operator. */
export async function listAttemptsAsOperator(deps: ServiceDeps, paymentId: string) {
  const payment = await findPaymentById(deps.db, paymentId);
  if (!payment) throw notFound('payment', 'id');
  return listAttempts(deps.db, payment.id);
}

/** Connector events, newest first. */
export const listConnectorEvents = (deps: ServiceDeps, query: { connectorId?: string; limit: number }) =>
  listEvents(deps.db, query);
