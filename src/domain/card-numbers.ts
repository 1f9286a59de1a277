/**
 * What counts as a payment card number in text a merchant or buyer gives Kassa (PCI DSS: Kassa
 * never stores one). A number is card-like when it
 * - has 12 to 19 digits, written together or in groups split by single spaces or dashes
 *   (`4111 1111 1111 1111`, `4111-1111-1111-1111`); inside a longer grouped run, any span of
 *   whole groups counts;
 * - starts like a card network's number: 22–27 (Mir, Mastercard), 3 (Amex, JCB, Diners),
 *   4 (Visa), 5 (Mastercard, Maestro), 6 (Discover, UnionPay, Maestro);
 * - passes the Luhn check.
 * Not card-like: digits glued to letters or `_` (ids, hashes), a run after `+` of at most 15
 * digits (an E.164 phone number), the integer or fraction part of a decimal (`4111…1111.00`),
 * a single run of more than 19 digits. Timestamps and most numeric order ids start with 1 or 20
 * and so never match.
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

const startsLikeCard = (digits: string) => /^(?:2[2-7]|[3-6])/.test(digits);

/** A card number's digits: 12–19 of them, a network's first digits, Luhn-valid. */
export const isCardNumber = (digits: string) => digits.length >= 12 && digits.length <= 19 && startsLikeCard(digits) && luhnValid(digits);

const digitRun = /\d+(?:[ -]\d+)*/g;
const wordChar = /[\p{L}\p{N}_]/u;
const decimalMark = /[.,]/;
const isDigit = (char: string | undefined) => char !== undefined && char >= '0' && char <= '9';

/** Where the first card-like number in `text` is, or `null`. */
export function findCardNumber(text: string): { start: number; end: number } | null {
  if (!/\d{4}/.test(text.replace(/[ -]/g, ''))) return null;
  for (const match of text.matchAll(digitRun)) {
    const start = match.index!;
    const end = start + match[0].length;
    const before = text[start - 1];
    const after = text[end];
    if ((before && wordChar.test(before)) || (after && wordChar.test(after))) continue;
    if (after && decimalMark.test(after) && isDigit(text[end + 1])) continue;
    if (before && decimalMark.test(before) && isDigit(text[start - 2])) continue;
    const groups = match[0].split(/[ -]/);
    const total = groups.reduce((sum, group) => sum + group.length, 0);
    if (before === '+' && total <= 15) continue;
    if (total < 12) continue;
    let offset = start;
    const starts = groups.map((group) => {
      const at = offset;
      offset += group.length + 1;
      return at;
    });
    for (let first = 0; first < groups.length; first += 1) {
      let digits = '';
      for (let last = first; last < groups.length && digits.length < 19; last += 1) {
        digits += groups[last];
        if (isCardNumber(digits)) return { start: starts[first]!, end: starts[last]! + groups[last]!.length };
      }
    }
  }
  return null;
}
