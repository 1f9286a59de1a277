import fs from 'node:fs';
import type { Page } from 'playwright-core';

/** One rule broken on a page, as axe-core reports it, with the markup of the elements that break it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

let axeSource: string | null = null;

function source(): string {
  axeSource ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

/**
 * Runs axe-core on the page as it is now and returns its "serious" and "critical" violations.
 * The engine is evaluated in the page (not added as a <script> tag), so a page whose
 * Content-Security-Policy forbids inline scripts is checked as served.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const already = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!already) await page.evaluate(source());
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document) => Promise<unknown> } }).axe;
    const result = (await axe.run(document)) as {
      violations: { id: string; impact: string | null; help: string; nodes: { html: string }[] }[];
    };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.html),
    }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Fails the test with each serious or critical axe-core violation on the page, naming the elements. */
export async function expectNoSeriousViolations(page: Page): Promise<void> {
  const found = await seriousViolations(page);
  const lines = found.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.slice(0, 5).join('\n    ')}`);
  expect(lines).toEqual([]);
}
