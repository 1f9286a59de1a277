import { randomBytes } from 'node:crypto';

/** `<prefix>_` followed by 24 random hex digits. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** The same request body in any key order gives the same fingerprint. */
export function fingerprintOf(body: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(body)
      .sort()
      .map((key) => [key, body[key]]),
  );
}

/** What each idempotency key created, and from which body. */
export class IdempotencyIndex {
  private readonly byKey = new Map<string, { fingerprint: string; id: string }>();

  /** The id created under `key`; `sameBody` is false when the key came with another body. */
  recall(key: string, fingerprint: string): { id: string; sameBody: boolean } | undefined {
    const known = this.byKey.get(key);
    return known && { id: known.id, sameBody: known.fingerprint === fingerprint };
  }

  idOf(key: string): string | undefined {
    return this.byKey.get(key)?.id;
  }

  remember(key: string, fingerprint: string, id: string): void {
    this.byKey.set(key, { fingerprint, id });
  }
}
