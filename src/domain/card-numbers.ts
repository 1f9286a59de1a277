/**
 * What counts as a payment card number in text a merchant or buyer gives Kassa (PCI DSS: Kassa
 * never stores one). The API's input guard and the logger's scrubber both ask this module, so they
 * never disagree. A number is card-like when all of these hold:
 * - its digits are written together, or in groups that look like a card's printed grouping: the
 *   first group of 4 digits, the middle ones of 3–6, the last of 1–6 (`4111 1111 1111 1111`,
 *   `3782 822463 10005`, `6759 6498 2643 8453 000`), split by one kind of separator: any run of
 *   white space (spaces, tabs, line breaks), or `-`, `.` or `/`. Inside a longer grouped run any
 *   span of whole groups counts (`ref 12 4111 1111 1111 1111`);
 * - it starts like a card network's number and has one of that network's lengths:
 *   Visa 4 (13, 16, 19); Mastercard 51–55 and 2221–2720 (16); American Express 34, 37 (15);
 *   Mir 2200–2204 (16–19); Maestro 50, 56–69 (12–19); UnionPay 62 (16–19); JCB 3528–3589
 *   (16–19); Discover 6011, 644–649, 65 (16–19); Diners Club 300–305, 36, 38, 39 (14–19);
 * - it passes the Luhn check;
 * - it is not a Russian registration number that happens to look like one: a 12-digit
 *   individual tax number (INN) with both of its check digits right, a 13-digit OGRN starting
 *   with 1 or 5, or a 15-digit OGRNIP starting with 3, with its check digit right. These appear in
 *   receipts and descriptions of Kassa's shops every day; a real card of those lengths that also
 *   passes the registry's check (12-digit Maestro: 1 in 100; 13-digit Maestro and 15-digit Diners:
 *   1 in 10) is very rare, since such cards are hardly issued.
 * Not card-like: digits glued to letters, digits or `_` (ids, hashes); a run after `+` of at most
 * 15 digits (an E.164 phone number); an ungrouped run that is the integer or fraction part of a
 * decimal (`4111111111111111.00`, `12.50`; two long runs around a comma are a list, not a decimal); timestamps and date-based order ids, which start with
 * 1 or 20 and match no network.
 */

/** True for a digit string that passes the Luhn check (what every card number does). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

const between = (digits: string, width: number, low: number, high: number) => {
  const head = Number(digits.slice(0, width));
  return head >= low && head <= high;
};

/** Card networks: whose first digits, and which lengths. */
const networks: { name: string; starts: (digits: string) => boolean; lengths: [number, number] | number[] }[] = [
  { name: 'visa', starts: (d) => d.startsWith('4'), lengths: [13, 16, 19] },
  { name: 'mastercard', starts: (d) => between(d, 2, 51, 55) || between(d, 4, 2221, 2720), lengths: [16] },
  { name: 'amex', starts: (d) => d.startsWith('34') || d.startsWith('37'), lengths: [15] },
  { name: 'mir', starts: (d) => between(d, 4, 2200, 2204), lengths: range(16, 19) },
  { name: 'maestro', starts: (d) => d.startsWith('50') || between(d, 2, 56, 69), lengths: range(12, 19) },
  { name: 'unionpay', starts: (d) => d.startsWith('62'), lengths: range(16, 19) },
  { name: 'jcb', starts: (d) => between(d, 4, 3528, 3589), lengths: range(16, 19) },
  {
    name: 'discover',
    starts: (d) => d.startsWith('6011') || between(d, 3, 644, 649) || d.startsWith('65'),
    lengths: range(16, 19),
  },
  {
    name: 'diners',
    starts: (d) => between(d, 3, 300, 305) || ['36', '38', '39'].includes(d.slice(0, 2)),
    lengths: range(14, 19),
  },
];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

/** The networks whose numbers start like `digits` and have its length (by shape alone, no Luhn). */
export const cardNetworksOf = (digits: string) =>
  networks
    .filter((network) => network.starts(digits) && network.lengths.includes(digits.length))
    .map((network) => network.name);

const weightedCheck = (digits: string, weights: number[]) =>
  (weights.reduce((sum, weight, index) => sum + weight * (digits.charCodeAt(index) - 48), 0) % 11) % 10;

/**
 * True for a Russian registration number by its own check digits: a 12-digit INN (an individual's
 * or a sole trader's tax number), a 13-digit OGRN (a company's registration, starting 1 or 5) or a
 * 15-digit OGRNIP (a sole trader's registration, starting 3).
 */
