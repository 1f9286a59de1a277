import express, { Router } from 'express';
import type { ProviderRegistry } from '../../providers/registry';
import type { PaymentProvider } from '../../providers/types';
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
 * A provider whose verified callbacks are also checked for what PostgreSQL cannot store: after
 * the signature (a forged callback stays a `401`), before anything is stored. The problem is a
 * `400` naming the field of the provider's body.
 */
function storable(provider: PaymentProvider): PaymentProvider {
  return Object.assign(Object.create(provider) as PaymentProvider, {
    verifyCallback(rawBody: Buffer, headers: Record<string, string | string[] | undefined>, now: Date) {
      const callback = provider.verifyCallback(rawBody, headers, now);
      const text = rawBody.toString('utf8');
      const problem = text.includes('\u0000')
        ? unstorableInput('body', text)
        : (findUnsafeInput(parsedFields(text), [], { cards: false }) ??
          findUnsafeInput(callback, [], { cards: false }));
      if (problem) throw problem;
      return callback;
    },
  });
}

function storableProviders(registry: ProviderRegistry): ProviderRegistry {
  return {
    byName: (name) => {
      const provider = registry.byName(name);
      return provider && storable(provider);
    },
    forMethod: (code) => registry.forMethod(code),
    methods: (testMode) => registry.methods(testMode),
  };
}

/** Provider callbacks (docs/api.md §7): the raw body reaches the provider's verifier untouched. */
export function callbackRoutes(deps: ServiceDeps): Router {
  const router = Router();
  const checked: ServiceDeps = { ...deps, providers: storableProviders(deps.providers) };
  router.post('/:provider', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await receiveCallback(checked, req.params.provider, body, req.headers);
    res.json({ received: true });
  });
  return router;
}
