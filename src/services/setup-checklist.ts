import type { MerchantPrincipal } from '../domain/merchant';
import type { CheckoutResource } from '../resources/checkout';
import { listCheckoutChannels } from './channels';
import { listCheckouts } from './checkouts';
import type { ServiceDeps } from './deps';
import { listMerchantPayments } from './payments';

/** How far a merchant has come in setting up: each step done or not, from what is stored. */
export interface SetupProgress {
  checkouts: CheckoutResource[];
  /** A checkout exists in this mode. */
  checkoutCreated: boolean;
  /** A checkout of this mode has its site verified. */
  siteVerified: boolean;
  /** A checkout sends notifications somewhere of the merchant's choosing: a notify URL other than its site, or a channel. */
  notificationsSet: boolean;
  /** A test payment was paid (and perhaps refunded since). */
  testPaymentMade: boolean;
}

export async function setupProgress(deps: ServiceDeps, principal: MerchantPrincipal): Promise<SetupProgress> {
  const checkouts = await listCheckouts(deps, principal);
  const channels = await Promise.all(
    checkouts.map((checkout) => listCheckoutChannels(deps, principal, checkout.id).then((list) => list.data.length)),
  );
  const testPrincipal = { ...principal, testMode: true };
  const paid = await Promise.all(
    (['paid', 'partially_refunded', 'refunded'] as const).map((status) =>
      listMerchantPayments(deps, testPrincipal, { status, limit: 1 }).then((page) => page.payments.length > 0),
    ),
  );
  return {
    checkouts,
    checkoutCreated: checkouts.length > 0,
    siteVerified: checkouts.some((checkout) => checkout.verification.status === 'verified'),
    notificationsSet:
      checkouts.some((checkout) => checkout.notify_url !== checkout.site_url) || channels.some((count) => count > 0),
    testPaymentMade: paid.some(Boolean),
  };
}