export function isRussianRegistrationNumber(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  if (digits.length === 12) {
    return (
      weightedCheck(digits, [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) === Number(digits[10]) &&
      weightedCheck(digits, [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) === Number(digits[11])
    );
  }
  if (digits.length === 13 && /^[15]/.test(digits))
    return Number((BigInt(digits.slice(0, 12)) % 11n) % 10n) === Number(digits[12]);
  if (digits.length === 15 && digits.startsWith('3'))
    return Number((BigInt(digits.slice(0, 14)) % 13n) % 10n) === Number(digits[14]);
  return false;
}

/** A card number's digits: a network's first digits and length, Luhn-valid, not a Russian registration number. */
export const isCardNumber = (digits: string) =>
  /^\d{12,19}$/.test(digits) &&
  networks.some((network) => network.lengths.includes(digits.length) && network.starts(digits)) &&
  luhnValid(digits) &&
  !isRussianRegistrationNumber(digits);

/** Digit groups joined by separators that may split a card number; a chain is a maximal such run. */
const chainPattern = /\d+(?:(?:\s+|[-./])\d+)*/g;
const groupPattern = /\d+/g;
const wordChar = /[\p{L}\p{N}_]/u;
const decimalMark = /^[.,]$/;
const isDigit = (char: string | undefined) => char !== undefined && char >= '0' && char <= '9';
/** Which kind a separator is: any white space is one kind; `-`, `.` and `/` each their own. */
const separatorKind = (separator: string) => (/^\s+$/.test(separator) ? ' ' : separator);

export interface CardNumberSpan {
  /** Offset of its first digit in the text. */
  start: number;
  /** Offset just after its last digit. */
  end: number;
  /** Its digits, separators left out. */
  digits: string;
}

const groupingLooksLikeCard = (lengths: number[]) =>
  lengths.length === 1 ||
  (lengths[0] === 4 &&
    lengths.slice(1, -1).every((length) => length >= 3 && length <= 6) &&
    lengths.at(-1)! >= 1 &&
    lengths.at(-1)! <= 6);

/** Every card-like number in `text`, in order, none overlapping. */
export function findCardNumbers(text: string): CardNumberSpan[] {
  const found: CardNumberSpan[] = [];
  if (!/\d{4}/.test(text)) return found;
  for (const chain of text.matchAll(chainPattern)) {
    const chainStart = chain.index!;
    const groups = [...chain[0].matchAll(groupPattern)].map((group) => ({
      start: chainStart + group.index!,
      text: group[0],
    }));
    const total = groups.reduce((sum, group) => sum + group.text.length, 0);
    if (total < 12) continue;
    if (text[chainStart - 1] === '+' && total <= 15) continue; // a phone number in E.164
    /** The separator between group `index - 1` and group `index`. */
    const separator = (index: number) =>
      text.slice(groups[index - 1]!.start + groups[index - 1]!.text.length, groups[index]!.start);
    let first = 0;
    while (first < groups.length) {
      let match: CardNumberSpan | null = null;
      let lastMatched = first;
      const before = text[groups[first]!.start - 1];
      const startsClean = !(before !== undefined && wordChar.test(before) && first === 0);
      let digits = '';
      const lengths: number[] = [];
      const kind = first + 1 < groups.length ? separatorKind(separator(first + 1)) : '';
      for (let last = first; startsClean && last < groups.length; last += 1) {
        if (last > first && separatorKind(separator(last)) !== kind) break;
        digits += groups[last]!.text;
        lengths.push(groups[last]!.text.length);
        if (digits.length > 19) break;
        if (digits.length < 12) continue;
        const end = groups[last]!.start + groups[last]!.text.length;
        const after = text[end];
        if (last === groups.length - 1 && after !== undefined && wordChar.test(after)) continue;
        if (!groupingLooksLikeCard(lengths)) continue;
        if (lengths.length === 1 && isDecimalPart(text, groups[first]!.start, end)) continue;
        if (isCardNumber(digits)) {
          match = { start: groups[first]!.start, end, digits };
          lastMatched = last;
        }
      }
      if (match) {
        found.push(match);
        first = lastMatched + 1;
      } else {
        first += 1;
      }
    }
  }
  return found;
}

/**
 * A lone digit run right after or before a decimal mark with a shorter digit run on its other side
 * (`…1111.00`, `0.4111…`); two long runs around a comma are a list (`4111…1111,5555…4444`).
 */
function isDecimalPart(text: string, start: number, end: number): boolean {
  const shortRunFrom = (at: number, step: 1 | -1) => {
    let length = 0;
    while (length < 12 && isDigit(text[at + step * length])) length += 1;
    return length > 0 && length < 12;
  };
  return (
    (decimalMark.test(text[end] ?? '') && shortRunFrom(end + 1, 1)) ||
    (decimalMark.test(text[start - 1] ?? '') && shortRunFrom(start - 2, -1))
  );
}

/** Where the first card-like number in `text` is, or `null`. */
export const findCardNumber = (text: string): CardNumberSpan | null => findCardNumbers(text)[0] ?? null;

/** Replaces every card-like number in `text` with what `replace` makes of it. */
export function replaceCardNumbers(text: string, replace: (written: string, span: CardNumberSpan) => string): string {
  const spans = findCardNumbers(text);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + replace(text.slice(span.start, span.end), span);
    at = span.end;
  }
  return out + text.slice(at);
}

/**
 * `text` with every card-like number truncated as PCI DSS allows a number to be shown: its first
 * six and last four digits kept, the digits between them `*`, its separators where they were
 * (`4111 1111 1111 1111` → `4111 11** **** 1111`).
 */
export function maskCardNumbers(text: string): string {
  let out = text;
  // A masked number is never card-like again (it holds `*`); the loop only guards against a number
  // the first pass split differently.
  for (let pass = 0; pass < 5 && findCardNumber(out); pass += 1) {
    out = replaceCardNumbers(out, (written, span) => {
      let digitIndex = 0;
      return written.replace(/\d/g, (digit) => {
        digitIndex += 1;
        return digitIndex <= 6 || digitIndex > span.digits.length - 4 ? digit : '*';
      });
    });
  }
  return out;
}

/**
 * True for a JSON integer that could be a card number: card-like digits, or, past 2^53 where
 * JSON has already rounded the digits so that Luhn can no longer tell, a network's first digits and
 * length.
 */
export function isCardLikeInteger(value: number): boolean {
  if (!Number.isInteger(value)) return false;
  const digits = BigInt(Math.abs(value)).toString();
  return Number.isSafeInteger(value) ? isCardNumber(digits) : cardNetworksOf(digits).length > 0;
}
