import type { z } from 'zod';
import { getBalance } from '../../services/balance';
import { createPayout, getPayout, merchantPayouts, type NewPayoutInput } from '../../services/payouts';
import { createRefund, getRefund, paymentRefunds } from '../../services/refunds';
import { listResource } from '../../resources/list';
import { payoutResource } from '../../resources/payout';
import { refundResource } from '../../resources/refund';
import {
  balanceResource,
  createPayoutBody,
  createRefundBody,
  listPayoutsQuery,
  payoutList,
  payoutResource as payoutSchema,
  refundList,
  refundResource as refundSchema,
} from '../money-schemas';
import { merchantRoute } from '../route';

const payoutInput = ({ destination, checkout_id, ...body }: z.output<typeof createPayoutBody>): NewPayoutInput => ({
  ...body,
  checkoutId: checkout_id,
  destination: destination.type === 'card' ? destination : { type: 'wallet' as const, walletId: destination.wallet_id },
});

/** The merchant's balance, refunds and payouts. */
export const moneyRoutes = [
  merchantRoute({
    method: 'get',
    path: '/balance',
    tag: 'Money',
    summary: 'Your balance per currency',
    description:
      'From the ledger: `available` (refundable, withdrawable), `pending` and `reserved` (held for refunds and payouts in flight).',
    ok: { status: 200, description: 'The balance in the key’s mode', schema: balanceResource },
    handle: ({ deps, principal }) => getBalance(deps, principal),
  }),
  merchantRoute({
    method: 'post',
    path: '/payments/:id/refunds',
    tag: 'Money',
    summary: 'Refund a payment, in full or in part',
    description:
      'Never more in total than the buyer paid, even with concurrent requests (`400 amount_too_large`). Kassa gives back the same share of its commission; ' +
      'your balance gives the rest (`400 balance_insufficient` when it cannot). The payment becomes `partially_refunded` or `refunded` and `payment.refunded` is sent.',
    body: createRefundBody,
    missingBody: 'empty',
    ok: { status: 201, description: 'The refund, `pending` until the provider answers', schema: refundSchema },
    handle: async ({ deps, principal, params, body, idempotency }) =>
      refundResource(await createRefund(deps, principal, params.id!, body, idempotency)),
  }),
  merchantRoute({
    method: 'get',
    path: '/payments/:id/refunds',
    tag: 'Money',
    summary: "A payment's refunds",
    ok: { status: 200, description: 'Oldest first', schema: refundList },
    handle: async ({ deps, principal, params }) =>
      listResource((await paymentRefunds(deps, principal, params.id!)).map(refundResource)),
  }),
  merchantRoute({
    method: 'get',
    path: '/refunds/:id',
    tag: 'Money',
    summary: 'A refund',
    ok: { status: 200, description: 'The refund', schema: refundSchema },
    handle: async ({ deps, principal, params }) => refundResource(await getRefund(deps, principal, params.id!)),
  }),
  merchantRoute({
    method: 'post',
    path: '/payouts',
    tag: 'Money',
    summary: 'Withdraw to a card or a wallet',
    description:
      'Reserves the amount from your available balance (`400 balance_insufficient` when it is not there), pays out, and deducts only the bank’s fee. ' +
      'A card is given as the provider’s token and kept only as that token and its last four digits. `payout.paid` or `payout.failed` follows.',
    body: createPayoutBody,
    ok: { status: 201, description: 'The payout, `pending` until the provider answers', schema: payoutSchema },
    handle: async ({ deps, principal, body, idempotency }) =>
      payoutResource(await createPayout(deps, principal, payoutInput(body), idempotency)),
  }),
  merchantRoute({
    method: 'get',
    path: '/payouts',
    tag: 'Money',
    summary: 'Your payouts, newest first',
    query: listPayoutsQuery,
    ok: { status: 200, description: 'The latest payouts', schema: payoutList },
    handle: async ({ deps, principal, query: { limit } }) => {
      const payouts = await merchantPayouts(deps, principal, limit + 1);
      return listResource(payouts.slice(0, limit).map(payoutResource), payouts.length > limit);
    },
  }),
  merchantRoute({
    method: 'get',
    path: '/payouts/:id',
    tag: 'Money',
    summary: 'A payout',
    ok: { status: 200, description: 'The payout', schema: payoutSchema },
    handle: async ({ deps, principal, params }) => payoutResource(await getPayout(deps, principal, params.id!)),
  }),
];
