/**
 * What a provider's report says it captured for Kassa payments: read by operators' decisions on
 * exceptions and by the exceptions list.
 */
import { capturesInReport, type ProviderCapture } from '../domain/exceptions';
import type { ProviderRegistry } from './registry';

/** How far before a payment's creation the provider's report is read for its captures. */
const reportMarginMs = 60 * 60 * 1000;

/**
 * What `providerName` reports it captured for these Kassa payments since `from`, each capture
 * with what has been refunded of it. Empty when the provider gives no report.
 */
export async function providerCaptures(
  providers: ProviderRegistry,
  providerName: string,
  paymentIds: readonly string[],
  from: Date,
): Promise<ProviderCapture[]> {
  const provider = providers.byProvider(providerName).find((handle) => handle.client.report)?.client;
  if (!provider?.report || paymentIds.length === 0) return [];
  const report = await provider.report({
    from: new Date(from.getTime() - reportMarginMs),
    to: new Date(Date.now() + 60_000),
  });
  return capturesInReport(providerName, report, paymentIds);
}

/** The provider that took a payment's money: its method's, else the one whose callback was flagged. */
export function providerNameOf(
  providers: ProviderRegistry,
  method: string | null,
  flaggedBy: string | undefined,
): string | null {
  const serving = method
    ? providers.all().find((handle) => handle.connector.methods.includes(method))?.connector.provider
    : undefined;
  return serving ?? flaggedBy ?? null;
}
