import { randomBytes } from 'node:crypto';

/** Prefixes of public identifiers (docs/api.md §2). */
export type IdPrefix = 'mer' | 'co' | 'pay' | 'evt' | 're' | 'po' | 'key';

const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A random base62 string of `length` characters (rejection sampling: no modulo bias). */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken(20)}`;
}

export function isId(prefix: IdPrefix, value: string): boolean {
  return new RegExp(`^${prefix}_[0-9A-Za-z]{8,64}$`).test(value);
}
