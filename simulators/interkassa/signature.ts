import { createHash, timingSafeEqual } from 'node:crypto';

export type SignAlgorithm = 'md5' | 'sha256';

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/**
 * `ik_sign` as Interkassa's SCI documentation describes it: every `ik_*` field but `ik_sign`,
 * sorted by name (PHP's `ksort(…, SORT_STRING)`: byte order), their values joined with `:`, the
 * key appended last, hashed with the checkout's algorithm, the raw digest in base64.
 */
export function ikSign(fields: Record<string, string>, key: string, algorithm: SignAlgorithm): string {
  const values = Object.keys(fields)
    .filter((name) => name.startsWith('ik_') && name !== 'ik_sign')
    .sort(byBytes)
    .map((name) => fields[name]!);
  return createHash(algorithm)
    .update([...values, key].join(':'), 'utf8')
    .digest('base64');
}

/** Whether `fields.ik_sign` signs the other fields with `key`, compared in constant time. */
export function ikSignValid(fields: Record<string, string>, key: string, algorithm: SignAlgorithm): boolean {
  const given = Buffer.from(fields.ik_sign ?? '', 'utf8');
  const expected = Buffer.from(ikSign(fields, key, algorithm), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
