import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Names Chromium and Chrome go by on PATH, in the order they are tried. */
const chromiumNames = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

const installHint =
  'install Chromium or Chrome (Debian: apt-get install chromium; macOS: brew install --cask chromium) or set CHROMIUM_PATH';

/**
 * The browser for browser tests: `CHROMIUM_PATH` when set, else the first Chromium or Chrome on
 * PATH; null when there is none. `npm test`'s pretest (scripts/ensure-deps.cjs --test) installs
 * Chromium with apt-get only when it runs as root on Debian.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CHROMIUM_PATH) return env.CHROMIUM_PATH;
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of chromiumNames) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return null;
}

/**
 * Whether browser tests run: when a browser is found, and always under `CI=true` (where a missing
 * one fails them). Elsewhere, without a browser, they are skipped with a notice on stderr.
 */
export function browserTestsRun(file: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (findChromium(env) || env.CI === 'true') return true;
  const line = `SKIPPED: the browser tests in ${path.basename(file)}: no Chromium found; ${installHint} (CI=true makes them required).`;
  process.stderr.write(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}\n\n`);
  return false;
}

/** `describe` for a file's browser tests: skipped with a loud notice when no browser is found, except under `CI=true`. */
export function describeWithBrowser(name: string, file: string, tests: () => void): void {
  (browserTestsRun(file) ? describe : describe.skip)(name, tests);
}

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where browser tests leave screenshots (git-ignored). */
export const artifactsDir = path.resolve(__dirname, '../../test-artifacts');

/**
 * A headless Chromium driven by playwright-core. Not a persistent context: Playwright gives
 * every launch a fresh temporary profile and removes it on `close()`.
 * Fails with one line saying what to install when there is no browser.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(`No Chromium for the browser tests: ${installHint}.`);
  if (!fs.existsSync(executablePath))
    throw new Error(`CHROMIUM_PATH=${executablePath} does not exist: ${installHint}.`);
  return chromium.launch({ executablePath, headless: true, args: chromiumArgs, timeout: 30_000 });
}

/** `test-artifacts/<name>`, creating the folder. */
export function artifactPath(name: string): string {
  fs.mkdirSync(artifactsDir, { recursive: true });
  return path.join(artifactsDir, name);
}

/**
 * A new buyer: its own browser context (cookies, cache) and page, closed afterwards; when `run`
 * fails, a screenshot of the page is left as `test-artifacts/<failureShot>`.
 */
export async function asBuyerIn(
  browser: Browser,
  run: (page: Page) => Promise<void>,
  failureShot: string,
  javaScriptEnabled = true,
): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 800, height: 700 }, javaScriptEnabled });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.setDefaultNavigationTimeout(20_000);
  try {
    await run(page);
  } catch (error) {
    await page.screenshot({ path: artifactPath(failureShot), fullPage: true }).catch(() => undefined);
    throw error;
  } finally {
    await context.close();
  }
}

/**
 * On a payment's hosted page: picks the sandbox card, approves at the sandbox and waits until the
 * browser is back on the payment's result page.
 */
export async function payWithSandboxCard(
  page: Page,
  stack: { url: string; sandboxUrl: string },
  paymentId: string,
): Promise<void> {
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(`${stack.sandboxUrl}/checkout/`)),
    page.click('button[name=method][value=sandbox_card]'),
  ]);
  await Promise.all([
    page.waitForURL(`${stack.url}/pay/${paymentId}/return`),
    page.getByRole('button', { name: 'Approve', exact: true }).click(),
  ]);
}
