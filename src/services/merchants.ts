import { insertCheckout, updateCheckout, type Checkout, type CheckoutSettings } from '../db/checkouts';
import { createMerchant, type MerchantPrincipal } from '../db/merchants';
import { newId } from '../domain/ids';
import { newWebhookSecret } from '../domain/signatures';
import { notFound } from '../api/errors';
import type { ServiceDeps } from './deps';

export async function onboardMerchant(deps: Pick<ServiceDeps, 'db'>, input: { name: string; email: string }) {
  const { merchant, apiKeys } = await createMerchant(deps.db, input);
  return {
    id: merchant.id,
    object: 'merchant',
    name: merchant.name,
    email: merchant.email,
    created_at: merchant.createdAt.toISOString(),
    api_keys: apiKeys,
  };
}

export function checkoutResource(checkout: Checkout) {
  return {
    id: checkout.id,
    object: 'checkout',
    name: checkout.name,
    site_url: checkout.siteUrl,
    currencies: checkout.currencies,
    notify_url: checkout.notifyUrl,
    success_url: checkout.successUrl,
    fail_url: checkout.failUrl,
    pending_url: checkout.pendingUrl,
    fee_payer: checkout.feePayer,
    test_mode: checkout.testMode,
    created_at: checkout.createdAt.toISOString(),
    updated_at: checkout.updatedAt.toISOString(),
  };
}

export async function openCheckout(deps: Pick<ServiceDeps, 'db'>, principal: MerchantPrincipal, settings: CheckoutSettings) {
  const checkout = await insertCheckout(deps.db, {
    ...settings,
    id: newId('co'),
    merchantId: principal.merchantId,
    testMode: principal.testMode,
    webhookSecret: newWebhookSecret(),
  });
  return { ...checkoutResource(checkout), webhook_secret: checkout.webhookSecret };
}

export async function changeCheckout(
  deps: Pick<ServiceDeps, 'db'>,
  principal: MerchantPrincipal,
  id: string,
  changes: Partial<CheckoutSettings>,
) {
  const checkout = await updateCheckout(deps.db, principal, id, changes);
  if (!checkout) throw notFound('checkout', 'id');
  return checkoutResource(checkout);
}

/** The API's snake_case checkout fields as repository settings. */
export function checkoutSettings(body: {
  name?: string;
  site_url?: string;
  currencies?: string[];
  notify_url?: string;
  success_url?: string;
  fail_url?: string;
  pending_url?: string;
  fee_payer?: 'merchant' | 'buyer';
}): Partial<CheckoutSettings> {
  return {
    name: body.name,
    siteUrl: body.site_url,
    currencies: body.currencies,
    notifyUrl: body.notify_url,
    successUrl: body.success_url,
    failUrl: body.fail_url,
    pendingUrl: body.pending_url,
    feePayer: body.fee_payer,
  };
}
