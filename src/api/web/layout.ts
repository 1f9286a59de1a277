import { html, type SafeHtml } from './html';

/** Where the web pages' own files (stylesheets, scripts, icons) are served from: `src/api/web/assets/`. */
export const assetsPath = '/assets';

/** What a page puts in its head besides the shared stylesheet. */
export interface DocumentHead {
  /** Refresh the page after `seconds` (to `url` when given); with `withoutScript`, only in a browser that runs no script. */
  refresh?: { seconds: number; url?: string; withoutScript?: boolean };
  /** Scripts (paths under Kassa) loaded with `defer`; no inline script runs under the CSP. */
  scripts?: readonly string[];
  /** Extra stylesheets (paths under Kassa). */
  styles?: readonly string[];
}

function refreshMeta(refresh: NonNullable<DocumentHead['refresh']>): SafeHtml {
  const meta = html`<meta http-equiv="refresh" content="${refresh.seconds}${refresh.url ? `;url=${refresh.url}` : ''}">`;
  return refresh.withoutScript ? html`<noscript>${meta}</noscript>` : meta;
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
${head.refresh ? refreshMeta(head.refresh) : ''}
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
