// The image's HEALTHCHECK: exits 0 when GET on the URL given (default: this container's
// http://127.0.0.1:$PORT/readyz) answers 2xx within 4 s, else 1. Plain JavaScript: no build step.
const listen = process.env.HOST;
const host =
  !listen || listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen.includes(':') ? `[${listen}]` : listen;
const url = process.argv[2] || `http://${host}:${process.env.PORT || 3000}/readyz`;

fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (response) => {
    if (!response.ok) console.error(`${url} answered ${response.status}`);
    process.exit(response.ok ? 0 : 1);
  },
  (error) => {
    console.error(`${url}: ${error.message}`);
    process.exit(1);
  },
);
