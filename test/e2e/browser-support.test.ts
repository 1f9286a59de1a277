import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { browserTestsRun, findChromium } from '../support/browser';

// Where browser tests find Chromium, and what happens without one.
let dir: string;
let stderr: jest.SpyInstance;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-browsers-'));
  stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  stderr.mockRestore();
  fs.rmSync(dir, { recursive: true, force: true });
});

function executable(...parts: string[]): string {
  const file = path.join(dir, ...parts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
  return file;
}

test('CHROMIUM_PATH wins over PATH; on PATH chromium comes before chromium-browser and google-chrome', () => {
  const chrome = executable('a', 'google-chrome');
  const browser = executable('b', 'chromium-browser');
  const chromium = executable('c', 'chromium');
  const searchPath = [path.dirname(chrome), path.dirname(browser), path.dirname(chromium)].join(path.delimiter);
  expect(findChromium({ PATH: searchPath })).toBe(chromium);
  expect(findChromium({ PATH: [path.dirname(chrome), path.dirname(browser)].join(path.delimiter) })).toBe(browser);
  expect(findChromium({ PATH: path.dirname(chrome) })).toBe(chrome);
  expect(findChromium({ PATH: searchPath, CHROMIUM_PATH: '/opt/my/chrome' })).toBe('/opt/my/chrome');
});

test('a file on PATH that is not executable is no browser', () => {
  const file = executable('chromium');
  fs.chmodSync(file, 0o644);
  expect(findChromium({ PATH: dir })).toBeNull();
});

test('without a browser the browser tests are skipped with a notice naming what to install, except under CI=true', () => {
  expect(browserTestsRun('/x/browser-purchase.test.ts', { PATH: dir })).toBe(false);
  const notice = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
  expect(notice).toContain('SKIPPED: the browser tests in browser-purchase.test.ts: no Chromium found');
  expect(notice).toContain('apt-get install chromium');
  expect(notice).toContain('CHROMIUM_PATH');

  stderr.mockClear();
  expect(browserTestsRun('/x/browser-purchase.test.ts', { PATH: dir, CI: 'true' })).toBe(true);
  expect(browserTestsRun('/x/browser-purchase.test.ts', { PATH: dir, CHROMIUM_PATH: '/opt/missing/chrome' })).toBe(
    true,
  );
  expect(stderr).not.toHaveBeenCalled();
});
