import { type Checkout, verificationFileUrl } from '../domain/checkout';
import { basisPointsToPercent, type FeeSchedule } from '../domain/fees';
import type { ProviderMethod } from '../domain/methods';
import { formatAmount } from '../domain/money';

const formatByCurrency = (amounts: Record<string, bigint>) =>
  Object.fromEntries(Object.entries(amounts).map(([currency, minor]) => [currency, formatAmount(minor, currency)]));

const feeView = (schedule: FeeSchedule) => ({
  percent: basisPointsToPercent(schedule.basisPoints),
  fixed: formatByCurrency(schedule.fixedMinor),
});

/** A secret shown as `********` and its last four characters. */
const masked = (hint: string) => `********${hint}`;

/** A checkout's SCI settings with its keys masked; null until the merchant sets them. */
function sciView(checkout: Checkout) {
  const sci = checkout.sci;
  if (!sci) return null;
  return {
    enabled: sci.enabled,
    checkout_ref: sci.checkoutRef,
    sign_algorithm: sci.signAlgorithm,
    sign_required: sci.signRequired,
    url_override: sci.urlOverride,
    unique_order: sci.uniqueOrder,
    interaction_url: sci.interactionUrl,
    interaction_method: sci.interactionMethod,
    lifetime: sci.lifetime,
    secret_key: masked(checkout.sciKeyHints?.secretKey ?? ''),
    test_key: masked(checkout.sciKeyHints?.testKey ?? ''),
  };
}

/**
 * The Checkout object: settings, the methods enabled now with their conditions and fees, and
 * verification. `offered`: the methods the providers offer in the checkout's mode.
 */
export function checkoutResource(checkout: Checkout, offered: readonly ProviderMethod[], now = new Date()) {
  const settings =
    checkout.methods ??
    offered.map((method) => ({ code: method.code, currencies: null, minAmountMinor: {}, maxAmountMinor: {} }));
  const payer = checkout.feePayer;
  return {
    id: checkout.id,
    object: 'checkout' as const,
    type: checkout.type,
    name: checkout.name,
    site_url: checkout.siteUrl,
    currencies: checkout.currencies,
    notify_url: checkout.notifyUrl,
    success_url: checkout.successUrl,
    fail_url: checkout.failUrl,
    pending_url: checkout.pendingUrl,
    fee_payer: payer.type === 'split' ? { type: 'split' as const, buyer_percent: payer.buyerPercent } : payer.type,
    fee: feeView(checkout.fee),
    methods: settings.flatMap((setting) => {
      const method = offered.find((candidate) => candidate.code === setting.code);
      if (!method) return [];
      return [
        {
          method: method.code,
          title: method.title,
          currencies: setting.currencies,
          min_amount: formatByCurrency(setting.minAmountMinor),
          max_amount: formatByCurrency(setting.maxAmountMinor),
          fee: feeView(checkout.methodFees[method.code] ?? checkout.fee),
        },
      ];
    }),
    methods_configured: checkout.methods !== null,
    verification: {
      status: checkout.verification.status,
      file_url: verificationFileUrl(checkout.siteUrl),
      token: checkout.verification.token,
      verified_at: checkout.verification.verifiedAt?.toISOString() ?? null,
      last_error: checkout.verification.error,
    },
    late_success: checkout.lateSuccess,
    branding: { logo_url: checkout.branding.logoUrl, color: checkout.branding.color },
    locale: checkout.locale,
    sci: sciView(checkout),
    previous_secret_expires_at:
      checkout.previousWebhookSecretExpiresAt && checkout.previousWebhookSecretExpiresAt.getTime() > now.getTime()
        ? checkout.previousWebhookSecretExpiresAt.toISOString()
        : null,
    test_mode: checkout.testMode,
    created_at: checkout.createdAt.toISOString(),
    updated_at: checkout.updatedAt.toISOString(),
  };
}

export type CheckoutResource = ReturnType<typeof checkoutResource>;

/** The Checkout object with its webhook secret: answered once, when the checkout is opened or its secret rotated. */
export const checkoutWithSecretResource = (
  checkout: Checkout,
  offered: readonly ProviderMethod[],
  webhookSecret: string,
  now = new Date(),
) => ({ ...checkoutResource(checkout, offered, now), webhook_secret: webhookSecret });

/** A checkout answer with its SCI keys in full: when SCI is first set up and when its keys are rotated. */
export function withSciKeys<Answer extends CheckoutResource>(
  answer: Answer,
  keys: { secretKey: string; testKey: string },
): Answer {
  if (!answer.sci) return answer;
  return { ...answer, sci: { ...answer.sci, secret_key: keys.secretKey, test_key: keys.testKey } };
}
