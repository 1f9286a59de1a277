/**
 * `ik_sign`, Interkassa's signature of an SCI form or interaction: the `ik_*` fields but
 * `ik_sign`, sorted by name as PHP's `ksort($fields, SORT_STRING)` sorts them (byte order of the
 * UTF-8 names), nested arrays (`ik_payway_fields[card][pan]`) sorted the same way at each level and
 * flattened depth first; their values joined with `:`, the key appended last, hashed with md5 or
 * sha256 over the UTF-8 bytes, and the raw digest written in base64.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SciSignAlgorithm } from './interkassa';

/** A form value as PHP reads it: a string, or an array of them keyed by name (`a[b]=…`). */
export type SciValue = string | SciFields;
export interface SciFields {
  [name: string]: SciValue;
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The values of `fields` in signing order: sorted by name at each level, nested arrays flattened in place. */
function orderedValues(fields: SciFields): string[] {
  return Object.keys(fields)
    .sort(byBytes)
    .flatMap((name) => {
      const value = fields[name]!;
      return typeof value === 'string' ? [value] : orderedValues(value);
    });
}

/** The fields a signature covers: every `ik_*` field but `ik_sign`. */
export function signedFields(fields: SciFields): SciFields {
  return Object.fromEntries(Object.entries(fields).filter(([name]) => name.startsWith('ik_') && name !== 'ik_sign'));
}

/** The string that is hashed: the signed values in order, then the key, joined with `:`. */
export function signingString(fields: SciFields, key: string): string {
  return [...orderedValues(signedFields(fields)), key].join(':');
}

/** `ik_sign` for `fields` (an `ik_sign` among them is left out) with `key`. */
export function sciSign(fields: SciFields, key: string, algorithm: SciSignAlgorithm): string {
  return createHash(algorithm).update(signingString(fields, key), 'utf8').digest('base64');
}

/** Whether `fields.ik_sign` is the signature of the other fields with `key`; compared in constant time. */
export function sciSignatureValid(fields: SciFields, key: string, algorithm: SciSignAlgorithm): boolean {
  const given = fields.ik_sign;
  if (typeof given !== 'string' || given === '') return false;
  const expected = Buffer.from(sciSign(fields, key, algorithm), 'utf8');
  const actual = Buffer.from(given, 'utf8');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
