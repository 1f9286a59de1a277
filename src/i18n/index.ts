/**
 * Languages: message catalogs and the formats of amounts and dates per locale.
 *
 * A language is a folder `src/i18n/locales/<code>/` of JSON catalogs, one per area (`buyer.json`,
 * `cabinet.json`…); a key is the file's name, then the path inside it (`buyer.pay.title`). Adding
 * a language is adding that folder: it is found at start. A key a language lacks falls back to
 * English. A value is a string with `{name}` placeholders, or plural forms
 * (`{"one": "…", "few": "…", "many": "…", "other": "…"}`, chosen by the `count` parameter).
 */
import fs from 'node:fs';
import path from 'node:path';
import { currencyExponent, formatAmount } from '../domain/money';

/** The language every catalog falls back to. */
export const defaultLocale = 'en';

type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
type Message = string | PluralForms;
type Catalog = ReadonlyMap<string, Message>;

const pluralRules = new Set<string>(['zero', 'one', 'two', 'few', 'many', 'other']);

const isPluralForms = (value: object): value is PluralForms =>
  'other' in value && Object.entries(value).every(([rule, text]) => pluralRules.has(rule) && typeof text === 'string');

function flatten(prefix: string, value: unknown, into: Map<string, Message>, file: string): void {
  if (typeof value === 'string') {
    into.set(prefix, value);
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    if (isPluralForms(value)) {
      into.set(prefix, value);
      return;
    }
    for (const [key, inner] of Object.entries(value)) flatten(`${prefix}.${key}`, inner, into, file);
  } else {
    throw new Error(`${file}: ${prefix} is neither text nor a group of messages`);
  }
}

/** Reads every language folder under `dir`: code → flattened catalog. */
export function loadCatalogs(dir: string): ReadonlyMap<string, Catalog> {
  const catalogs = new Map<string, Catalog>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^[a-z]{2,3}$/.test(entry.name)) continue;
    const messages = new Map<string, Message>();
    for (const file of fs.readdirSync(path.join(dir, entry.name)).sort()) {
      if (!file.endsWith('.json')) continue;
      const location = path.join(dir, entry.name, file);
      flatten(file.slice(0, -'.json'.length), JSON.parse(fs.readFileSync(location, 'utf8')), messages, location);
    }
    catalogs.set(entry.name, messages);
  }
  if (!catalogs.has(defaultLocale)) throw new Error(`${dir} has no ${defaultLocale} catalog`);
  return catalogs;
}

const catalogs = loadCatalogs(path.join(__dirname, 'locales'));

/** The languages Kassa speaks, English first. */
export const availableLocales: readonly string[] = [
  defaultLocale,
  ...[...catalogs.keys()].filter((code) => code !== defaultLocale).sort(),
];

/** A language Kassa speaks, from a tag such as `ru`, `ru-RU` or `RU`; null otherwise. */
export function supportedLocale(tag: string | null | undefined): string | null {
  const code = (tag ?? '').trim().toLowerCase().split(/[-_]/)[0]!;
  return catalogs.has(code) ? code : null;
}

/** The languages of an `Accept-Language` header, most wanted first (q=0 dropped). */
function acceptedLanguages(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag!.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.tag && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map((entry) => entry.tag);
}

/**
 * The language of a page or message: the first explicit choice Kassa speaks (`ik_loc`, `?locale=`,
 * the payment's `locale`, in the order given), then the browser's `Accept-Language`, then the
 * checkout's default, then English.
 */
export function chooseLocale(choice: {
  explicit?: ReadonlyArray<string | null | undefined>;
  acceptLanguage?: string;
  fallback?: string | null;
}): string {
  for (const tag of choice.explicit ?? []) {
    const locale = supportedLocale(tag);
    if (locale) return locale;
  }
  for (const tag of acceptedLanguages(choice.acceptLanguage)) {
    const locale = supportedLocale(tag);
    if (locale) return locale;
  }
  return supportedLocale(choice.fallback) ?? defaultLocale;
}

export type MessageParams = Record<string, string | number | bigint>;

/** Texts and formats in one language. */
export interface Translator {
  readonly locale: string;
  /** The message `key` with its `{placeholders}` filled; plural forms chosen by `params.count`. */
  t(key: string, params?: MessageParams): string;
  /** Whether the catalogs have `key` (in this language or English). */
  has(key: string): boolean;
  /** An amount for people: `1 234,50 ₽`, `RUB 1,234.50`; exact for any bigint. */
  money(minor: bigint, currency: string): string;
  /** A calendar date: `30 нояб. 2026 г.`, `Nov 30, 2026`. */
  date(value: Date): string;
  /** A date and time in UTC. */
  dateTime(value: Date): string;
}

const translators = new Map<string, Translator>();

/** The translator for `locale` (English when Kassa does not speak it). */
export function translator(locale: string | null | undefined): Translator {
  const code = supportedLocale(locale) ?? defaultLocale;
  let found = translators.get(code);
  if (!found) {
    found = makeTranslator(code);
    translators.set(code, found);
  }
  return found;
}

function makeTranslator(locale: string): Translator {
  const own = catalogs.get(locale)!;
  const fallback = catalogs.get(defaultLocale)!;
  const plural = new Intl.PluralRules(locale);
  const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
  const moneyFormats = new Map<string, Intl.NumberFormat>();
  return {
    locale,
    t(key, params = {}) {
      const message = own.get(key) ?? fallback.get(key);
      if (message === undefined) return key;
      const text =
        typeof message === 'string' ? message : (message[plural.select(Number(params.count ?? 0))] ?? message.other);
      return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
        Object.hasOwn(params, name) ? String(params[name]) : whole,
      );
    },
    has: (key) => own.has(key) || fallback.has(key),
    money(minor, currency) {
      let format = moneyFormats.get(currency);
      if (!format) {
        const digits = currencyExponent(currency);
        format = new Intl.NumberFormat(locale, {
          style: 'currency',
          currency,
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        });
        moneyFormats.set(currency, format);
      }
      // a decimal string keeps every digit (Intl.NumberFormat v3 reads it exactly; TypeScript's lib lacks the overload)
      return format.format(formatAmount(minor, currency) as unknown as number);
    },
    date: (value) => dateFormat.format(value),
    dateTime: (value) => dateTimeFormat.format(value),
  };
}
