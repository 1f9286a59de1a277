import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium; `npm test`'s pretest (scripts/ensure-deps.cjs --test) installs it with apt-get. */
export const chromiumPath = '/usr/bin/chromium';

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
 * Fails loudly (never skips) when Chromium is not installed.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(
      `Chromium is not installed at ${chromiumPath}; browser tests need it. ` +
        'Run `npm test` (its pretest installs it) or `apt-get install -y chromium`.',
    );
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 30_000 });
}

/** `test-artifacts/<name>`, creating the folder. */
export function artifactPath(name: string): string {
  fs.mkdirSync(artifactsDir, { recursive: true });
  return path.join(artifactsDir, name);
}
