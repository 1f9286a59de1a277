/**
 * What the merchant API reads on every request, kept in memory: the principal of an API key (by the
 * key's SHA-256, as the database keeps it) and checkouts (by id).
 *
 * An entry is served only while this process listens for changes (src/db/lookup-invalidation.ts):
 * every change or removal of a key, checkout or merchant, whoever makes it, reaches every process on
 * commit and drops what it touched. While the listening connection is down nothing is served from
 * memory, and on reconnecting everything kept is dropped. Entries also expire after `ttlMs` and there
 * are at most `maxEntries` of each kind. A key that is not found (unknown, revoked) is never kept, so
 * a revoked key is refused by every process as soon as the change is heard.
 *
 * A read that started before a change was heard is not kept (a generation counter), so an answer
 * the database gave before a revocation committed cannot outlive the revocation's notice.
 */
import type { Pool } from 'pg';
import { findCheckout, findCheckoutById } from '../db/checkouts';
import { findPrincipalByApiKey, hashApiKey } from '../db/merchants';
import { listenForLookupChanges, type LookupListener } from '../db/lookup-invalidation';
import type { Checkout } from '../domain/checkout';
import type { MerchantPrincipal, MerchantScope } from '../domain/merchant';

export interface LookupCacheOptions {
  /** How long an entry is served at most, changes heard or not. */
  ttlMs: number;
  /** Entries kept per kind; the oldest goes first. */
  maxEntries: number;
}

export const defaultLookupCacheOptions: LookupCacheOptions = { ttlMs: 30_000, maxEntries: 10_000 };

interface Entry<T> {
  value: T;
  expiresAt: number;
}

class Shelf<T> {
  private readonly entries = new Map<string, Entry<T>>();
  constructor(private readonly options: LookupCacheOptions) {}

  get(id: string): T | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.entries.delete(id);
    return undefined;
  }

  set(id: string, value: T) {
    this.entries.delete(id);
    this.entries.set(id, { value, expiresAt: Date.now() + this.options.ttlMs });
    if (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(id: string) {
    this.entries.delete(id);
  }

  deleteWhere(matches: (value: T) => boolean) {
    for (const [id, entry] of this.entries) if (matches(entry.value)) this.entries.delete(id);
  }

  clear() {
    this.entries.clear();
  }

  get size() {
    return this.entries.size;
  }
}

export class LookupCache implements LookupListener {
  private readonly principals: Shelf<MerchantPrincipal>;
  private readonly checkouts: Shelf<Checkout>;
  private generation = 0;
  private heard = false;

  constructor(
    private readonly db: Pool,
    options: LookupCacheOptions = defaultLookupCacheOptions,
  ) {
    this.principals = new Shelf(options);
    this.checkouts = new Shelf(options);
  }

  /** The principal of an API key as {@link findPrincipalByApiKey} answers it; `null` is never kept. */
  async principal(key: string): Promise<MerchantPrincipal | null> {
    const hash = hashApiKey(key);
    const kept = this.heard ? this.principals.get(hash) : undefined;
    if (kept) return kept;
    return this.keep(this.principals, hash, () => findPrincipalByApiKey(this.db, key));
  }

  /** A checkout by id alone (a payment's own checkout), as {@link findCheckoutById} answers it; `null` is never kept. */
  async checkoutById(id: string): Promise<Checkout | null> {
    const kept = this.heard ? this.checkouts.get(id) : undefined;
    return kept ?? this.keep(this.checkouts, id, () => findCheckoutById(this.db, id));
  }

  /** A checkout as {@link findCheckout} answers it: only to its own merchant, in its own mode. */
  async checkout(owner: MerchantScope, id: string): Promise<Checkout | null> {
    const checkout = await this.checkoutById(id);
    return checkout?.merchantId === owner.merchantId && checkout.testMode === owner.testMode ? checkout : null;
  }

  private async keep<T>(shelf: Shelf<T>, id: string, load: () => Promise<T | null>): Promise<T | null> {
    const generation = this.generation;
    const value = await load();
    if (value !== null && this.heard && generation === this.generation) shelf.set(id, value);
    return value;
  }

  /** Drops what a change touched: `api_key:<id>`, `checkout:<id>` or `merchant:<id>`; anything else drops all. */
  changed(message: string) {
    this.generation++;
    const separator = message.indexOf(':');
    const kind = message.slice(0, separator);
    const id = message.slice(separator + 1);
    if (kind === 'api_key') this.principals.deleteWhere((principal) => principal.keyId === id);
    else if (kind === 'checkout') this.checkouts.delete(id);
    else if (kind === 'merchant') {
      this.principals.deleteWhere((principal) => principal.merchantId === id);
      this.checkouts.deleteWhere((checkout) => checkout.merchantId === id);
    } else this.clear();
  }

  connected() {
    this.clear();
    this.heard = true;
  }

  disconnected() {
    this.heard = false;
    this.clear();
  }

  /** Whether kept entries are served: only while changes are heard. */
  get serving() {
    return this.heard;
  }

  /** How many entries are kept, of each kind. */
  get size() {
    return { principals: this.principals.size, checkouts: this.checkouts.size };
  }

  private clear() {
    this.generation++;
    this.principals.clear();
    this.checkouts.clear();
  }
}

/** A cache of `db`'s keys and checkouts, listening for their changes; `stop` ends the listening. */
export function startLookupCache(
  db: Pool,
  options: LookupCacheOptions = defaultLookupCacheOptions,
): { lookups: LookupCache; stop: () => Promise<void> } {
  const lookups = new LookupCache(db, options);
  return { lookups, stop: listenForLookupChanges(db, lookups) };
}

/** The principal of a key, through the cache when there is one. */
export const cachedPrincipal = (db: Pool, lookups: LookupCache | undefined, key: string) =>
  lookups ? lookups.principal(key) : findPrincipalByApiKey(db, key);

/** A payment's checkout, by id alone, through the cache when there is one. */
export const cachedCheckoutById = (db: Pool, lookups: LookupCache | undefined, id: string) =>
  lookups ? lookups.checkoutById(id) : findCheckoutById(db, id);

/** The owner's checkout, through the cache when there is one. */
export const cachedCheckout = (db: Pool, lookups: LookupCache | undefined, owner: MerchantScope, id: string) =>
  lookups ? lookups.checkout(owner, id) : findCheckout(db, owner, id);
