import { Router } from 'express';
import type { z } from 'zod';
import { payoutFee, walletIsClosed } from '../bank';
import { type SandboxContext, idempotencyKeyOf } from '../context';
import { idempotencyMismatch, invalidRequest, notFound, parseInput } from '../errors';
import { createPayoutSchema } from '../schemas';
import { type SandboxStore, type StoredPayout, fingerprintOf, newId } from '../store';
import { payoutView } from '../views';

type PayoutRequest = z.infer<typeof createPayoutSchema>;

/** Where the money goes, and why the bank refuses it: the failing test card, a closed wallet. */
function resolveDestination(
  store: SandboxStore,
  requested: PayoutRequest['destination'],
): { destination: StoredPayout['destination']; failureReason?: string } {
  if (requested.type === 'wallet') {
    return {
      destination: { type: 'wallet', walletId: requested.wallet_id },
      ...(walletIsClosed(requested.wallet_id) && { failureReason: 'wallet_closed' }),
    };
  }
  const card = store.cardTokens.get(requested.token);
  if (!card) throw invalidRequest('invalid_field', 'destination.token: no such card token', 'destination.token');
  return {
    destination: { type: 'card', token: card.token, last4: card.last4 },
    ...(card.fails && { failureReason: 'card_declined' }),
  };
}

/**
 * Payouts, `POST /api/payouts` and `GET /api/payouts/:id`: paid at once to a tokenized card (less
 * the bank's 1 % fee) or a wallet (no fee), or failed at once when the bank refuses the destination.
 */
export function payoutRoutes({ store, log }: SandboxContext): Router {
  const router = Router();

  router.post('/api/payouts', (req, res) => {
    const key = idempotencyKeyOf(req);
    const body = parseInput(createPayoutSchema, req.body);
    const fingerprint = fingerprintOf(body);
    const known = store.payoutKeys.recall(key, fingerprint);
    if (known) {
      if (!known.sameBody) throw idempotencyMismatch();
      res.status(200).json(payoutView(store.payouts.get(known.id)!));
      return;
    }
    const { destination, failureReason } = resolveDestination(store, body.destination);
    const payout: StoredPayout = {
      id: newId('spo'),
      reference: body.reference,
      amountMinor: body.amount_minor,
      feeMinor: failureReason ? '0' : payoutFee(BigInt(body.amount_minor), destination.type).toString(),
      currency: body.currency,
      destination,
      status: failureReason ? 'failed' : 'paid',
      ...(failureReason !== undefined && { failureReason }),
      createdAt: new Date(),
    };
    store.payouts.set(payout.id, payout);
    store.payoutKeys.remember(key, fingerprint, payout.id);
    log(`payout ${payout.id} (${payout.reference}): ${payout.amountMinor} ${payout.currency} ${payout.status}`);
    res.status(201).json(payoutView(payout));
  });

  router.get('/api/payouts/:id', (req, res) => {
    const payout = store.payouts.get(String(req.params.id));
    if (!payout) throw notFound(`no payout ${String(req.params.id)}`, 'id');
    res.json(payoutView(payout));
  });

  return router;
}
