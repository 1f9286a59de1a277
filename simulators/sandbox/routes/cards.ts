import express, { Router } from 'express';
import { FAILING_CARD, cardBrand } from '../bank';
import type { SandboxContext } from '../context';
import { notFound, parseInput } from '../errors';
import { cardSchema } from '../schemas';
import { type StoredCardToken, newId } from '../store';
import { cardTokenView } from '../views';

/**
 * Card tokens. `POST /card-tokens` is the card holder's side (no API key, JSON or a form, as a
 * provider's card form): a card number becomes a token here, and Kassa only ever sees the token.
 * `GET /api/card-tokens/:token` is Kassa's lookup.
 */
export function cardRoutes({ store }: SandboxContext): Router {
  const router = Router();

  router.post(
    '/card-tokens',
    express.json({ limit: '8kb' }),
    express.urlencoded({ extended: false, limit: '8kb' }),
    (req, res) => {
      const card = parseInput(cardSchema, req.body ?? {});
      const stored: StoredCardToken = {
        token: newId('ctok'),
        last4: card.number.slice(-4),
        brand: cardBrand(card.number),
        fails: card.number === FAILING_CARD,
      };
      store.cardTokens.set(stored.token, stored);
      res.status(201).json(cardTokenView(stored));
    },
  );

  router.get('/api/card-tokens/:token', (req, res) => {
    const card = store.cardTokens.get(String(req.params.token));
    if (!card) throw notFound('no such card token', 'token');
    res.json(cardTokenView(card));
  });

  return router;
}
