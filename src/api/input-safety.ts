/**
 * Input that must never reach PostgreSQL, a workflow, an e-mail or a log as it came, handled at the
 * door before any route parses it:
 * - characters PostgreSQL cannot store (NUL in `text`, NUL and unpaired UTF-16 surrogates in
 *   `jsonb`) are refused with `400 invalid_character` naming the field;
 * - a payment card number (`src/domain/card-numbers.ts`) in a merchant's or buyer's body is
 *   masked in free text and refused everywhere else (see {@link cardPolicyAt}).
 */
import type { RequestHandler } from 'express';
import { findCardNumber, isCardLikeInteger, maskCardNumbers } from '../domain/card-numbers';
import { ApiError } from './errors';

/** NUL, or a surrogate without its other half. */
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const hasUnstorableCharacter = (text: string) => unstorable.test(text);

const describeUnstorable = (text: string) =>
  text.includes('\u0000') ? 'a NUL character' : 'an unpaired UTF-16 surrogate';

/** A key as it can be shown in `param`: unstorable characters written as `\uXXXX`. */
const printable = (key: string) =>
  key.replace(/\u0000|[\ud800-\udfff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

const joinParam = (path: string[]) => path.map(printable).join('.');

export const unstorableInput = (param: string, text: string) =>
  new ApiError(
    400,
    'invalid_request_error',
    'invalid_character',
    `${param} contains ${describeUnstorable(text)}, which cannot be stored`,
    param,
  );

export const cardDataRefused = (param: string) =>
  new ApiError(
    400,
    'invalid_request_error',
    'card_data_refused',
    `${param} looks like a payment card number; Kassa never stores card data (the buyer enters the card on the provider's page)`,
    param,
  );

/**
 * Where a card-like number in a body is masked rather than refused: the free text a person reads,
 * `description`, `name` (a checkout's or merchant's), `delivery.method` and each `metadata` value.
 * There a Russian tax number or a note that happens to look like a card costs the merchant a
 * masked note, never a refused payment, and a buyer who pasted a card into a note has it truncated
 * as PCI DSS allows it to be shown (first six and last four digits kept, the rest `*`).
 *
 * Everywhere else, `order_id`, URLs (`download_url`, `notify_url`, …), ids, tokens, phone numbers,
 * `metadata` keys and JSON integers (a Telegram `chat_id`), such a number is refused with
 * `400 card_data_refused`: these are keys and links the merchant looks things up by, and masking
 * them would silently change them; a number cannot be masked at all.
 */
export function cardPolicyAt(path: readonly string[]): 'mask' | 'refuse' {
  const [first, second] = path;
  if (path.length === 1 && (first === 'description' || first === 'name')) return 'mask';
  if (path.length === 2 && (first === 'metadata' || (first === 'delivery' && second === 'method'))) return 'mask';
  return 'refuse';
}

/**
 * The first problem in a parsed value (strings, arrays, objects, keys included), as a `400`
 * naming its path; `null` when all of it can be stored. `cards` also refuses card-like numbers,
 * in text or as a JSON integer, wherever {@link cardPolicyAt} does not mask them. A card-like key
 * is refused naming the object that holds it, so the answer never repeats the number.
 */
export function findUnsafeInput(value: unknown, path: string[], options: { cards: boolean }): ApiError | null {
  const stack: [unknown, string[]][] = [[value, path]];
  while (stack.length > 0) {
    const [current, at] = stack.pop()!;
    if (typeof current === 'string') {
      const param = joinParam(at) || 'body';
      if (hasUnstorableCharacter(current)) return unstorableInput(param, current);
      if (options.cards && cardPolicyAt(at) === 'refuse' && findCardNumber(current)) return cardDataRefused(param);
    } else if (typeof current === 'number') {
      if (options.cards && isCardLikeInteger(current)) return cardDataRefused(joinParam(at) || 'body');
    } else if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index -= 1) stack.push([current[index], [...at, String(index)]]);
    } else if (current !== null && typeof current === 'object') {
      const entries = Object.entries(current);
      for (const [key] of entries) {
        const param = joinParam([...at, key]);
        if (hasUnstorableCharacter(key)) return unstorableInput(param, key);
        if (options.cards && findCardNumber(key)) return cardDataRefused(joinParam(at) || 'body');
      }
      for (let index = entries.length - 1; index >= 0; index -= 1)
        stack.push([entries[index]![1], [...at, entries[index]![0]]]);
    }
  }
  return null;
}

/** Masks card-like numbers, in place, in the free text of a parsed body ({@link cardPolicyAt}). */
export function maskFreeText(body: unknown): void {
  const visit = (holder: Record<string, unknown>, at: string[]) => {
    for (const [key, item] of Object.entries(holder)) {
      const path = [...at, key];
      if (typeof item === 'string') {
        if (cardPolicyAt(path) === 'mask') holder[key] = maskCardNumbers(item);
      } else if (path.length < 2 && item !== null && typeof item === 'object' && !Array.isArray(item)) {
        visit(item as Record<string, unknown>, path);
      }
    }
  };
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) visit(body as Record<string, unknown>, []);
}

/** The name a route gives the path segment after `previous` (every route calls an object's id `id`). */
const paramAfter: Record<string, string> = {
  events: 'event_id',
  keys: 'key_id',
  channels: 'channel',
  callbacks: 'provider',
};

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
 * Guards a request before any route sees it: a path, query or parsed body holding an unstorable
 * character is refused, and so is a card-like number in a body outside free text; card-like
 * numbers in free text are masked in `req.body` itself, so the route, PostgreSQL, workflow payloads,
 * e-mails, the idempotency record and the answer only ever see the masked text. A path or query is
 * never stored (it only finds things); the logger masks card numbers in it. A body that is not an
 * object is left to the route. Mount it after the body parser of the routes it guards.
 */
export function refuseUnsafeInput(): RequestHandler {
  return (req, _res, next) => {
    // Every body Kassa takes is an object; any other is left to the route, which refuses it as a whole.
    const parsed: unknown = req.body;
    const body =
      parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && !Buffer.isBuffer(parsed)
        ? parsed
        : undefined;
    const problem =
      unsafePathSegment(req.path) ??
      findUnsafeInput(req.query, [], { cards: false }) ??
      findUnsafeInput(body, [], { cards: true });
    if (!problem) maskFreeText(body);
    next(problem ?? undefined);
  };
}
