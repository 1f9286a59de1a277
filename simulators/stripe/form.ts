/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with bracketed keys, as its SDKs
 * send it: `metadata[kassa_payment_id]=pay_1`, `line_items[0][price_data][unit_amount]=1500`,
 * `expand[0]=payment_intent` (or `expand[]=…`). Read into nested objects and arrays.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

function pathOf(key: string): string[] {
  const first = /^[^[]*/.exec(key)![0];
  const rest = [...key.slice(first.length).matchAll(/\[([^\]]*)\]/g)].map((match) => match[1]!);
  return [first, ...rest];
}

function place(target: FormObject | FormValue[], path: string[], value: string): void {
  const [head, ...tail] = path;
  const container = target as Record<string, FormValue>;
  const index = Array.isArray(target) && head === '' ? String(target.length) : head!;
  if (tail.length === 0) {
    container[index] = value;
    return;
  }
  const nextIsArray = /^\d*$/.test(tail[0]!);
  container[index] ??= nextIsArray ? [] : {};
  place(container[index] as FormObject | FormValue[], tail, value);
}

const unsafeKeys = new Set(['__proto__', 'constructor', 'prototype']);

export function parseForm(text: string): FormObject {
  const out: FormObject = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = pathOf(key);
    if (path[0] === '' || path.some((segment) => unsafeKeys.has(segment))) continue;
    place(out, path, value);
  }
  return out;
}

/** A string field, or undefined. */
export function text(form: FormObject | undefined, key: string): string | undefined {
  const value = form?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** An object field (`metadata[...]`), or undefined. */
export function record(form: FormObject | undefined, key: string): FormObject | undefined {
  const value = form?.[key];
  return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

/** A list field (`line_items[0]…`), objects only. */
export function list(form: FormObject | undefined, key: string): FormObject[] {
  const value = form?.[key];
  const items = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value) : [];
  return items.filter((item): item is FormObject => !!item && typeof item === 'object' && !Array.isArray(item));
}

/** Metadata as Stripe keeps it: string values only. */
export function metadataOf(form: FormObject | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(form ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
