/**
 * The one way Kassa writes HTML, pages and e-mails alike: the `html` tagged template escapes every
 * value put into it, except fragments that are themselves `html` results. So markup is built from
 * templates, never by joining strings, and what a merchant or buyer typed always renders as text.
 */

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML text node or a quoted attribute value. */
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => entities[char]!);

/** Markup already escaped: what `html` returns, and the only value `html` inserts as is. */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** What may stand in a `${}` of an `html` template: text (escaped), a fragment, a list of them, or nothing. */
export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** The auto-escaping template: `html\`<p>${name}</p>\`` escapes `name`; nested `html` fragments stay markup. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let markup = strings[0]!;
  values.forEach((value, index) => {
    markup += render(value) + strings[index + 1]!;
  });
  return new SafeHtml(markup);
}
