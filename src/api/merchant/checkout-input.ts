import type { z } from 'zod';
import type { CheckoutSettingsInput, OpenCheckoutInput } from '../../services/checkouts';
import type { createCheckoutBody, updateCheckoutBody } from '../schemas';

type CheckoutBody = z.output<typeof updateCheckoutBody>;

/** A checkout's body, as the API and the cabinet's forms parse it, as the service's settings. */
export function checkoutSettings(body: z.output<typeof createCheckoutBody>): OpenCheckoutInput;
export function checkoutSettings(body: CheckoutBody): CheckoutSettingsInput;
export function checkoutSettings(body: CheckoutBody): CheckoutSettingsInput {
  return {
    type: body.type,
    name: body.name,
    siteUrl: body.site_url,
    currencies: body.currencies,
    notifyUrl: body.notify_url,
    successUrl: body.success_url,
    failUrl: body.fail_url,
    pendingUrl: body.pending_url,
    feePayer:
      typeof body.fee_payer === 'object'
        ? { type: 'split', buyerPercent: body.fee_payer.buyer_percent }
        : body.fee_payer,
    methods:
      body.methods &&
      body.methods.map((method) => ({
        method: method.method,
        currencies: method.currencies,
        minAmount: method.min_amount,
        maxAmount: method.max_amount,
      })),
    lateSuccess: body.late_success,
    branding: body.branding && { logoUrl: body.branding.logo_url, color: body.branding.color },
    locale: body.locale,
    sci: body.sci && {
      enabled: body.sci.enabled,
      signAlgorithm: body.sci.sign_algorithm,
      signRequired: body.sci.sign_required,
      urlOverride: body.sci.url_override,
      uniqueOrder: body.sci.unique_order,
      interactionUrl: body.sci.interaction_url,
      interactionMethod: body.sci.interaction_method,
      lifetime: body.sci.lifetime,
    },
  };
}
