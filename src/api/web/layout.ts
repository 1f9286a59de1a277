import { html, type SafeHtml } from './html';

/** Where the web pages' own files (stylesheets, scripts, icons) are served from: `src/api/web/assets/`. */
export const assetsPath = '/assets';

/** What a page puts in its head besides the shared stylesheet. */
export interface DocumentHead {
  /** Refresh the page after `seconds` (to `url` when given). */
  refresh?: { seconds: number; url?: string };
  /** Scripts (paths under Kassa) loaded with `defer`; no inline script runs under the CSP. */
  scripts?: readonly string[];
  /** Extra stylesheets (paths under Kassa). */
  styles?: readonly string[];
}

/**
 * A whole HTML document in `locale`: the shared stylesheet, no inline script or style (the CSP
 * allows neither), the page's title after its own part.
 */
export function documentPage(options: {
  locale: string;
  title: string;
  body: SafeHtml;
  head?: DocumentHead;
  bodyClass?: string;
}): string {
  const { head = {} } = options;
  return html`<!doctype html>
<html lang="${options.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
${head.refresh ? html`<meta http-equiv="refresh" content="${head.refresh.seconds}${head.refresh.url ? `;url=${head.refresh.url}` : ''}" />` : ''}
<title>${options.title} · Kassa</title>
<link rel="icon" href="${assetsPath}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${assetsPath}/kassa.css">
${(head.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}" />`)}
${(head.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body${options.bodyClass ? html` class="${options.bodyClass}"` : ''}>
${options.body}
</body>
</html>
`.markup;
}
