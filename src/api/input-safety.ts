/**
 * Input that must never reach PostgreSQL or a log, refused at the door with a `400` naming the
 * field: characters PostgreSQL cannot store (NUL in `text`, NUL and unpaired UTF-16 surrogates
 * in `jsonb`) and, in merchant and buyer text, anything that looks like a payment card number
 * (`src/domain/card-numbers.ts`). Refused rather than cleaned: silently changing a merchant's
 * order id or metadata would break its own records.
 */
import type { RequestHandler } from 'express';
import { findCardNumber } from '../domain/card-numbers';
import { ApiError } from './errors';

/** NUL, or a surrogate without its other half. */
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const hasUnstorableCharacter = (text: string) => unstorable.test(text);

const describeUnstorable = (text: string) => (text.includes('\u0000') ? 'a NUL character' : 'an unpaired UTF-16 surrogate');

/** A key as it can be shown in `param`: unstorable characters written as `\uXXXX`. */
const printable = (key: string) =>
  key.replace(/\u0000|[\ud800-\udfff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

const joinParam = (path: string[]) => path.map(printable).join('.');

export const unstorableInput = (param: string, text: string) =>
  new ApiError(400, 'invalid_request_error', 'invalid_character', `${param} contains ${describeUnstorable(text)}, which cannot be stored`, param);

export const cardDataRefused = (param: string) =>
  new ApiError(
    400,
    'invalid_request_error',
    'card_data_refused',
    `${param} looks like a payment card number; Kassa never stores card data (the buyer enters the card on the provider's page)`,
    param,
  );

/**
 * The first problem in a parsed value (strings, arrays, objects, keys included), as a `400`
 * naming its path; `null` when all of it can be stored. `cards` also refuses card-like numbers,
 * in text or as a JSON integer.
 */
export function findUnsafeInput(value: unknown, path: string[], options: { cards: boolean }): ApiError | null {
  const stack: [unknown, string[]][] = [[value, path]];
  while (stack.length > 0) {
    const [current, at] = stack.pop()!;
    if (typeof current === 'string') {
      const param = joinParam(at) || 'body';
      if (hasUnstorableCharacter(current)) return unstorableInput(param, current);
      if (options.cards && findCardNumber(current)) return cardDataRefused(param);
    } else if (typeof current === 'number') {
      if (options.cards && Number.isSafeInteger(current) && findCardNumber(String(Math.abs(current)))) return cardDataRefused(joinParam(at) || 'body');
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1) stack.push([current[index], [...at, String(index)]]);
    } else if (current !== null && typeof current === 'object') {
      const entries = Object.entries(current);
      for (const [key] of entries) {
        const param = joinParam([...at, key]);
        if (hasUnstorableCharacter(key)) return unstorableInput(param, key);
        if (options.cards && findCardNumber(key)) return cardDataRefused(joinParam(at) || 'body');
      }
      for (let index = entries.length - 1; index >= 0; index -= 1) stack.push([entries[index]![1], [...at, entries[index]![0]]]);
    }
  }
  return null;
}

/** The name a route gives the path segment after `previous` (every route calls an object's id `id`). */
const paramAfter: Record<string, string> = { events: 'event_id', keys: 'key_id', channels: 'channel', callbacks: 'provider' };

function unsafePathSegment(path: string): ApiError | null {
  const segments = path.split('/');
  for (let index = 0; index < segments.length; index += 1) {
    let segment: string;
    try {
      segment = decodeURIComponent(segments[index]!);
    } catch {
      continue; // the router answers 400 for a malformed escape
    }
    if (hasUnstorableCharacter(segment)) return unstorableInput(paramAfter[segments[index - 1] ?? ''] ?? 'id', segment);
  }
  return null;
}

/**
 * Refuses a request whose path, query or parsed body holds an unstorable character, or whose body
 * holds a card-like number (what a body carries is stored; a path or query only finds things, and
 * the logger masks card numbers in it). Mount it after the body parser of the routes it guards.
 */
export function refuseUnsafeInput(): RequestHandler {
  return (req, _res, next) => {
    const problem =
      unsafePathSegment(req.path) ??
      findUnsafeInput(req.query, [], { cards: false }) ??
      (req.body === undefined || Buffer.isBuffer(req.body) ? null : findUnsafeInput(req.body, [], { cards: true }));
    next(problem ?? undefined);
  };
}
