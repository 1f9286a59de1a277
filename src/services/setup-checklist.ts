import type { MerchantPrincipal } from '../domain/merchant';
import type { CheckoutResource } from '../resources/checkout';
import { anyChannelOf } from '../db/channels';
import { anyPaymentIn } from '../db/payments';
import { listCheckouts } from './checkouts';
import type { ServiceDeps } from './deps';

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

/** The checklist's steps in three statements: the checkouts, whether any has a channel, whether a test payment was paid. */
export async function setupProgress(deps: ServiceDeps, principal: MerchantPrincipal): Promise<SetupProgress> {
  const checkouts = await listCheckouts(deps, principal);
  const [channelSet, testPaymentMade] = await Promise.all([
    anyChannelOf(
      deps.db,
      checkouts.map((checkout) => checkout.id),
    ),
    anyPaymentIn(deps.db, { merchantId: principal.merchantId, testMode: true }, [
      'paid',
      'partially_refunded',
      'refunded',
    ]),
  ]);
  return {
    checkouts,
    checkoutCreated: checkouts.length > 0,
    siteVerified: checkouts.some((checkout) => checkout.verification.status === 'verified'),
    notificationsSet: checkouts.some((checkout) => checkout.notify_url !== checkout.site_url) || channelSet,
    testPaymentMade,
  };
}
