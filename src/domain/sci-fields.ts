/**
 * Form fields as PHP reads them into `$_POST`/`$_GET`, which is how a shop built for Interkassa
 * names and signs them: `a[b][c]=v` nests, `a[]=v` appends with the next integer key, a later
 * field of the same name replaces an earlier one, and `.` or space in a top-level name reads as `_`.
 */
import type { SciFields, SciValue } from './sci-signature';

/** The deepest nesting taken (`a[1][2][3][4]` is four levels); PHP's own default is 64. */
export const maxSciNesting = 4;

export class SciFieldsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'SciFieldsError';
  }
}

/** An object without a prototype, so that a field named `__proto__` or `constructor` is only a field. */
const bag = (): SciFields => Object.create(null) as SciFields;

/** `name` split as PHP splits it: the base, then each bracketed key (`''` for `[]`). */
function nameParts(name: string): { base: string; keys: string[] } {
  const open = name.indexOf('[');
  if (open <= 0) return { base: name.replace(/[. []/g, '_'), keys: [] };
  const base = name.slice(0, open).replace(/[. ]/g, '_');
  const keys: string[] = [];
  let rest = name.slice(open);
  while (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) break;
    keys.push(rest.slice(1, close));
    rest = rest.slice(close + 1);
  }
  // PHP drops what follows the last closing bracket; a name that opens no complete bracket is plain.
  if (keys.length === 0) return { base: name.replace(/[. []/g, '_'), keys: [] };
  return { base, keys };
}

/** The next integer key of `target`, as PHP's `$a[] = …` picks it. */
function nextIndex(target: SciFields): string {
  const integers = Object.keys(target)
    .filter((key) => /^(0|-?[1-9][0-9]*)$/.test(key))
    .map(Number);
  return String(integers.length === 0 ? 0 : Math.max(...integers) + 1);
}

/** The fields of a form, nested as PHP nests them. Throws {@link SciFieldsError} past {@link maxSciNesting}. */
export function phpFields(pairs: Iterable<readonly [string, string]>): SciFields {
  const fields = bag();
  for (const [name, value] of pairs) {
    const { base, keys } = nameParts(name);
    if (base === '') continue;
    if (keys.length > maxSciNesting) {
      throw new SciFieldsError(base, `${base} is nested deeper than ${maxSciNesting} levels`);
    }
    let target = fields;
    let key = base;
    for (const next of keys) {
      const existing: SciValue | undefined = target[key];
      const child = existing !== undefined && typeof existing !== 'string' ? existing : bag();
      target[key] = child;
      target = child;
      key = next === '' ? nextIndex(child) : next;
    }
    target[key] = value;
  }
  return fields;
}
