/**
 * Interkassa's interaction (its notification to the merchant): `ik_*` fields by POST (a form body)
 * or GET (the query), signed with `ik_sign` over every `ik_*` field by the checkout's algorithm,
 * with the test key when the payway is the test one and the secret key otherwise.
 */
import type { SciSignAlgorithm } from '../../domain/interkassa';
import { sciSignatureValid } from '../../domain/sci-signature';
import { CallbackVerificationError, type CallbackRequest, type TranslatedCallback } from '../types';
import { INTERKASSA_TEST_PAYWAY, toProviderCallback } from './mapper';

export interface InteractionKeys {
  checkoutId: string;
  secretKey: string;
  testKey: string;
  signAlgorithm: SciSignAlgorithm;
  /** A live connector never takes a test-payway payment as paid. */
  live: boolean;
}

/** The interaction's fields: the form body of a POST, the query of a GET; a repeated name keeps its last value, as PHP does. */
export function interactionFields(
  request: Pick<CallbackRequest, 'method' | 'rawBody' | 'query'>,
): Record<string, string> {
  if (request.method === 'GET') return { ...request.query };
  const text = request.rawBody.toString('utf8');
  if (/^\s*[[{]/.test(text)) throw new CallbackVerificationError('an interaction is a form, not JSON');
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) fields[name] = value;
  return fields;
}

/**
 * Verifies an interaction before anything reads it (its checkout, then `ik_sign` in constant time
 * with the key its payway calls for), then translates it. Throws {@link CallbackVerificationError}
 * for another checkout, a missing or wrong signature.
 */
export function verifyInteraction(keys: InteractionKeys, request: CallbackRequest): TranslatedCallback {
  const fields = interactionFields(request);
  if (fields.ik_co_id !== keys.checkoutId) throw new CallbackVerificationError('interaction for another checkout');
  const testPayway = fields.ik_pw_via === INTERKASSA_TEST_PAYWAY;
  const key = testPayway ? keys.testKey : keys.secretKey;
  if (!sciSignatureValid(fields, key, keys.signAlgorithm))
    throw new CallbackVerificationError(`ik_sign is missing or does not match (${testPayway ? 'test' : 'secret'} key)`);
  if (testPayway && keys.live) return { kind: 'ignored', reason: 'a test-payway payment at a live connector' };
  const callback = toProviderCallback(fields, request.now);
  if (!callback) return { kind: 'ignored', reason: 'the interaction names no Kassa payment' };
  return { kind: 'payment', callback };
}
