import express, { type Request, type Response, Router } from 'express';
import type { CallbackRequest, TranslatedCallback } from '../../providers/types';
import { receiveCallback } from '../../services/callbacks';
import type { ServiceDeps } from '../../services/deps';
import { findUnsafeInput, unstorableInput } from '../input-safety';

/** The fields of a raw callback body, whatever the provider's format: JSON, or a form. */
function parsedFields(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch {
    return Object.fromEntries(new URLSearchParams(rawBody));
  }
}

/**
 * What PostgreSQL cannot store, checked after the signature (a forged callback stays a `401`),
 * before anything is stored: a `400` naming the field of the provider's body.
 */
function storable(callback: TranslatedCallback, rawBody: Buffer): void {
  const text = rawBody.toString('utf8');
  const problem = text.includes('\u0000')
    ? unstorableInput('body', text)
    : (findUnsafeInput(parsedFields(text), [], { cards: false }) ?? findUnsafeInput(callback, [], { cards: false }));
  if (problem) throw problem;
}

function callbackRequest(req: Request): CallbackRequest {
  const query: Record<string, string> = Object.create(null);
  for (const [name, value] of new URL(req.originalUrl, 'http://callback.invalid').searchParams)
    if (!Object.hasOwn(query, name)) query[name] = value;
  return {
    rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    headers: req.headers,
    query,
    method: req.method === 'GET' ? 'GET' : 'POST',
    remoteAddress: req.ip ?? req.socket.remoteAddress ?? '',
    now: new Date(),
  };
}

/**
 * Provider callbacks (docs/api.md §7) at `/callbacks/:provider` and `/callbacks/:provider/:connector_id`,
 * POST or GET: the raw body reaches the connector's verifier untouched, and the answer is the one
 * its provider requires.
 */
export function callbackRoutes(deps: ServiceDeps): Router {
  const router = Router();
  const handle = async (req: Request, res: Response) => {
    const reply = await receiveCallback(deps, {
      provider: String(req.params.provider),
      ...(req.params.connector_id !== undefined && { connectorId: String(req.params.connector_id) }),
      request: callbackRequest(req),
      storable,
    });
    res.status(reply.status).type(reply.contentType).send(reply.body);
  };
  const raw = express.raw({ type: () => true, limit: '64kb' });
  router.post('/:provider', raw, handle);
  router.post('/:provider/:connector_id', raw, handle);
  router.get('/:provider', handle);
  router.get('/:provider/:connector_id', handle);
  return router;
}
